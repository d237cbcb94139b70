import { ServiceSchema, type ServiceConfig } from '../../src/config/service-catalogue';
import type { ReleaseRequest } from '../../src/shared/release';

/**
 * The platform's catalogue as the fake admission activity sees it: each request made by
 * `releaseInput` registers the service definition it should be admitted with.
 */
const definitions = new Map<string, ServiceConfig>();
const key = (service: string, version: string) => `${service}@${version}`;

/** The definition `releaseInput` registered for a release, if any (the fake admission reads it). */
export function registeredDefinition(service: string, version: string): ServiceConfig | undefined {
  return definitions.get(key(service, version));
}

/**
 * A release request as the CLI sends it, and the service definition the (fake) platform
 * admits it with, parsed by the real schema.
 */
export function releaseInput(
  overrides: Partial<ReleaseRequest> & {
    approval?: Record<string, unknown>;
    production?: Record<string, unknown>;
    /** All the service's environments, in order (instead of staging and `production`). */
    environments?: Record<string, Record<string, unknown>>;
    roles?: Record<string, unknown>;
    /** The catalogue's groups, as validation hands them to each service. */
    groups?: Record<string, string[]>;
    /** People's SSH public keys, as validation hands them to each service. */
    signers?: Record<string, string[]>;
  } = {},
): ReleaseRequest {
  const { approval, production, environments, roles, groups, signers, ...rest } = overrides;
  const config = ServiceSchema.parse({
    repository: '/nonexistent/web',
    build: 'make build',
    test: { unit: 'make unit', integration: 'make integration', lint: 'make lint' },
    artifact: { include: ['dist'] },
    run: { command: 'node dist/server.js', health: '/healthz', startTimeout: '10s' },
    smoke: 'node smoke.js',
    environments: environments ?? { staging: {}, production: production ?? { strategy: 'allAtOnce' } },
    approval: approval ?? { approvers: ['alice', 'bob', 'carol'], minApprovals: 1, timeout: '1d' },
    ...(roles ? { roles } : {}),
    ...(groups ? { groups } : {}),
    ...(signers ? { signers } : {}),
  });
  const request: ReleaseRequest = {
    service: 'web',
    version: '1.4.2',
    commit: '0123456789abcdef0123456789abcdef01234567',
    author: 'alice',
    ...rest,
  };
  definitions.set(key(request.service, request.version), config);
  return request;
}
