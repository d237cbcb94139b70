import { VERSION_PATTERN } from './release-request';

/**
 * The marker by which a migration says it is the contract step of an expand/contract
 * change: it removes what only versions older than `after` need. The rules still report
 * its breaking statements, carrying the marker, so the release can let them through once
 * that version runs everywhere.
 */

/** `-- gantry:contract after=2.4.0`: this migration removes what only versions before 2.4.0 need. */
export interface ContractMarker {
  after: string;
}

const MARKER = /^--\s*gantry:contract\b(.*)$/;
const MARKER_AFTER = /^\s+after=(\S+)\s*$/;

export type ContractMarkerReading = { marker?: ContractMarker } | { problem: string; line: number };

/**
 * The contract marker among the comment lines that lead a migration, before its first
 * statement: `-- gantry:contract after=2.4.0`, where 2.4.0 is the first version that no
 * longer needs what the migration removes. A marker anywhere else is an ordinary comment.
 */
export function readContractMarker(sql: string): ContractMarkerReading {
  const lines = sql.split('\n');
  let marker: ContractMarker | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (text === '') continue;
    if (!text.startsWith('--')) break;
    const match = MARKER.exec(text);
    if (!match) continue;
    const line = i + 1;
    if (marker) return { problem: 'a second gantry:contract marker: give one', line };
    const after = MARKER_AFTER.exec(match[1]);
    if (!after) return { problem: 'the gantry:contract marker needs after=<version>, e.g. `-- gantry:contract after=2.4.0`', line };
    if (!VERSION_PATTERN.test(after[1])) return { problem: `gantry:contract after="${after[1]}" is not a semantic version such as 2.4.0`, line };
    marker = { after: after[1] };
  }
  return marker ? { marker } : {};
}
