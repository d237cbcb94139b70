import http from 'node:http';

export interface Answer {
  status: number;
  /** The x-gantry-version header, when the router set one. */
  versionHeader?: string;
  body: string;
}

/** Keep-alive, like a real client population; destroyed by {@link closeTraffic}. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One GET with a deadline; never rejects, so a load loop can count failures. */
export function send(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const header = res.headers['x-gantry-version'];
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(typeof header === 'string' ? { versionHeader: header } : {}) });
      });
      res.on('error', (err) => resolve({ status: 0, body: err.message }));
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

/** `count` requests, `concurrency` at a time; answers in no particular order. */
export async function sendMany(url: string, count: number, headers: (i: number) => Record<string, string> = () => ({}), concurrency = 16): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      answers.push(await send(url, headers(i)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return answers;
}

/** How many answers came from each version (by body, which the backend writes). */
export function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.body] = (counts[a.body] ?? 0) + 1;
  return counts;
}

export function closeTraffic(): void {
  agent.destroy();
}
