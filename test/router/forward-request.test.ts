import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from '../../src/providers/process/free-port';
import { BackendPools } from '../../src/router/backend-pools';
import { forwardRequest } from '../../src/router/forward-request';

/**
 * The router's forwarding core between a real client and a real backend, over loopback:
 * what reaches the backend, what reaches the client, and what happens when either side
 * misbehaves.
 */

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
const pools = new BackendPools();
/** Short, so that the time-out test does not wait a minute. */
const TIMEOUT_MS = 400;
let backendHandler: Handler = (_req, res) => res.end('unset');
let backend: string;
let proxyUrl: string;
const failures: Error[] = [];

async function listen(handler: Handler): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A proxy in front of `origin` that answers 502 itself when forwarding fails before the answer started. */
async function startProxy(origin: string): Promise<string> {
  const port = await listen((req, res) =>
    forwardRequest(req, res, {
      backend: pools.get(origin),
      timeoutMs: TIMEOUT_MS,
      responseHeaders: [['x-gantry-version', '1.2.3']],
      onFailure: (err) => {
        failures.push(err);
        if (res.headersSent) return;
        res.writeHead(502);
        res.end(`502: ${err.message}`);
      },
    }),
  );
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  backend = `http://127.0.0.1:${await listen((req, res) => backendHandler(req, res))}`;
  proxyUrl = await startProxy(backend);
});

beforeEach(() => {
  failures.length = 0;
});

afterAll(async () => {
  await pools.destroy();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Received {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** One request on a fresh connection, so that hop-by-hop headers are the test's own. */
function request(options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; chunked?: boolean }): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${proxyUrl}${options.path ?? '/'}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined && options.chunked) {
      // Two writes without a length: the client sends it chunked.
      const body = Buffer.from(options.body);
      req.write(body.subarray(0, body.length / 2));
      req.end(body.subarray(body.length / 2));
    } else {
      req.end(options.body);
    }
  });
}

/** A backend that answers with what it received, as JSON. */
const echo: Handler = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
};

describe('forwarding a request', () => {
  it('passes method, path, query and headers, keeps Host, and appends the X-Forwarded headers', async () => {
    backendHandler = echo;
    const answer = await request({ method: 'DELETE', path: '/orders/42?force=true', headers: { 'x-request-id': 'abc', 'x-forwarded-for': '203.0.113.9', host: 'shop.example' } });
    const seen = JSON.parse(answer.body.toString()) as { method: string; url: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ method: 'DELETE', url: '/orders/42?force=true' });
    expect(seen.headers).toMatchObject({
      'x-request-id': 'abc',
      host: 'shop.example',
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.example',
      'x-forwarded-port': new URL(proxyUrl).port,
    });
  });

  it('drops hop-by-hop headers both ways, including those the Connection header names', async () => {
    backendHandler = (req, res) => {
      res.setHeader('connection', 'x-backend-hop');
      res.setHeader('x-backend-hop', 'secret-to-this-connection');
      res.setHeader('keep-alive', 'timeout=7, max=3');
      res.setHeader('x-backend-kept', 'yes');
      echo(req, res);
    };
    const answer = await request({ headers: { connection: 'keep-alive, x-client-hop', 'x-client-hop': 'only-for-the-router', te: 'trailers', 'proxy-authorization': 'Basic c2VjcmV0', 'x-client-kept': 'yes' } });
    const seen = JSON.parse(answer.body.toString()) as { headers: Record<string, string> };
    expect(seen.headers['x-client-kept']).toBe('yes');
    for (const name of ['x-client-hop', 'te', 'proxy-authorization']) expect(seen.headers[name]).toBeUndefined();
    expect(answer.headers['x-backend-kept']).toBe('yes');
    expect(answer.headers['x-backend-hop']).toBeUndefined();
    expect(answer.headers['keep-alive'] ?? '').not.toContain('max=3');
  });

  it('sets the router’s version header over the backend’s and keeps repeated headers such as Set-Cookie', async () => {
    backendHandler = (_req, res) => {
      res.writeHead(201, 'Made', [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-gantry-version', '6.6.6-spoofed'], ['content-type', 'text/plain']].flat());
      res.end('made');
    };
    const answer = await request({});
    expect(answer.status).toBe(201);
    expect(answer.headers['x-gantry-version']).toBe('1.2.3');
    expect(answer.rawHeaders.filter((h) => h.toLowerCase() === 'x-gantry-version')).toHaveLength(1);
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.body.toString()).toBe('made');
  });

  it('streams request bodies with a length and chunked, and large answers intact', async () => {
    backendHandler = echo;
    const withLength = await request({ method: 'POST', body: 'x'.repeat(10_000), headers: { 'content-type': 'text/plain' } });
    expect(JSON.parse(withLength.body.toString())).toMatchObject({ method: 'POST', body: 'x'.repeat(10_000) });
    const chunked = await request({ method: 'PUT', body: 'chunked body', chunked: true });
    expect(JSON.parse(chunked.body.toString())).toMatchObject({ method: 'PUT', body: 'chunked body' });

    // 8 MiB, far more than the socket buffers hold at once: it arrives whole and in order.
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 1) big[i] = i % 251;
    backendHandler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': String(big.length) });
      res.end(big);
    };
    const answer = await request({});
    expect(answer.body.length).toBe(big.length);
    expect(createHash('sha256').update(answer.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('answers through the caller when the backend cannot be reached', async () => {
    const nobody = await startProxy(`http://127.0.0.1:${await findFreePort()}`);
    const status = await new Promise<number>((resolve, reject) =>
      http.get(nobody, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(status).toBe(502);
    expect(failures.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ECONNREFUSED']);
  });

  it('cuts the client off when the backend dies halfway through its answer', async () => {
    backendHandler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('half');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    await expect(request({})).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    expect(failures.map((e) => e.message)).toEqual([expect.stringMatching(/^the backend broke off its answer: /)]);
  });

  it('gives up on a backend that does not answer within the deadline', async () => {
    let backendSawClose = false;
    backendHandler = (req) => {
      req.resume();
      req.socket.once('close', () => (backendSawClose = true));
    };
    const answer = await request({});
    expect(answer.status).toBe(502);
    expect(answer.body.toString()).toMatch(/Headers Timeout/i);
    await waitFor(() => backendSawClose);
  });

  it('cancels the backend request when the client leaves first, and reports no failure', async () => {
    let backendSawClose = false;
    backendHandler = (req) => {
      req.resume();
      req.socket.once('close', () => (backendSawClose = true));
    };
    const socket = net.connect(Number(new URL(proxyUrl).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    socket.destroy();
    await waitFor(() => backendSawClose);
    expect(failures).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
