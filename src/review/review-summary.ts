import type { DoraFigures } from './dora';
import { renderFigures } from './render-review';
import type { ReviewReport } from './review-report';

/** What the review workflow keeps and sends of a report: the headline and where its files are (the report itself stays in files, out of history). */
export interface ReviewSummary {
  label: string;
  since: string;
  until: string;
  service?: string;
  chainIntact: boolean;
  releases: number;
  overall: DoraFigures;
  /** One line: "2026Q4: 5 deploys (0.05/day (medium)); lead time …". */
  headline: string;
  files: { json: string; html: string };
}

export function reviewSummary(report: ReviewReport, files: ReviewSummary['files']): ReviewSummary {
  const figures = report.releases === 0 ? 'nothing happened: no release' : renderFigures(report.dora.overall);
  const chain = report.chain.intact ? '' : 'WARNING: the audit chain does NOT verify. ';
  return {
    label: report.period.label,
    since: report.period.since,
    until: report.period.until,
    ...(report.service ? { service: report.service } : {}),
    chainIntact: report.chain.intact,
    releases: report.releases,
    overall: report.dora.overall,
    headline: `${chain}Release review ${report.period.label}${report.service ? ` (${report.service})` : ''}: ${figures}`,
    files,
  };
}

/** The request body a review webhook of `format` is sent. */
export function reviewWebhookBody(summary: ReviewSummary, format: 'slack' | 'json'): string {
  if (format === 'json') return JSON.stringify({ source: 'gantry', event: 'review', ...summary });
  return JSON.stringify({
    text: summary.headline,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${summary.headline}*` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${summary.releases} releases · report \`${summary.files.html}\` · data \`${summary.files.json}\`` }] },
    ],
  });
}
