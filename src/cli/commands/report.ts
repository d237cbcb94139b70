import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type ReviewPeriod, quarterPeriod } from '../../review/period';
import { buildReview } from '../../review/review-report';
import { writeFileAtomically } from '../../providers/write-file-atomically';
import { withAuditStore } from '../audit-store-access';
import { invalidInput } from '../exit-codes';
import { renderReview } from '../../review/render-review';
import { renderReviewHtml } from '../../review/render-review-html';
import { requiredInstant } from '../zoned-instant';

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** --quarter, or --since and --until; both or neither is exit 2. */
function periodOf(opts: { quarter?: string; since?: string; until?: string }): ReviewPeriod {
  if (opts.quarter !== undefined) {
    if (opts.since !== undefined || opts.until !== undefined) throw invalidInput('--quarter cannot go with --since/--until: give a quarter, or a period');
    const period = quarterPeriod(opts.quarter);
    if ('problem' in period) throw invalidInput(period.problem);
    return period;
  }
  if (opts.since === undefined && opts.until === undefined) throw invalidInput('say which period: --quarter 2026Q4, or --since and --until (ISO 8601 instants with a zone)');
  const since = requiredInstant(opts.since, '--since');
  const until = requiredInstant(opts.until, '--until');
  if (until <= since) throw invalidInput(`--until (${opts.until}) must be after --since (${opts.since})`);
  return { since, until, label: `${since.toISOString()} to ${until.toISOString()}` };
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description("The review of a period from the audit store: DORA's four keys per service, month and week, and every release that bent the rules.")
    .option('--quarter <quarter>', 'a calendar quarter in UTC, e.g. 2026Q4')
    .option('--since <instant>', 'ISO 8601 instant with a zone (inclusive)')
    .option('--until <instant>', 'ISO 8601 instant with a zone (exclusive)')
    .option('--service <service>', 'only this service')
    .option('--format <format>', 'text or json', 'text')
    .option('--out <file>', 'also write the report as JSON to this file')
    .option('--html <file>', 'also write it as one self-contained HTML page with charts (opens with no network)')
    .action(async (opts: { quarter?: string; since?: string; until?: string; service?: string; format: string; out?: string; html?: string }) => {
      const period = periodOf(opts);
      if (opts.format !== 'text' && opts.format !== 'json') throw invalidInput(`--format "${opts.format}" is not one of text, json`);
      if (opts.service !== undefined && !SERVICE_NAME.test(opts.service)) throw invalidInput(`--service "${opts.service}" is not a service name (lowercase letters, digits and dashes)`);
      for (const [flag, file] of [['--out', opts.out], ['--html', opts.html]] as const) {
        if (file !== undefined && !existsSync(path.dirname(path.resolve(file)))) throw invalidInput(`${flag} ${file}: the folder ${path.dirname(path.resolve(file))} does not exist; create it or write elsewhere`);
      }
      const report = await withAuditStore((store) => buildReview(store, period, { ...(opts.service ? { service: opts.service } : {}), now: new Date() }));
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (opts.out) writeFileAtomically(opts.out, json);
      if (opts.html) writeFileAtomically(opts.html, renderReviewHtml(report));
      process.stdout.write(opts.format === 'json' ? json : `${renderReview(report)}\n`);
    });
}
