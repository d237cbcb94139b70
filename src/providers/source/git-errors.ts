/**
 * What can go wrong when Gantry reads a git repository, one class per remedy, so callers
 * can turn each into a clear refusal instead of a retry.
 */

/** Git could not fetch the repository: the URL, the worker's credentials or its network is the problem. */
export class RepositoryUnreachableError extends Error {
  constructor(
    readonly repository: string,
    /** The last lines git wrote to stderr, or why it was stopped. */
    readonly detail: string,
  ) {
    super(
      `could not fetch ${repository}: git said:\n${indent(detail)}\n` +
        'Check that the URL is right, that the worker has credentials for it (ssh key, credential helper) ' +
        'and that the worker can reach it over the network.',
    );
    this.name = 'RepositoryUnreachableError';
  }
}

/** A commit, short SHA or tag that the repository does not have (or does not name unambiguously). */
export class UnknownCommitError extends Error {
  constructor(
    readonly repository: string,
    readonly commitish: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnknownCommitError';
  }
}

/** A branch, tag or SHA that `readFile` cannot find. */
export class UnknownRefError extends Error {
  constructor(
    readonly repository: string,
    readonly ref: string,
    /** A few branches and tags that do exist, to put in the message. */
    existing: readonly string[],
    /** What is wrong with `ref`, when it is more than its absence (an ambiguous short SHA). */
    problem?: string,
  ) {
    super(
      (problem ?? `${repository} has no branch, tag or commit "${ref}"`) +
        (existing.length > 0 ? `; it has for example: ${existing.join(', ')}` : '; it has no branches or tags at all'),
    );
    this.name = 'UnknownRefError';
  }
}

/** The ref exists but holds no file at that path (or the path is a folder, a link or a submodule). */
export class FileNotInRepositoryError extends Error {
  constructor(
    readonly repository: string,
    readonly ref: string,
    readonly path: string,
    reason = 'there is no such file',
  ) {
    super(`cannot read ${path} from ${repository} at ${ref}: ${reason}`);
    this.name = 'FileNotInRepositoryError';
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
