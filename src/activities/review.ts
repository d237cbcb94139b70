import path from 'node:path';
import type { AuditStore } from '../providers/audit/audit-store';
import type { PlatformCatalogue } from '../providers/catalogue/platform-catalogue';
import { writeFileAtomically } from '../providers/write-file-atomically';
import { DEFAULT_RETRY, type RetryPolicy, deliverWebhook } from '../providers/notifications/webhook-delivery';
import { resolveWebhook, signingHeaders } from '../providers/notifications/webhook-target';
import { renderReviewHtml } from '../review/render-review-html';
import { buildReview } from '../review/review-report';
import { type ReviewSummary, reviewSummary, reviewWebhookBody } from '../review/review-summary';

export interface ReviewRequest {
  since: string;
  until: string;
  label: string;
  service?: string;
}

export interface ReviewDelivery {
  webhook: number;
  origin: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * The quarterly review's side effects: writing the report from the audit store into the
 * state folder (`<home>/reviews/<label>.json|.html`), and sending its summary to the
 * catalogue's `review.webhooks`.
 */
export function createReviewActivities(deps: { audit: AuditStore; reviewsRoot: string; catalogue: PlatformCatalogue; env?: NodeJS.ProcessEnv; retry?: RetryPolicy }) {
  const env = deps.env ?? process.env;
  return {
    async writeReview(request: ReviewRequest): Promise<ReviewSummary> {
      const period = { since: new Date(request.since), until: new Date(request.until), label: request.label };
      const report = await buildReview(deps.audit, period, { ...(request.service ? { service: request.service } : {}), now: new Date() });
      const base = path.join(deps.reviewsRoot, `${request.label}${request.service ? `-${request.service}` : ''}`);
      const files = { json: `${base}.json`, html: `${base}.html` };
      writeFileAtomically(files.json, `${JSON.stringify(report, null, 2)}\n`);
      writeFileAtomically(files.html, renderReviewHtml(report));
      return reviewSummary(report, files);
    },

    /** Never throws for a webhook that fails: each delivery's result is returned (and recorded by the workflow). */
    async sendReview(summary: ReviewSummary): Promise<ReviewDelivery[]> {
      const webhooks = (await deps.catalogue.refresh()).inForce?.catalogue.catalogue.review?.webhooks ?? [];
      return Promise.all(
        webhooks.map(async (webhook, index): Promise<ReviewDelivery> => {
          const target = resolveWebhook(webhook, env);
          if (!target.ok) return { webhook: index, origin: target.origin, ok: false, attempts: 0, error: target.error };
          const body = reviewWebhookBody(summary, webhook.format);
          const result = await deliverWebhook(target.url, body, signingHeaders(target.secret, body), deps.retry ?? DEFAULT_RETRY);
          return { webhook: index, origin: target.origin, ok: result.ok, attempts: result.attempts, ...(result.ok ? {} : { error: result.error }) };
        }),
      );
    },
  };
}
