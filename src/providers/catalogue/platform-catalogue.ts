import { createHash } from 'node:crypto';
import { parseCatalogue, type LoadedCatalogue } from '../../config/load-catalogue';

/** The catalogue's text as its source holds it. */
export interface CatalogueText {
  text: string;
  /** The commit it was read from, when it is kept in git. */
  revision?: string;
}

/** Where the platform keeps its catalogue: a file on the worker, or a file in a git repository. */
export interface CatalogueSource {
  /** Where it is kept, for logs, status and the catalogue digest record: a path or `<repo>#<ref>:<path>`. */
  readonly location: string;
  /** Folder relative repository paths resolve against; undefined for git-kept catalogues. */
  readonly repositoryBase?: string;
  /** A cheap token that changes when the content may have changed (file: mtime+size+inode; git: resolved commit). */
  changeToken(signal?: AbortSignal): Promise<string>;
  read(signal?: AbortSignal): Promise<CatalogueText>;
}

/** The catalogue releases are admitted against. */
export interface CatalogueInForce {
  catalogue: LoadedCatalogue;
  /** `sha256:<hex>` of the text. */
  digest: string;
  location: string;
  /** The commit it was read from, when it is kept in git. */
  revision?: string;
  /** ISO 8601: when this content came into force. */
  loadedAt: string;
}

export interface CatalogueFailure {
  /** ISO 8601: when this failure was first seen (the same failure seen again keeps its time). */
  at: string;
  /** The ConfigError's message (every issue, one a line), or why the source could not be read. */
  message: string;
  /** Digest of the refused text; absent when the source could not be read at all. */
  digest?: string;
}

export interface CatalogueState {
  inForce?: CatalogueInForce;
  /** The last attempt that failed, while it is newer than inForce. */
  lastError?: CatalogueFailure;
}

export interface CatalogueLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const DEFAULT_CATALOGUE_POLL_MS = 10_000;

/**
 * The platform's service catalogue as the worker holds it. The platform, not whoever
 * starts a release, decides the rules a release gets, so the catalogue lives with the
 * worker and is reloaded when its source changes. A change that does not parse never
 * replaces a good catalogue: a typo pushed to the catalogue must not stop every
 * release, it must be refused loudly while the last good one stays in force.
 */
export class PlatformCatalogue {
  /** Where the catalogue is kept (the source's location), known even before anything loads. */
  readonly location: string;
  private readonly logger: CatalogueLogger;
  private readonly pollMs: number;
  private inForce?: CatalogueInForce;
  private lastError?: CatalogueFailure;
  /**
   * The change token of the last content read, with the failure it earned if it was
   * refused: an unchanged token means there is nothing new to read.
   */
  private lastAttempt?: { token: string; failure?: CatalogueFailure };
  private inFlight?: Promise<CatalogueState>;
  private timer?: NodeJS.Timeout;
  private polling?: AbortController;

  constructor(
    private readonly source: CatalogueSource,
    options: { logger: CatalogueLogger; pollMs?: number },
  ) {
    this.location = source.location;
    this.logger = options.logger;
    this.pollMs = options.pollMs ?? DEFAULT_CATALOGUE_POLL_MS;
    if (!Number.isFinite(this.pollMs) || this.pollMs <= 0) throw new Error(`pollMs must be a positive number of milliseconds, got ${this.pollMs}`);
  }

  /**
   * Loads if the change token moved (or nothing is loaded yet); a failure keeps the
   * last good catalogue in force and is logged with its errors. Never throws.
   * Concurrent calls share one load, which runs with the signal of the call that
   * started it; an aborted load changes nothing and is not reported as a failure.
   */
  refresh(signal?: AbortSignal): Promise<CatalogueState> {
    this.inFlight ??= this.load(signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  current(): CatalogueState {
    return { ...(this.inForce ? { inForce: this.inForce } : {}), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Polls refresh() every pollMs until stop(); the timer does not keep the process alive (unref). */
  start(): void {
    if (this.polling) return;
    const polling = new AbortController();
    this.polling = polling;
    const schedule = () => {
      this.timer = setTimeout(() => {
        // The next poll is scheduled when this one ends, so a slow source never piles polls up.
        void this.refresh(polling.signal).then(() => {
          if (!polling.signal.aborted) schedule();
        });
      }, this.pollMs);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.polling?.abort();
    this.polling = undefined;
  }

  private async load(signal: AbortSignal | undefined): Promise<CatalogueState> {
    let token: string | undefined;
    let digest: string | undefined;
    try {
      token = await this.source.changeToken(signal);
      if (this.inForce && this.lastAttempt?.token === token) {
        // Nothing new to read. The outcome for this token stands again, in case the
        // source was unreadable in between.
        this.lastError = this.lastAttempt.failure;
        return this.current();
      }
      const { text, revision } = await this.source.read(signal);
      signal?.throwIfAborted();
      digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;

      if (this.inForce && digest === this.inForce.digest) {
        // Touched, or a broken change undone: what is in force is the current content.
        this.inForce = { ...this.inForce, ...(revision ? { revision } : {}) };
        this.lastError = undefined;
        this.lastAttempt = { token };
        return this.current();
      }
      if (this.lastError?.digest === digest) {
        // Refused and logged already; parsing it again would only repeat that.
        this.lastAttempt = { token, failure: this.lastError };
        return this.current();
      }

      const catalogue = parseCatalogue(text, { file: this.location, repositoryBase: this.source.repositoryBase });
      const previous = this.inForce?.digest;
      this.inForce = {
        catalogue,
        digest,
        location: this.location,
        ...(revision ? { revision } : {}),
        loadedAt: new Date().toISOString(),
      };
      this.lastError = undefined;
      this.lastAttempt = { token };
      this.logger.info(
        { location: this.location, digest, revision, services: Object.keys(catalogue.catalogue.services), ...(previous ? { replaced: previous } : {}) },
        'catalogue loaded',
      );
    } catch (err) {
      if (signal?.aborted) return this.current();
      this.fail(err, digest);
      // Content that was read and refused need not be read again until the token moves;
      // a source that could not be read is tried again at the next refresh.
      if (token !== undefined && digest !== undefined) this.lastAttempt = { token, failure: this.lastError };
    }
    return this.current();
  }

  /**
   * Records a failed attempt and logs it, once per distinct failure. With a digest the
   * text was read and refused; without one the source could not be read.
   */
  private fail(err: unknown, digest: string | undefined): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.lastError && this.lastError.digest === digest && this.lastError.message === message) return;
    this.lastError = { at: new Date().toISOString(), message, ...(digest ? { digest } : {}) };
    const fields = { location: this.location, errors: message, inForce: this.inForce?.digest };
    if (digest !== undefined) {
      this.logger.error(
        { ...fields, digest },
        this.inForce ? 'catalogue change refused; the last good one stays in force' : 'catalogue refused; no catalogue is in force, so no release is admitted',
      );
    } else if (this.inForce) {
      // The source is unreachable, not wrong: releases go on with the catalogue in force.
      this.logger.warn(fields, 'catalogue source unreadable; the last good one stays in force');
    } else {
      this.logger.error(fields, 'catalogue source unreadable; no catalogue is in force, so no release is admitted');
    }
  }
}
