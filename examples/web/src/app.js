'use strict';

const { GOOD, failsAt } = require('./behaviour');

/**
 * The service's routes as a plain function, so unit tests can call it without a socket.
 * Returns the status and JSON body for a request, and `delayMs` when the answer is to
 * be held back (a slow build). `info.behaviour` is the build's behaviour (see
 * behaviour.js); `nextSequence()` numbers the requests on /, and is called only for them.
 */
function route(method, url, info, nextSequence = () => 0) {
  const { pathname } = new URL(url, 'http://localhost');
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, body: { error: `method ${method} not allowed` } };
  }
  if (pathname === '/') return home(info, nextSequence());
  if (pathname === '/healthz') return { status: 200, body: { status: 'ok' } };
  return { status: 404, body: { error: `no route for ${pathname}` } };
}

function home(info, sequence) {
  const { errorPercent, delayMs, failAfter = 0 } = info.behaviour || GOOD;
  const delay = delayMs > 0 ? { delayMs } : {};
  if (sequence >= failAfter && failsAt(sequence - failAfter, errorPercent)) {
    return { status: 500, body: { error: `${info.version} fails ${errorPercent} % of requests on purpose` }, ...delay };
  }
  return { status: 200, body: { service: info.service, version: info.version }, ...delay };
}

/** route() with its own count of the requests on /, as one running server uses it. */
function createApp(info) {
  let served = 0;
  return (method, url) => route(method, url, info, () => served++);
}

module.exports = { route, createApp };
