'use strict';

const http = require('node:http');
const { route } = require('./app');

/** The build writes version.json beside this file; running from src/ has none. */
function readVersion() {
  try {
    return require('./version.json').version;
  } catch {
    return '0.0.0-dev';
  }
}

const info = { service: process.env.GANTRY_SERVICE || 'web', version: readVersion() };
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';

const server = http.createServer((req, res) => {
  const { status, body } = route(req.method, req.url, info);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(body)}\n`);
});

server.listen(port, host, () => {
  process.stdout.write(`${info.service} ${info.version} listening on http://${host}:${port}\n`);
});

// Stop accepting connections and exit when Gantry stops the instance.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    process.stdout.write(`${signal}: shutting down\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
