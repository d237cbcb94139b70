import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BoardAddress, isLoopback } from './board-address';
import { boardPage } from './board-page';
import type { BoardView } from './board-view';

export interface BoardServerOptions extends BoardAddress {
  /** Reads the board now (from Temporal, in production). */
  read: () => Promise<BoardView>;
  /** How often the board is read while somebody watches it. */
  intervalMs: number;
  /** Told of a read that failed (the page shows it too). */
  onReadError?: (err: Error) => void;
}

export interface BoardServer {
  /** `http://host:port/` as a browser opens it. */
  url: string;
  close(): Promise<void>;
}

/** Keeps proxies and idle timeouts from closing a quiet event stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Serves the release board read-only: `/` the page, `/board.json` the document, `/events`
 * the document again each time it changes (server-sent events). Temporal is read only
 * while somebody watches, once per interval however many watch. On loopback (the
 * default) it answers only requests addressed to a loopback name, so a web page
 * elsewhere cannot read it through DNS rebinding.
 */
export async function startBoardServer(options: BoardServerOptions): Promise<BoardServer> {
  const watchers = new Set<ServerResponse>();
  const page = boardPage();
  let latest: { json: string; key: string; atMs: number } | undefined;
  let reading: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const send = (res: ServerResponse, text: string) => res.write(text);
  const broadcast = (text: string) => watchers.forEach((res) => send(res, text));

  /** One read at a time: callers arriving during a read share it. */
  const refresh = (): Promise<void> =>
    (reading ??= (async () => {
      try {
        const view = await options.read();
        const json = JSON.stringify(view);
        // Only a change is pushed: the instant it was read changes every time.
        const key = JSON.stringify({ ...view, generatedAt: undefined });
        const changed = key !== latest?.key;
        latest = { json, key, atMs: Date.now() };
        if (changed) broadcast(`data: ${json}\n\n`);
      } catch (err) {
        options.onReadError?.(err as Error);
        broadcast(`event: problem\ndata: ${oneLine((err as Error).message)}\n\n`);
      } finally {
        reading = undefined;
      }
    })());

  /** Whether the read-wait-read chain runs: it stops when the last watcher leaves. */
  let polling = false;
  const poll = () => {
    timer = undefined;
    polling = !closed && watchers.size > 0;
    if (!polling) return;
    // A read already under way (for /board.json) is shared, and the chain goes on after it.
    void refresh().finally(() => {
      if (!closed && watchers.size > 0) timer = setTimeout(poll, options.intervalMs);
      else polling = false;
    });
  };

  const loopbackOnly = isLoopback(options.host);
  const server = createServer((req, res) => {
    if (loopbackOnly && !addressedToLoopback(req)) return answer(res, 403, 'text/plain', 'the release board answers only requests to a loopback address (localhost, 127.0.0.1, [::1])\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return answer(res, 405, 'text/plain', 'the release board is read-only\n');
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') return answer(res, 200, 'text/html; charset=utf-8', page);
    if (path === '/board.json') {
      const fresh = latest && Date.now() - latest.atMs < options.intervalMs;
      return void (fresh ? Promise.resolve() : refresh()).then(() =>
        latest ? answer(res, 200, 'application/json', `${latest.json}\n`) : answer(res, 503, 'text/plain', 'the board could not be read; see the board log\n'),
      );
    }
    if (path === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
      // The browser reconnects by itself after a second when the stream breaks.
      send(res, 'retry: 1000\n\n');
      if (latest) send(res, `data: ${latest.json}\n\n`);
      watchers.add(res);
      const keepalive = setInterval(() => send(res, ': keepalive\n\n'), KEEPALIVE_MS);
      req.on('close', () => {
        clearInterval(keepalive);
        watchers.delete(res);
      });
      if (!polling) poll();
      return;
    }
    answer(res, 404, 'text/plain', 'not found: the board serves /, /board.json and /events\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const res of watchers) res.end();
      watchers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reading;
    },
  };
}

/** The page runs only its inline script and talks only to the board. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function addressedToLoopback(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return isLoopback(host);
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');
