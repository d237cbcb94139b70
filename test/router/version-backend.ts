import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A tiny real HTTP service for router tests: it answers every request with its version
 * as the body, and can be made slow or failing while it runs.
 */
export class VersionBackend {
  /** Each answer waits this long first. */
  delayMs = 0;
  /** Every n-th request (n > 0) is answered 500. */
  failEvery = 0;
  /** Answers start (status and half the body) and then the connection is cut. */
  cutAnswers = false;
  /** Requests received so far. */
  requests = 0;

  private constructor(
    readonly version: string,
    readonly url: string,
    private readonly server: http.Server,
  ) {}

  static async start(version: string): Promise<VersionBackend> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const backend = new VersionBackend(version, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void backend.answer(req, res));
    return backend;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.resume();
    this.requests += 1;
    const fail = this.failEvery > 0 && this.requests % this.failEvery === 0;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.cutAnswers) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(this.version.length * 2) });
      res.write(this.version);
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(this.version);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
