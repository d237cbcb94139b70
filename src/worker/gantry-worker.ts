import type { Worker } from '@temporalio/worker';

/**
 * The SDK Workers of one `gantry worker` process (the shared task queue's and this
 * host's own), run and stopped together: a process that polls only one of them would
 * take work it cannot finish, or leave its machine's work unserved.
 */
export class GantryWorker {
  constructor(
    /** This machine's host identity. */
    readonly host: string,
    /** The task queue of this host's machine-local work. */
    readonly hostTaskQueue: string,
    private readonly workers: Worker[],
    /** What to let finish or go of once every Worker has stopped: notifications in flight (briefly), the audit store the worker opened. */
    private readonly afterStop?: () => Promise<void>,
  ) {}

  /** Runs until shutdown (a signal the SDK runtime handles, or `shutdown()`); one failing stops the others. */
  async run(): Promise<void> {
    const runs = this.workers.map((worker) =>
      worker.run().catch((err: unknown) => {
        this.shutdown();
        throw err;
      }),
    );
    const ended = await Promise.allSettled(runs);
    await this.afterStop?.().catch(() => undefined);
    const failed = ended.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Runs while `until` (a promise, or a function returning one) is pending, then stops and returns its value. */
  async runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    const work = typeof until === 'function' ? until() : until;
    try {
      return await Promise.race([
        work,
        running.then(() => {
          throw new Error('the worker stopped before its work was done');
        }),
      ]);
    } finally {
      this.shutdown();
      await running;
    }
  }

  /** Starts a graceful shutdown of every Worker still running. */
  shutdown(): void {
    for (const worker of this.workers) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }
}
