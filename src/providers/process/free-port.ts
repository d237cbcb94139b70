import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP port nobody listens on right now, found by letting the kernel pick one.
 * Another process could take it before the caller binds it; the caller's health check
 * is what notices that.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
