import type { Command } from 'commander';
import { releaseWorkflowId } from '../../shared/ids';
import { EXIT, invalidInput } from '../exit-codes';
import { withAuditStore } from '../audit-store-access';
import { requiredInstant } from '../zoned-instant';
import { auditEntriesCsv, renderAuditEntries, renderChainReport } from '../render-audit';
import { addAnchor, readAnchors } from '../audit-anchors';

const print = (text: string) => process.stdout.write(`${text}\n`);

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('The audit store: every decision, hash-chained (GANTRY_AUDIT_DATABASE_URL, else PGlite under GANTRY_HOME).');

  audit
    .command('verify')
    .description('Walk the whole chain; exit 0 when intact, 1 naming the first entry that was edited, removed, inserted or reordered.')
    .option('--json', 'print the report as JSON')
    .option('--anchors <file>', 'also check the heads kept in this file (each still at its position), then add the head found to it')
    .action(async (opts: { json?: boolean; anchors?: string }) => {
      const anchors = opts.anchors ? readAnchors(opts.anchors) : [];
      const { report, store } = await withAuditStore(async (s) => ({ report: await s.verify(anchors), store: s.describe }));
      const anchored = opts.anchors && report.intact ? addAnchor(opts.anchors, { position: report.entries, hash: report.head }, new Date()) : false;
      print(opts.json ? JSON.stringify(report, null, 2) : renderChainReport(report, store));
      if (anchored && !opts.json) print(`anchored entry ${report.entries} in ${opts.anchors}`);
      process.exitCode = report.intact ? EXIT.ok : EXIT.unsuccessful;
    });

  audit
    .command('show <service> <version>')
    .description("A release's trail: its own decisions, its rollouts' and its environments' turns and deploys, in chain order.")
    .option('--json', 'print the entries as JSON')
    .action(async (service: string, version: string, opts: { json?: boolean }) => {
      const entries = await withAuditStore((s) => s.forRelease(releaseWorkflowId(service, version)));
      if (!opts.json && entries.length === 0) throw invalidInput(`the audit store holds nothing about ${service} ${version}`);
      print(opts.json ? JSON.stringify(entries, null, 2) : renderAuditEntries(entries));
    });

  audit
    .command('export')
    .description('Every entry whose event happened in [--since, --until), as JSON or CSV.')
    .option('--since <instant>', 'ISO 8601 instant with a zone (inclusive)')
    .option('--until <instant>', 'ISO 8601 instant with a zone (exclusive)')
    .option('--format <format>', 'json or csv', 'json')
    .action(async (opts: { since?: string; until?: string; format: string }) => {
      const since = requiredInstant(opts.since, '--since');
      const until = requiredInstant(opts.until, '--until');
      if (until <= since) throw invalidInput(`--until (${opts.until}) must be after --since (${opts.since})`);
      if (opts.format !== 'json' && opts.format !== 'csv') throw invalidInput(`--format "${opts.format}" is not one of json, csv`);
      const entries = await withAuditStore((s) => s.between(since, until));
      process.stdout.write(opts.format === 'csv' ? auditEntriesCsv(entries) : `${JSON.stringify(entries, null, 2)}\n`);
    });
}
