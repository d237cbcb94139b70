import { ServiceSchema } from '../../src/config/service-catalogue';
import type { ReleaseInput } from '../../src/shared/release';

/** A release input as the CLI would build it, with the service config parsed by the real schema. */
export function releaseInput(
  overrides: Partial<ReleaseInput> & { approval?: Record<string, unknown>; production?: Record<string, unknown> } = {},
): ReleaseInput {
  const { approval, production, ...rest } = overrides;
  const config = ServiceSchema.parse({
    source: '.',
    build: 'make build',
    test: { unit: 'make unit', integration: 'make integration', lint: 'make lint' },
    artifact: { include: ['dist'] },
    run: { command: 'node dist/server.js', health: '/healthz', startTimeout: '10s' },
    smoke: 'node smoke.js',
    environments: { staging: {}, production: production ?? { strategy: 'allAtOnce' } },
    approval: approval ?? { approvers: ['alice', 'bob', 'carol'], minApprovals: 1, timeout: '1d' },
  });
  return {
    service: 'web',
    version: '1.4.2',
    commit: '0123456789abcdef0123456789abcdef01234567',
    author: 'alice',
    sourceDir: '/nonexistent/web',
    config,
    ...rest,
  };
}
