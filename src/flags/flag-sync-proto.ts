import { existsSync } from 'node:fs';
import path from 'node:path';
import { type GrpcObject, type ServiceClientConstructor, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * Loads flagd's sync protocol from proto/flagd/sync/v1/sync.proto. tsc does not copy
 * .proto files into dist, so from compiled code the source tree beside dist is tried too;
 * an image that ships only dist must copy src/flags/proto to dist/flags/proto.
 */

const PROTO_FILE = 'flagd/sync/v1/sync.proto';

export function flagSyncProtoRoot(): string {
  const candidates = [path.join(__dirname, 'proto'), path.resolve(__dirname, '..', '..', 'src', 'flags', 'proto')];
  const found = candidates.find((dir) => existsSync(path.join(dir, PROTO_FILE)));
  if (!found) {
    throw new Error(`${PROTO_FILE} is in none of ${candidates.join(', ')}: copy src/flags/proto to ${candidates[0]} when packaging Gantry`);
  }
  return found;
}

/** The `FlagSyncService` definition, for the server (and for tests that call it directly). */
export function loadFlagSyncService(): ServiceClientConstructor {
  const definition = loadSync(PROTO_FILE, { includeDirs: [flagSyncProtoRoot()], defaults: true });
  const root = loadPackageDefinition(definition);
  const flagd = root.flagd as GrpcObject;
  const sync = flagd.sync as GrpcObject;
  const v1 = sync.v1 as GrpcObject;
  return v1.FlagSyncService as ServiceClientConstructor;
}
