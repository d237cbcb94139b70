/**
 * `GANTRY_FLAGS_SYNC`: where a worker serves flagd's sync protocol, as host:port.
 * Unset or `off`: not served (several workers share a machine in tests and demos, and only
 * one of them can hold a port). `on`: flagd's default, 127.0.0.1:8015. A bare port binds
 * loopback; bind a public address only behind TLS or a private network, since the stream
 * carries every flag and its targeting (e-mail allow-lists among them).
 */

export const FLAG_SYNC_VARIABLE = 'GANTRY_FLAGS_SYNC';

const DEFAULT_LISTEN = '127.0.0.1:8015';

export function flagSyncListen(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[FLAG_SYNC_VARIABLE]?.trim();
  if (!raw || raw === 'off') return undefined;
  if (raw === 'on') return DEFAULT_LISTEN;
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65_535) {
    throw new Error(`${FLAG_SYNC_VARIABLE}=${raw} is not host:port: write e.g. ${FLAG_SYNC_VARIABLE}=${DEFAULT_LISTEN}, a bare port (8015), "on" or "off"`);
  }
  return `${match[1] ?? '127.0.0.1'}:${port}`;
}
