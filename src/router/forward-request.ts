import type http from 'node:http';
import type { Dispatcher } from 'undici';

export interface ForwardOptions {
  /** The backend's connection pool. */
  backend: Dispatcher;
  /** How long the backend may take to send its headers, and to go quiet between two parts of its body. */
  timeoutMs: number;
  /** Added to the backend's response headers (lower-case names), replacing any of the same name the backend sent. */
  responseHeaders: ReadonlyArray<readonly [name: string, value: string]>;
  /**
   * The backend could not be reached, did not answer in time, or broke off its answer.
   * Before the answer started (`res.headersSent` false) the caller answers the client
   * itself; after, the client connection has already been cut so that a half answer is
   * never taken for a whole one.
   */
  onFailure(err: Error): void;
}

/**
 * Headers that describe one connection rather than the message (RFC 9110 §7.6.1), so a
 * proxy must not pass them on; `transfer-encoding` is left to each side's own framing.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/**
 * Sends one request to a backend and streams its answer back: the router's hot path.
 *
 * The backend side is undici's dispatcher API, the lowest level of the HTTP client the
 * Node.js project maintains: no stream objects per request, and header lists copied as
 * flat arrays. On this path it costs about a fifth less CPU per request than
 * `node:http`'s client, and a proxy library on top of either costs more again
 * (`bench/router-latency.js` measures the whole router). What a reverse proxy owes its
 * backends and clients is here: hop-by-hop headers dropped both ways (including those
 * the `Connection` header names), `X-Forwarded-For/-Proto/-Host/-Port` appended,
 * backpressure in both directions, time-outs, and a backend request cancelled when its
 * client leaves.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions): void {
  let settled = false;
  let abortBackend: ((err?: Error) => void) | undefined;
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    if (res.headersSent) res.destroy();
    options.onFailure(err);
  };

  // The client left before its answer ended: stop the backend's work on it too.
  res.on('close', () => {
    if (res.writableFinished || settled) return;
    settled = true;
    abortBackend?.(new Error('the client left'));
  });

  const withBody = hasBody(req);
  if (!withBody) req.resume();
  // The legacy handler methods, which undici calls directly: the newer ones are adapted
  // to them at the cost of parsing every response's headers into an object.
  options.backend.dispatch(
    {
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: requestHeaders(req),
      body: withBody ? req : null,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    },
    {
      onConnect(abort) {
        abortBackend = abort;
        if (settled) abort(new Error('the client left'));
      },
      onHeaders(statusCode, rawHeaders, resume, statusText) {
        // 1xx answers are interim: the final one follows.
        if (statusCode < 200) return true;
        res.writeHead(statusCode, statusText, responseHeaders(rawHeaders, options.responseHeaders));
        res.on('drain', resume);
        return true;
      },
      onData(chunk) {
        // false pauses the backend until the client has taken what is buffered ('drain' resumes it).
        return res.write(chunk);
      },
      onComplete() {
        if (settled) return;
        settled = true;
        res.end();
      },
      onError(err) {
        fail(res.headersSent ? new Error(`the backend broke off its answer: ${err.message}`) : err);
      },
    },
  );
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The client's headers minus hop-by-hop ones, with the forwarding headers appended.
 * `Expect: 100-continue` was answered by the router's own server already.
 */
function requestHeaders(req: http.IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const dropped = connectionScoped(req.headers.connection);
  const headers: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'expect' || dropped?.has(lower)) continue;
    // Appended to below rather than copied, so that a chain of proxies reads left to right.
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? (raw[i + 1] as string) : `${forwardedFor}, ${raw[i + 1] as string}`;
      continue;
    }
    if (lower === 'x-forwarded-host') forwardedHost = true;
    headers.push(name, raw[i + 1] as string);
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  headers.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  if (req.headers['x-forwarded-proto'] === undefined) headers.push('x-forwarded-proto', 'http');
  if (req.headers['x-forwarded-port'] === undefined && req.socket.localPort !== undefined) headers.push('x-forwarded-port', String(req.socket.localPort));
  if (!forwardedHost && req.headers.host !== undefined) headers.push('x-forwarded-host', req.headers.host);
  return headers;
}

/**
 * The backend's headers minus hop-by-hop ones and those the router sets itself, then the
 * router's. Header bytes are latin1 on the wire both ways, so decoding them as latin1
 * passes any byte through unchanged.
 */
function responseHeaders(raw: Buffer[], own: ForwardOptions['responseHeaders']): string[] {
  const names: string[] = [];
  let dropped: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    names.push(name);
    if (name.toLowerCase() === 'connection') dropped = connectionScoped((raw[i + 1] as Buffer).toString('latin1'), dropped);
  }
  const headers: string[] = [];
  for (let i = 0; i < names.length; i += 1) {
    const lower = (names[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(lower) || dropped?.has(lower) || own.some(([name]) => name === lower)) continue;
    headers.push(names[i] as string, (raw[2 * i + 1] as Buffer).toString('latin1'));
  }
  for (const [name, value] of own) headers.push(name, value);
  return headers;
}

/** The header names a `Connection` header lists, which are scoped to that one connection. */
function connectionScoped(value: string | undefined, into?: Set<string>): Set<string> | undefined {
  if (value === undefined) return into;
  const names = into ?? new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names;
}
