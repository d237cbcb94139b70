import http from 'node:http';
import https from 'node:https';
import type { InFlightDeadlines } from './in-flight-deadlines';

/** Where one request goes, parsed once per route rather than once per request. */
export interface ForwardTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
}

export interface ForwardOptions {
  target: ForwardTarget;
  agent: http.Agent;
  deadlines: InFlightDeadlines;
  /** Added to the backend's response headers, replacing any of the same name the backend sent. */
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
 * Written against `node:http` directly rather than through a proxy library because
 * this is where the router spends its CPU: header lists are copied as flat raw arrays
 * (no per-header `setHeader`), a request without a body ends at once instead of being
 * piped, and backend time-outs are swept by one shared timer instead of a timer per
 * request. Everything else a reverse proxy owes its backends and clients is here too:
 * hop-by-hop headers dropped both ways (including those the `Connection` header names),
 * `X-Forwarded-For/-Proto/-Host/-Port` appended, backpressure in both directions, and a
 * backend request cancelled when its client leaves.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions): void {
  const { target } = options;
  const backendRequest = (target.protocol === 'https:' ? https : http).request({
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: requestHeaders(req),
    agent: options.agent,
  });

  let settled = false;
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    deadline.cancel();
    backendRequest.destroy();
    if (res.headersSent) res.destroy();
    options.onFailure(err);
  };
  const deadline = options.deadlines.add(() => fail(new Error(`no complete answer within ${options.deadlines.timeoutMs / 1000} s`)));

  backendRequest.on('error', fail);
  backendRequest.on('response', (backendResponse: http.IncomingMessage) => {
    res.writeHead(backendResponse.statusCode ?? 502, backendResponse.statusMessage, responseHeaders(backendResponse.rawHeaders, options.responseHeaders));
    backendResponse.on('data', (chunk: Buffer) => {
      if (res.write(chunk)) return;
      backendResponse.pause();
      res.once('drain', () => backendResponse.resume());
    });
    backendResponse.on('end', () => {
      settled = true;
      deadline.cancel();
      res.end();
    });
    // Closed without its end: the backend died halfway through its answer.
    backendResponse.on('close', () => {
      if (!backendResponse.complete) fail(new Error('the backend closed the connection before its answer was complete'));
    });
  });

  // The client left before its answer ended: stop the backend's work on it too.
  res.on('close', () => {
    if (res.writableFinished || settled) return;
    settled = true;
    deadline.cancel();
    backendRequest.destroy();
  });

  if (hasBody(req)) {
    req.on('error', () => backendRequest.destroy());
    req.pipe(backendRequest);
  } else {
    req.resume();
    backendRequest.end();
  }
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The client's headers minus hop-by-hop ones, with the forwarding headers appended. */
function requestHeaders(req: http.IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const dropped = connectionScoped(req.headers.connection);
  const headers: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || dropped?.has(lower)) continue;
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

/** The backend's headers minus hop-by-hop ones and those the router sets itself, then the router's. */
function responseHeaders(raw: string[], own: ForwardOptions['responseHeaders']): string[] {
  let dropped: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection') dropped = connectionScoped(raw[i + 1], dropped);
  }
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(lower) || dropped?.has(lower) || own.some(([name]) => name === lower)) continue;
    headers.push(raw[i] as string, raw[i + 1] as string);
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
