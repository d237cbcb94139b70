'use strict';

// Smoke test of a deployed instance: $BASE_URL must answer 200 on /healthz and on /.
// Each path gets a few attempts: the smoke test asks whether the deploy serves at all;
// whether it serves well enough is for the canary analysis to judge, over many requests.
const baseUrl = process.env.BASE_URL;
if (!baseUrl) {
  process.stderr.write('smoke: set BASE_URL to the deployed service, e.g. http://127.0.0.1:8080\n');
  process.exit(2);
}

const ATTEMPTS = 5;
const PAUSE_MS = 200;

async function attempt(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    return { ok: response.status === 200, text: `${response.status} ${body.trim()}` };
  } catch (err) {
    return { ok: false, text: err.cause ? `${err.message}: ${err.cause.code || err.cause.message}` : err.message };
  }
}

async function check(pathname) {
  const url = new URL(pathname, baseUrl);
  for (let n = 1; n <= ATTEMPTS; n++) {
    const { ok, text } = await attempt(url);
    const tries = n > 1 ? ` (attempt ${n} of ${ATTEMPTS})` : '';
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} GET ${url} -> ${text}${tries}\n`);
    if (ok) return true;
    if (n < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  return false;
}

(async () => {
  const results = [await check('/healthz'), await check('/')];
  process.exitCode = results.every(Boolean) ? 0 : 1;
})();
