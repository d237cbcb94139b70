/** A deadline that was added; cancel it once its request is done. */
export interface Deadline {
  cancel(): void;
}

interface Entry {
  expiresAt: number;
  onExpiry: () => void;
}

/**
 * Time-outs for requests in flight, checked by one timer every `sweepMs` rather than a
 * timer per request: the router forwards thousands of requests a second, and arming and
 * clearing a timer for each costs more than the rare time-out it catches. A request
 * therefore times out between `timeoutMs` and `timeoutMs + sweepMs` after it started.
 */
export class InFlightDeadlines {
  readonly timeoutMs: number;
  private readonly entries = new Set<Entry>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(timeoutMs: number, sweepMs: number, now: () => number = Date.now) {
    this.timeoutMs = timeoutMs;
    this.now = now;
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref();
  }

  add(onExpiry: () => void): Deadline {
    const entry: Entry = { expiresAt: this.now() + this.timeoutMs, onExpiry };
    this.entries.add(entry);
    return { cancel: () => this.entries.delete(entry) };
  }

  /** Runs the expiry of every deadline that has passed; public so tests need not wait for the timer. */
  sweep(): void {
    const now = this.now();
    // Every deadline is `timeoutMs` after its start, so insertion order is expiry order.
    for (const entry of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(entry);
      entry.onExpiry();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.entries.clear();
  }
}
