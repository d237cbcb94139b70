import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '../../src/providers/notifications/webhook-signature';

/** One request a receiver got, with what it answered. */
export interface ReceivedWebhook {
  body: string;
  json: Record<string, unknown>;
  signature?: string;
  timestamp?: string;
  /** The HTTP status it answered, or `hung` when it never answered. */
  answer: number | 'hung';
}

/** What a receiver does with its n-th request (1, 2, …): answer with a status, or never answer. */
export type ReceiverBehaviour = (n: number) => number | 'hang';

/**
 * A real HTTP server on loopback that receives webhooks: it keeps every request and
 * answers as its behaviour says (200, 500 then 200, always 500, never).
 */
export class WebhookReceiver {
  private constructor(
    private readonly server: http.Server,
    /** Where to send webhooks. */
    readonly url: string,
    /** Every request, in the order it came, failed attempts included. */
    readonly received: ReceivedWebhook[],
  ) {}

  static async start(behaviour: ReceiverBehaviour = () => 200): Promise<WebhookReceiver> {
    const received: ReceivedWebhook[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = behaviour(received.length + 1);
        const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
        received.push({ body, json: JSON.parse(body) as Record<string, unknown>, signature: header(SIGNATURE_HEADER), timestamp: header(TIMESTAMP_HEADER), answer: answer === 'hang' ? 'hung' : answer });
        if (answer === 'hang') return; // keeps the connection open until the sender gives up
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gantry`, received);
  }

  /** The requests it answered with a 2xx: what it actually took in. */
  get delivered(): ReceivedWebhook[] {
    return this.received.filter((r) => typeof r.answer === 'number' && r.answer < 300);
  }

  /** Whether every request carried a valid signature made with `secret` (checked the way a receiver would). */
  allSignedWith(secret: string): boolean {
    const nowSeconds = Math.floor(Date.now() / 1000);
    return this.received.every((r) => verifyWebhookSignature({ secret, body: r.body, signature: r.signature, timestamp: r.timestamp, nowSeconds }).ok);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
