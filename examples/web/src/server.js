'use strict';

const http = require('node:http');
const { createApp } = require('./app');
const { GOOD, describeBehaviour } = require('./behaviour');
const { requestUser, startFlags } = require('./flags');

/** The build writes version.json (version and behaviour) beside this file; running from src/ has none. */
function readBuild() {
  try {
    const build = require('./version.json');
    return { version: build.version, behaviour: build.behaviour || GOOD };
  } catch {
    return { version: '0.0.0-dev', behaviour: GOOD };
  }
}

const build = readBuild();
const info = { service: process.env.GANTRY_SERVICE || 'web', ...build };
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';
const app = createApp(info);
// Undefined unless flags are configured (see flags.js): then the service is unchanged.
let flags;
startFlags(process.env, (line) => process.stdout.write(line)).then((started) => (flags = started));

const server = http.createServer((req, res) => {
  const { status, body, delayMs = 0 } = app(req.method, req.url);
  const answer = (variants) => {
    const headers = { 'content-type': 'application/json' };
    // Each flag's variant labels the answer, so traffic can be split by variant.
    if (variants) for (const [key, variant] of Object.entries(variants)) headers[`x-flag-${key}`] = variant;
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(variants ? { ...body, flags: variants } : body)}\n`);
  };
  const respond = (variants) => (delayMs > 0 ? setTimeout(() => answer(variants), delayMs) : answer(variants));
  if (flags && status === 200 && new URL(req.url, 'http://localhost').pathname === '/') {
    flags.evaluate(requestUser(req.headers, req.socket.remoteAddress)).then(respond, () => respond(undefined));
  } else {
    respond(undefined);
  }
});

server.listen(port, host, () => {
  process.stdout.write(`${info.service} ${info.version} listening on http://${host}:${port} (${describeBehaviour(info.behaviour)})\n`);
});

// Stop accepting connections and exit when Gantry stops the instance. Like most real
// services behind a load balancer, it can keep answering for a while first (DRAIN_MS),
// so requests already on their way still succeed; then it closes idle connections and
// lets requests in flight finish (a slow build's 400 ms ones too) before it exits.
const drainMs = Number(process.env.DRAIN_MS || 0);
const IN_FLIGHT_GRACE_MS = 3_000;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    process.stdout.write(`${signal}: shutting down${drainMs > 0 ? ` after draining for ${drainMs} ms` : ''}\n`);
    setTimeout(() => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      // Keep-alive connections go idle once their request is answered.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      sweep.unref();
      setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS).unref();
    }, drainMs);
  });
}
