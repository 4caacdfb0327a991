/**
 * The handler calls a consumer has running, each with the abort signal it was given, so
 * that stopping can be graceful first and firm after: wait for them within a grace time,
 * then abort the rest (they hand their messages back) and wait for that too.
 */
import { ShutdownError } from './errors';

/** Once aborted, how long handlers get to hand their messages back before we stop waiting. */
export const DEFAULT_ABORT_WAIT_MS = 10_000;

export class InFlightHandlers {
  private readonly runs = new Map<Promise<void>, AbortController>();

  /** Handler calls still running. */
  get size(): number {
    return this.runs.size;
  }

  /** Runs `task` with a fresh signal and tracks it until it settles (it must not reject). */
  track(task: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const run = task(controller.signal);
    this.runs.set(run, controller);
    void run.finally(() => this.runs.delete(run));
    return run;
  }

  /**
   * Waits for the running calls, at most `graceMs` (no limit when absent); then aborts
   * those left with a `ShutdownError` and waits at most `abortWaitMs` more. Resolves
   * with the number of calls that were still running after that.
   */
  async drain(graceMs?: number, abortWaitMs = DEFAULT_ABORT_WAIT_MS): Promise<number> {
    if (this.runs.size === 0) return 0;
    if (!(await settledWithin([...this.runs.keys()], graceMs))) {
      const reason = new ShutdownError('the worker is shutting down and its grace time is over');
      for (const controller of this.runs.values()) controller.abort(reason);
      await settledWithin([...this.runs.keys()], abortWaitMs);
    }
    return this.runs.size;
  }
}

/** Whether every promise settled within `ms` (waits without limit when `ms` is absent). */
async function settledWithin(promises: Promise<unknown>[], ms?: number): Promise<boolean> {
  const all = Promise.allSettled(promises).then(() => true);
  if (ms === undefined) return all;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
