import { Server, ServerCredentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from '@grpc/grpc-js';
import type { FlagSnapshot, FlagStore } from '../providers/flags/flag-store';
import { loadFlagSyncService } from './flag-sync-proto';

/**
 * Serves Gantry's flag store over flagd's own sync protocol (`flagd.sync.v1.FlagSyncService`),
 * so an application using the stock OpenFeature flagd provider in its in-process mode
 * (`resolverType: 'in-process'`, host and port) gets the whole document when it connects
 * and again on every change, pushed within milliseconds instead of the 5 s file poll.
 *
 * There is one flag set; a selector is accepted and ignored.
 */

/** flagd's own default sync port, which the provider's in-process mode assumes. */
export const DEFAULT_FLAG_SYNC_LISTEN = '127.0.0.1:8015';

export interface FlagSyncServerOptions {
  store: FlagStore;
  /** host:port to bind; loopback by default. Port 0 picks a free one. */
  listen?: string;
  /** Reports stream opens and closes; quiet by default. */
  log?: (message: string) => void;
}

export interface FlagSyncServer {
  /** host:port it listens on, with the real port when 0 was asked for. */
  address: string;
  /** Ends the open streams (providers reconnect to the next server) and stops listening. */
  close(): Promise<void>;
}

interface SyncRequest {
  providerId: string;
  selector: string;
}

interface SyncResponse {
  flagConfiguration: string;
}

interface MetadataResponse {
  metadata: { fields: Record<string, { stringValue?: string; numberValue?: number }> };
}

const SHUTDOWN_GRACE_MS = 1_000;

export async function startFlagSyncServer(options: FlagSyncServerOptions): Promise<FlagSyncServer> {
  const { store } = options;
  const log = options.log ?? (() => undefined);
  const listen = options.listen ?? DEFAULT_FLAG_SYNC_LISTEN;
  const streams = new Set<ServerWritableStream<SyncRequest, SyncResponse>>();
  const server = new Server({
    // The provider may be configured to ping (keepAliveTime); refusing pings would make
    // the server drop it with "too many pings".
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
  });

  server.addService(loadFlagSyncService().service, {
    SyncFlags(call: ServerWritableStream<SyncRequest, SyncResponse>) {
      streams.add(call);
      let sent = -1;
      // Revisions only move forward on a stream: the first read and a change event can
      // race, and an older document must never follow a newer one.
      const send = (snapshot: FlagSnapshot) => {
        if (snapshot.revision <= sent || call.cancelled || call.writableEnded) return;
        sent = snapshot.revision;
        call.write({ flagConfiguration: snapshot.text });
      };
      const unsubscribe = store.onChange(send);
      const done = () => {
        unsubscribe();
        streams.delete(call);
      };
      call.on('cancelled', done);
      call.on('close', done);
      call.on('finish', done);
      log(`flag sync: ${call.getPeer()} connected${call.request.selector ? ` (selector ${call.request.selector}, ignored)` : ''}`);
      store.read().then(send, (err: Error) => call.emit('error', { code: status.UNAVAILABLE, details: `the flag store cannot be read: ${err.message}` }));
    },

    FetchAllFlags(_call: ServerUnaryCall<SyncRequest, SyncResponse>, callback: sendUnaryData<SyncResponse>) {
      store.read().then(
        (snapshot) => callback(null, { flagConfiguration: snapshot.text }),
        (err: Error) => callback({ code: status.UNAVAILABLE, details: `the flag store cannot be read: ${err.message}` }),
      );
    },

    GetMetadata(_call: ServerUnaryCall<object, MetadataResponse>, callback: sendUnaryData<MetadataResponse>) {
      store.read().then(
        (snapshot) => callback(null, { metadata: { fields: { source: { stringValue: 'gantry' }, revision: { numberValue: snapshot.revision } } } }),
        (err: Error) => callback({ code: status.UNAVAILABLE, details: `the flag store cannot be read: ${err.message}` }),
      );
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(bindError(listen, err)) : resolve(bound)));
  });
  const host = listen.slice(0, listen.lastIndexOf(':'));
  const address = `${host}:${port}`;
  log(`flag sync: serving flagd.sync.v1.FlagSyncService on ${address}`);

  return {
    address,
    close: async () => {
      // UNAVAILABLE, not a clean end: the provider reconnects only after an error status.
      for (const call of streams) call.emit('error', { code: status.UNAVAILABLE, details: 'Gantry is restarting; reconnect' });
      streams.clear();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

function bindError(listen: string, err: Error): Error {
  return new Error(`cannot listen for flag sync on ${listen} (${err.message}): choose another address with GANTRY_FLAGS_SYNC=host:port, or stop what holds it`);
}
