'use strict';

/**
 * The service's routes as a plain function, so unit tests can call it without a socket.
 * Returns the status and JSON body for a request.
 */
function route(method, url, info) {
  const { pathname } = new URL(url, 'http://localhost');
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, body: { error: `method ${method} not allowed` } };
  }
  if (pathname === '/') return { status: 200, body: { service: info.service, version: info.version } };
  if (pathname === '/healthz') return { status: 200, body: { status: 'ok' } };
  return { status: 404, body: { error: `no route for ${pathname}` } };
}

module.exports = { route };
