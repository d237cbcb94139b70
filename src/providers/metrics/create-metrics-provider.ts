import path from 'node:path';
import type { MetricsSourceConfig } from '../../config/progressive-delivery';
import { EmbeddedMetricsProvider } from './embedded-metrics-provider';
import type { MetricsProvider } from './metrics';
import { PrometheusMetricsProvider } from './prometheus-metrics-provider';

/**
 * The metrics provider a service's `metrics:` config names. `home` is GANTRY_HOME: the
 * embedded routers record themselves under `<home>/routers`. Throws when the config
 * cannot work at all (a PromQL override with an unknown placeholder).
 */
export function createMetricsProvider(config: MetricsSourceConfig, home: string): MetricsProvider {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedMetricsProvider({ routersRoot: path.join(home, 'routers') });
    case 'prometheus':
      return new PrometheusMetricsProvider({ url: config.url, queries: config.queries });
  }
}
