import { ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';
import type { ReviewDelivery } from '../activities/review';
import { previousQuarter, quarterPeriod } from '../review/period';
import type { ReviewSummary } from '../review/review-summary';

/** Reading a quarter of the audit store and writing two files; the webhooks retry inside their own activity. */
const review = proxyActivities<Pick<GantryActivities, 'writeReview' | 'sendReview'>>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

export interface QuarterlyReviewInput {
  /** A quarter such as 2026Q4; default the one that ended last (a Schedule starts this at each quarter's start). */
  quarter?: string;
  service?: string;
}

export interface QuarterlyReviewResult {
  summary: ReviewSummary;
  deliveries: ReviewDelivery[];
}

/**
 * The quarterly review: writes the report of the last quarter from the audit store into
 * the state folder (JSON and the self-contained HTML page), then sends its headline to
 * the catalogue's review webhooks. Started by a Temporal Schedule at the start of each
 * quarter (`gantry review schedule`), or by hand. Its result says what was written and
 * which webhooks took it; the report itself stays in files, out of the history.
 */
export async function quarterlyReviewWorkflow(input: QuarterlyReviewInput = {}): Promise<QuarterlyReviewResult> {
  const period = input.quarter ? quarterPeriod(input.quarter) : previousQuarter(new Date());
  if ('problem' in period) throw ApplicationFailure.create({ type: 'InvalidReviewInput', message: period.problem, nonRetryable: true });
  setCurrentDetails(`**Quarterly review** of ${period.label}${input.service ? ` for ${input.service}` : ''}: writing the report`);
  const summary = await review.writeReview({ since: period.since.toISOString(), until: period.until.toISOString(), label: period.label, ...(input.service ? { service: input.service } : {}) });
  const deliveries = await review.sendReview(summary);
  const failed = deliveries.filter((d) => !d.ok);
  setCurrentDetails(
    [
      `**Quarterly review** of ${period.label}`,
      '',
      summary.headline,
      '',
      `Report: \`${summary.files.html}\` (data \`${summary.files.json}\`)`,
      `Sent to ${deliveries.length - failed.length} of ${deliveries.length} webhooks${failed.length ? `; not delivered: ${failed.map((d) => `${d.origin} (${d.error})`).join(', ')}` : ''}`,
    ].join('\n'),
  );
  return { summary, deliveries };
}
