import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../providers/write-file-atomically';
import type { ChainAnchor } from '../providers/audit/audit-chain';
import { invalidInput } from './exit-codes';

/**
 * A file of chain heads kept outside the audit store (`gantry audit verify --anchors
 * FILE`): one `<position> <sha256> <when verified>` per line, `#` for comments. Each
 * verify checks the chain still has every anchored hash at its position, then adds the
 * head it found. Keep the file where whoever can write the database cannot (a repository,
 * a ticket, a WORM bucket): the chain alone cannot show a history rewritten from an entry
 * on with every hash recomputed; an anchor kept elsewhere can.
 *
 * Example line: `1042 9f2c…e1 2026-12-01T09:00:00.000Z`.
 */

const LINE = /^(\d+)\s+([0-9a-f]{64})(?:\s+(\S+))?$/;

/** The anchors in `file`; none when it does not exist yet. A line that is not an anchor is exit 2, naming it. */
export function readAnchors(file: string): ChainAnchor[] {
  if (!existsSync(file)) return [];
  const anchors: ChainAnchor[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const match = LINE.exec(line);
      if (!match || Number(match[1]) < 1) {
        throw invalidInput(`${file}:${index + 1}: "${line}" is not an anchor; each line is "<position> <sha256 hex> [when]", as gantry audit verify --anchors writes them`);
      }
      anchors.push({ position: Number(match[1]), hash: match[2] });
    });
  const seen = new Map<number, string>();
  for (const anchor of anchors) {
    const earlier = seen.get(anchor.position);
    if (earlier !== undefined && earlier !== anchor.hash) throw invalidInput(`${file}: entry ${anchor.position} is anchored twice with different hashes; the file itself was edited`);
    seen.set(anchor.position, anchor.hash);
  }
  return anchors;
}

/** Adds the head to the file unless it is anchored already; the file is replaced whole, never left half-written. */
export function addAnchor(file: string, head: ChainAnchor, at: Date): boolean {
  const anchors = readAnchors(file);
  if (head.position === 0 || anchors.some((a) => a.position === head.position)) return false;
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '# gantry audit anchors: <position> <sha256> <verified at>; keep this file where the database\'s writers cannot change it\n';
  writeFileAtomically(file, `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${head.position} ${head.hash} ${at.toISOString()}\n`);
  return true;
}
