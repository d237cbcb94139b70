import { mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonLinesAuditSink } from '../../src/providers/audit/json-lines-audit-sink';
import { LoggingAuditSink } from '../../src/providers/audit/logging-audit-sink';
import type { Recorded } from '../../src/shared/decision-events';

const origin = { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'run-1' };
const approve: Recorded = { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted', seq: 7, at: '2026-12-01T10:00:00.000Z', workflowId: 'release/web/1.0.0' };
const refused: Recorded = { kind: 'message', message: 'abort', by: 'eve', via: 'signal', result: 'refused', refusal: 'eve is not an approver', seq: 8, at: '2026-12-01T10:00:01.000Z', workflowId: 'release/web/1.0.0' };

describe('audit sinks', () => {
  test('the JSON-lines sink appends one whole line per decision, with where it came from, creating its folder', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-audit-')), 'nested', 'decisions.jsonl');
    const sink = new JsonLinesAuditSink(file);
    sink.record(approve, origin);
    sink.record(refused, origin);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { ...origin, ...approve },
      { ...origin, ...refused },
    ]);
  });

  test('a JSON-lines sink that cannot write reports the error instead of throwing (a workflow task must not fail on it)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-audit-'));
    const file = path.join(dir, 'is-a-folder');
    mkdirSync(file);
    const errors: Error[] = [];
    const sink = new JsonLinesAuditSink(file, (e) => errors.push(e));
    expect(() => sink.record(approve, origin)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/EISDIR/);
  });

  test('the logging sink writes each decision as one structured line', () => {
    const lines: [string, Record<string, unknown>][] = [];
    new LoggingAuditSink({ info: (message, meta) => lines.push([message, meta]) }).record(refused, origin);
    expect(lines).toEqual([['decision', { audit: refused, ...origin }]]);
  });
});
