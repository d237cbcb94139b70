import type { AuditEntry, ChainReport } from '../providers/audit/audit-store';

/** One line per entry: where it sits in the chain, when, which workflow and event, and what it says. */
export function renderAuditEntries(entries: AuditEntry[]): string {
  if (entries.length === 0) return 'no entries';
  return entries
    .map((e) => {
      const { seq, at, workflowId, kind } = e.event;
      return `${String(e.position).padStart(6)}  ${at}  ${workflowId} ${seq === 0 ? 'refused' : `#${seq}`}  ${kind}${gist(e)}`;
    })
    .join('\n');
}

/** The few fields a person reads first, per kind of event. */
function gist(entry: AuditEntry): string {
  const e = entry.event as unknown as Record<string, unknown>;
  const parts = ['stage', 'message', 'by', 'result', 'refusal', 'reason', 'environment', 'version', 'outcome', 'phase', 'verdict', 'host']
    .filter((k) => typeof e[k] === 'string' || typeof e[k] === 'number')
    .map((k) => `${k}=${String(e[k])}`);
  return parts.length > 0 ? `  ${parts.join(' ')}` : '';
}

export function renderChainReport(report: ChainReport, store: string): string {
  if (report.intact) {
    const anchors = report.anchorsChecked ? `; ${report.anchorsChecked} anchor${report.anchorsChecked === 1 ? '' : 's'} kept outside it match` : '';
    return `intact: ${report.entries} entries in ${store}, head ${report.head}${anchors}`;
  }
  const { position, key, problem } = report.firstBad;
  return `NOT intact: ${problem}${key ? ` (entry ${position}: ${key})` : ''}; ${report.entries} entries before it are intact (${store})`;
}

const CSV_COLUMNS = ['position', 'at', 'workflow_id', 'run_id', 'seq', 'kind', 'release', 'workflow_type', 'namespace', 'hash', 'prev_hash', 'event'] as const;

/** RFC 4180 CSV with a header; `event` is the whole event as JSON. */
export function auditEntriesCsv(entries: AuditEntry[]): string {
  const rows = entries.map((e) =>
    [e.position, e.event.at, e.event.workflowId, e.runId, e.event.seq, e.event.kind, e.release ?? '', e.workflowType, e.namespace, e.hash, e.prevHash, JSON.stringify(e.event)].map(csvField).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
