'use strict';

// Smoke test of a deployed instance: $BASE_URL must answer 200 on / and /healthz.
const baseUrl = process.env.BASE_URL;
if (!baseUrl) {
  process.stderr.write('smoke: set BASE_URL to the deployed service, e.g. http://127.0.0.1:8080\n');
  process.exit(2);
}

async function check(pathname) {
  const url = new URL(pathname, baseUrl);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    const ok = response.status === 200;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} GET ${url} -> ${response.status} ${body.trim()}\n`);
    return ok;
  } catch (err) {
    const reason = err.cause ? `${err.message}: ${err.cause.code || err.cause.message}` : err.message;
    process.stdout.write(`FAIL GET ${url} -> ${reason}\n`);
    return false;
  }
}

(async () => {
  const results = [await check('/healthz'), await check('/')];
  process.exitCode = results.every(Boolean) ? 0 : 1;
})();
