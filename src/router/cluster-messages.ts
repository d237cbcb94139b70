import type { Route } from '../contracts/routes';
import type { WindowCounts } from './rolling-stats';

/**
 * What the router's primary process (admin API, route table) and its workers (public
 * traffic) say to each other over the cluster's IPC channel. Every message carries a
 * `gantry` type so that the channel can be shared with prom-client's own messages.
 */

/** Primary → worker: the table to route by from now on; the worker answers `applied` with the same `seq`. */
export interface PolicyMessage {
  gantry: 'policy';
  seq: number;
  routes: Route[];
  canaryUsers: string[];
}

/** Primary → worker: send your counts of the window that ends now. */
export interface CountsRequest {
  gantry: 'countsRequest';
  id: number;
  windowMs: number;
}

export type ToWorker = PolicyMessage | CountsRequest;

/** Worker → primary: the public port accepts connections (its number, when port 0 let the system choose). */
export interface ListeningMessage {
  gantry: 'listening';
  port: number;
}

/** Worker → primary: the public port could not be bound; the worker exits after sending this. */
export interface ListenFailedMessage {
  gantry: 'listenFailed';
  code: string;
  message: string;
}

export interface AppliedMessage {
  gantry: 'applied';
  seq: number;
}

export interface CountsMessage {
  gantry: 'counts';
  id: number;
  counts: WindowCounts;
}

export type ToPrimary = ListeningMessage | ListenFailedMessage | AppliedMessage | CountsMessage;

export function isToWorker(message: unknown): message is ToWorker {
  return hasGantryType(message, ['policy', 'countsRequest']);
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return hasGantryType(message, ['listening', 'listenFailed', 'applied', 'counts']);
}

function hasGantryType(message: unknown, types: string[]): boolean {
  return typeof message === 'object' && message !== null && types.includes((message as { gantry?: unknown }).gantry as string);
}
