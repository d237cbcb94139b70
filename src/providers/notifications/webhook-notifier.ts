import type { WebhookConfig } from '../../config/notifications';
import { type Notice, noticeOf } from '../../policy/notification-events';
import type { Recorded } from '../../shared/decision-events';
import type { NotificationFailure } from '../../shared/notifications';
import type { AuditOrigin, AuditSink } from '../audit/audit-sink';
import { DEFAULT_RETRY, type RetryPolicy, deliverWebhook } from './webhook-delivery';
import { webhookBody } from './webhook-payload';
import { resolveWebhook, signingHeaders } from './webhook-target';

export interface NotifierLogger {
  warn(message: string, meta: Record<string, unknown>): void;
}

export interface WebhookNotifierOptions {
  /** The webhooks of a service as the platform's catalogue says now. */
  webhooksFor(service: string): WebhookConfig[];
  /** The worker's environment: where secrets (`secretEnv`) and secret URLs (`urlEnv`) are read, at each delivery. */
  env: Readonly<Record<string, string | undefined>>;
  /** Tells the release a notification was given up on (the worker signals it); may reject when the release has ended. */
  report(releaseWorkflowId: string, failure: NotificationFailure): Promise<void>;
  log: NotifierLogger;
  /** The Temporal UI's address, for a link in each notification. */
  uiUrl?: string;
  retry?: RetryPolicy;
  /** Unix milliseconds; the signature's timestamp. */
  now?: () => number;
}

/**
 * Tells a service's webhooks of its releases' moments, fed by the worker's audit sink:
 * the workflows emit no command for it, so a slow or failing webhook can neither hold
 * nor fail a release, and old histories replay unchanged. Each notification is retried
 * with backoff in the background of this worker; one given up on is logged (its URL's
 * origin only: a path may carry a token) and reported to its release by a signal, which
 * records it for the status.
 *
 * Best effort, said plainly: deliveries live in this process. A worker that stops
 * gracefully gives them a few seconds (`drain`); one that crashes, or stops while a
 * notification is still being retried after that, loses it (the sink is told
 * of each decision once, and never again when a history replays); a decision recorded
 * by a workflow task whose completion was lost may be told twice.
 *
 * Which webhooks: the catalogue in force now, not the one the release was admitted with,
 * so a webhook the platform fixes applies at once and a worker that restarts mid-release
 * needs nothing it did not see.
 */
export class WebhookNotifier implements AuditSink {
  /** Each webhook's notifications go out one after another, in the order they were decided. */
  private readonly queues = new Map<string, Promise<void>>();
  /** The last hold each release was notified of: a hold decided again unchanged (a calendar re-check) is not sent twice. */
  private readonly lastHold = new Map<string, string>();
  private readonly retry: RetryPolicy;
  private readonly now: () => number;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.now = options.now ?? Date.now;
  }

  record(event: Recorded, origin: AuditOrigin): void {
    const notice = noticeOf(event);
    if (!notice || this.alreadyNotified(notice)) return;
    let webhooks: WebhookConfig[];
    try {
      webhooks = this.options.webhooksFor(notice.service);
    } catch {
      return; // no catalogue in force yet: nobody to tell
    }
    webhooks.forEach((webhook, index) => {
      if (!webhook.events.includes(notice.event)) return;
      const key = `${notice.service}#${index}`;
      const next = (this.queues.get(key) ?? Promise.resolve()).then(() => this.notify(notice, webhook, index, origin.namespace));
      this.queues.set(key, next);
      void next.finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    });
  }

  /** Resolves once every notification handed so far has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  /** Waits for `idle()`, but no longer than `ms`: what a worker that stops gracefully gives its notifications in flight. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    await Promise.race([this.idle(), deadline]);
    clearTimeout(timer);
  }

  private alreadyNotified(notice: Notice): boolean {
    if (notice.kind === 'finished') this.lastHold.delete(notice.workflowId);
    if (notice.event !== 'hold') return false;
    const hold = `${notice.environment}|${notice.hold}|${notice.until}|${notice.reason}`;
    if (this.lastHold.get(notice.workflowId) === hold) return true;
    this.lastHold.set(notice.workflowId, hold);
    return false;
  }

  private async notify(notice: Notice, webhook: WebhookConfig, index: number, namespace: string): Promise<void> {
    const target = resolveWebhook(webhook, this.options.env);
    const { origin } = target;
    let error: string;
    let attempts = 0;
    if (!target.ok) error = target.error;
    else {
      const body = webhookBody(notice, webhook.format, this.options.uiUrl ? { url: this.options.uiUrl, namespace } : undefined);
      const result = await deliverWebhook(target.url, body, signingHeaders(target.secret, body, () => this.now()), this.retry);
      if (result.ok) return;
      ({ error, attempts } = result);
    }
    const failure: NotificationFailure = { webhook: index, origin, event: notice.event, kind: notice.kind, seq: notice.seq, attempts, error, at: new Date(this.now()).toISOString() };
    this.options.log.warn('notification not delivered', { release: notice.releaseWorkflowId, ...failure });
    await this.options.report(notice.releaseWorkflowId, failure).catch((err: Error) => {
      // Neither the release nor, once it has ended, the audit store took it: the log above is its trace.
      this.options.log.warn('could not record an undelivered notification', { release: notice.releaseWorkflowId, error: err.message });
    });
  }
}
