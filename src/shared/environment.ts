import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { DEFAULT_TASK_QUEUE } from './ids';
import type { LockRequest } from './messages';

/**
 * A service environment as a durable entity (`environment/<service>/<environment>`):
 * what runs there, since when and by which release, who deploys there now and who waits,
 * and its recent deploys. Plain data, shared by the workflow, the CLI and the tests.
 */

/** One version serving an environment. */
export interface Deployed {
  version: string;
  /** `sha256:<hex>` of the artifact. */
  digest: string;
  url: string;
  /** ISO 8601: when it became the active version. */
  since: string;
  /** The release workflow that put it there. */
  release: string;
}

export interface DeployEvent {
  at: string;
  kind: 'deployed' | 'restored';
  version: string;
  release: string;
}

export interface EnvironmentRecord {
  service: string;
  environment: string;
  current?: Deployed;
  previous?: Deployed;
  /** The release deploying there now, and those waiting for their turn, in order. */
  holder?: LockRequest;
  queue: LockRequest[];
  /** The most recent deploys and restores, newest last. */
  history: DeployEvent[];
  /** The worker host whose machine runs this environment's instances and router (absent until a release places it). */
  host?: string;
}

export interface EnvironmentInput {
  service: string;
  environment: string;
  /** The record carried over by continue-as-new. */
  record?: EnvironmentRecord;
  /** The number of the last event recorded before continue-as-new: the numbering goes on. */
  lastSeq?: number;
}

/** A release says what it made active there (a deploy, or a restore after an abort or failure). */
export interface DeployedReport {
  kind: DeployEvent['kind'];
  version: string;
  digest: string;
  url: string;
  release: string;
}

export const deployedSignal = defineSignal<[DeployedReport]>('deployed');
export const environmentQuery = defineQuery<EnvironmentRecord>('environment');
/** Places the environment on a host unless it has one; answers the host it is on. */
export const placeUpdate = defineUpdate<string, [{ host: string }]>('place');

/**
 * `environment/<service>/<environment>`. Environments belong to one Gantry installation
 * (its workers' task queue: their runtimes and routers are what runs there), so a task
 * queue other than the default one gets entities of its own: `…@<task queue>`.
 */
export function environmentWorkflowId(service: string, environment: string, taskQueue: string): string {
  return `environment/${service}/${environment}${taskQueue === DEFAULT_TASK_QUEUE ? '' : `@${taskQueue}`}`;
}
