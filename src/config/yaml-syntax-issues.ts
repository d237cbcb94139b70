import type { LineCounter, YAMLError } from 'yaml';
import type { ConfigIssue } from './config-error';

/** What usually causes the YAML errors people hit in a hand-written file, by error code. */
const LIKELY_FIX: Partial<Record<string, string>> = {
  BLOCK_AS_IMPLICIT_KEY: 'if a value contains ": ", put it in quotes',
  DUPLICATE_KEY: 'remove or rename one of them',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'line the keys of one object up in the same column',
  MISSING_CHAR: 'close the quote or bracket that was opened',
};

/** YAML parse errors as config issues at the line and column the parser stopped. */
export function yamlSyntaxIssues(errors: readonly YAMLError[], lineCounter: LineCounter): ConfigIssue[] {
  return errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const fix = LIKELY_FIX[error.code];
    return { path: '', line, column: col, message: `YAML syntax error: ${error.message}${fix ? `; ${fix}` : ''}` };
  });
}
