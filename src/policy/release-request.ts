import { SERVICE_NAME_PATTERN } from '../shared/names';
import { RISKS } from './change-window';

/**
 * Checks a release request before anything starts. Returns every problem, each naming
 * its field, so the CLI can print them all at once and start nothing.
 */

/** Semantic version, optionally with a leading v, pre-release and build metadata: 1.4.2, v2.0.0-rc.1. */
export const VERSION_PATTERN = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** A git commit: 7 to 40 hex digits (short or full SHA-1), or 64 (SHA-256). */
export const COMMIT_PATTERN = /^([0-9a-f]{7,40}|[0-9a-f]{64})$/;
/**
 * A tag name as git allows it, conservatively: no spaces, no `..`, no `@{`, no leading
 * `-` or `/`, no trailing `.lock`, `/` or `.`. The worker resolves it to a commit.
 */
const TAG_PATTERN = /^(?!-)(?!\/)(?!.*\.\.)(?!.*@\{)(?!.*\.lock$)(?!.*[/.]$)[A-Za-z0-9._/+-]{1,200}$/;

/** Whether `value` can name a commit: a SHA, or a tag the worker will resolve. */
export function isCommitish(value: string): boolean {
  return COMMIT_PATTERN.test(value) || TAG_PATTERN.test(value);
}
const AUTHOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export interface RequestProblem {
  field: 'service' | 'version' | 'commit' | 'author' | 'risk' | 'reason';
  message: string;
}

export function checkReleaseRequest(req: {
  service?: string;
  version?: string;
  commit?: string;
  author?: string;
  risk?: string;
  /** An explicit rollback (may replace a newer version): its reason is required. */
  rollback?: { reason?: string };
}): RequestProblem[] {
  const problems: RequestProblem[] = [];
  if (!req.service) problems.push({ field: 'service', message: 'is required (--service web)' });
  else if (!SERVICE_NAME_PATTERN.test(req.service)) {
    problems.push({ field: 'service', message: `"${req.service}" is not a service name (lower-case letters, digits and -)` });
  }
  if (!req.version) problems.push({ field: 'version', message: 'is required (--version 1.4.2)' });
  else if (!VERSION_PATTERN.test(req.version)) {
    problems.push({ field: 'version', message: `"${req.version}" is not a semantic version; write MAJOR.MINOR.PATCH such as 1.4.2 or 2.0.0-rc.1` });
  }
  if (!req.commit) problems.push({ field: 'commit', message: 'is required (--commit <git sha or tag>)' });
  else if (!isCommitish(req.commit)) {
    problems.push({ field: 'commit', message: `"${req.commit}" is neither a git commit SHA (7 to 40 lower-case hex digits) nor a tag name; pass e.g. $GITHUB_SHA or v1.4.2` });
  }
  if (!req.author) problems.push({ field: 'author', message: 'is required (--author <user>)' });
  else if (!AUTHOR_PATTERN.test(req.author)) {
    problems.push({ field: 'author', message: `"${req.author}" is not a user name (letters, digits, . _ @ -)` });
  }
  if (req.risk !== undefined && !(RISKS as readonly string[]).includes(req.risk)) {
    problems.push({ field: 'risk', message: `"${req.risk}" is not a risk; use ${RISKS.join(', ')} (deploy windows hold the risks the change policy names)` });
  }
  if (req.rollback !== undefined && !req.rollback.reason?.trim()) {
    problems.push({ field: 'reason', message: 'is required with --rollback: say why the older version goes back (it is recorded and shown)' });
  }
  return problems;
}
