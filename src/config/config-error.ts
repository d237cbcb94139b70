/** One problem in a config file, located as precisely as the file allows. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `services.web.approval.minApprovals`; empty for the file itself. */
  path: string;
  /** 1-based line of the offending YAML node, when the problem has a place in the file. */
  line?: number;
  /** 1-based column of the offending YAML node. */
  column?: number;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * Formats an issue the way compilers do (`gantry.yaml:12:5 services.web.build: ...`) so
 * editors and CI logs turn it into a link to the line.
 */
export function formatConfigIssue(displayFile: string, issue: ConfigIssue): string {
  let location = displayFile;
  if (issue.line !== undefined) {
    location += `:${issue.line}`;
    if (issue.column !== undefined) location += `:${issue.column}`;
  }
  return issue.path ? `${location} ${issue.path}: ${issue.message}` : `${location}: ${issue.message}`;
}

/**
 * A config file that cannot be used. The message lists every issue, one a line, so a
 * person fixes them all in one pass instead of one per run.
 */
export class ConfigError extends Error {
  constructor(
    /** Absolute path of the file the issues are about. */
    readonly file: string,
    readonly issues: ConfigIssue[],
    /** How the file is named in messages, e.g. `gantry.yaml`; defaults to `file`. */
    readonly displayFile: string = file,
  ) {
    super(issues.map((issue) => formatConfigIssue(displayFile, issue)).join('\n'));
    this.name = 'ConfigError';
  }
}
