import type { AuditEntry, ChainReport } from '../providers/audit/audit-store';
import { type ComplianceReport, complianceReport } from './compliance';
import { type DoraReport, doraReport } from './dora';
import type { ReviewPeriod } from './period';
import { releaseTrails } from './release-trail';

/** The quarterly review as data: the figures, the compliance findings and whether the record they come from is intact. */
export interface ReviewReport {
  period: { since: string; until: string; label: string };
  service?: string;
  /** Whether the audit chain verified when the report was made; a broken chain is said first. */
  chain: ChainReport;
  /** Releases with a decision in the period. */
  releases: number;
  dora: DoraReport;
  compliance: ComplianceReport;
  generatedAt: string;
}

/** What the review reads from the audit store (an interface, so the review is tested on a seeded store). */
export interface ReviewSource {
  between(since: Date, until: Date): Promise<AuditEntry[]>;
  forRelease(releaseWorkflowId: string): Promise<AuditEntry[]>;
  verify(): Promise<ChainReport>;
}

/**
 * Reads the period's entries, then each release's whole trail (a release admitted before
 * the period and done in it counts by when it was done), and makes the report.
 */
export async function buildReview(source: ReviewSource, period: ReviewPeriod, options: { service?: string; now: Date }): Promise<ReviewReport> {
  const chain = await source.verify();
  const ofService = (release: string | undefined) => release !== undefined && (!options.service || release.startsWith(`release/${options.service}/`));
  const periodEntries = (await source.between(period.since, period.until)).filter((e) => !options.service || ofService(e.release));
  const releases = [...new Set(periodEntries.flatMap((e) => (ofService(e.release) ? [e.release!] : [])))].sort();
  const trailEntries: AuditEntry[] = [];
  for (const release of releases) trailEntries.push(...(await source.forRelease(release)));
  // An explicit rollback names the release it replaced, which may have shipped before the period.
  const trails = releaseTrails(trailEntries);
  const replaced = new Set(trails.flatMap((t) => t.rollbacks.map((r) => `release/${t.service}/${r.replaces}`)).filter((id) => !releases.includes(id)));
  for (const release of replaced) trailEntries.push(...(await source.forRelease(release)));
  const allTrails = replaced.size ? releaseTrails(trailEntries) : trails;
  return {
    period: { since: period.since.toISOString(), until: period.until.toISOString(), label: period.label },
    ...(options.service ? { service: options.service } : {}),
    chain,
    releases: releases.length,
    dora: doraReport(allTrails, period.since, period.until),
    compliance: complianceReport(allTrails, periodEntries, period.since, period.until),
    generatedAt: options.now.toISOString(),
  };
}
