import * as net from 'node:net';

export { findFreePort as freePort } from '../providers/process/free-port';

/** Resolves once `host:port` accepts a TCP connection, polling every 100 ms; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt made';
  for (;;) {
    try {
      await tryConnect(host, port, Math.max(100, Math.min(1000, deadline - Date.now())));
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms (last error: ${lastError})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether something accepts TCP connections on `host:port` right now. */
export async function isPortInUse(host: string, port: number): Promise<boolean> {
  try {
    await tryConnect(host, port, 1000);
    return true;
  } catch {
    return false;
  }
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.removeAllListeners();
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`connection timed out after ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}
