/**
 * Dynamic batching: items submitted from any number of videos are run together, up to
 * `maxBatchSize` at a time, waiting at most `maxWaitMs` for a batch to fill. One batch
 * runs at a time; items arriving meanwhile form the next one. When a batch fails, its
 * items are run again one at a time, so one bad item fails alone and the items of other
 * submitters (other videos) sharing its batch still get their results.
 */
export interface DynamicBatcherOptions {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Told when a batch of several items failed and its items are about to be run one by one. */
  onBatchFailed?: (error: unknown, batchSize: number) => void;
}

/** Runs a whole batch; must return one result per item, in order. */
export type BatchRunner<I, O> = (items: I[]) => Promise<O[]>;

interface Pending<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export class DynamicBatcher<I, O> {
  private queue: Array<Pending<I, O>> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private deadlinePassed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runBatch: BatchRunner<I, O>,
    private readonly options: DynamicBatcherOptions,
  ) {
    if (options.maxBatchSize < 1) throw new Error('maxBatchSize must be at least 1');
  }

  /** Queues one item; resolves with its result once its batch has run. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Queues several items (they may land in different batches). */
  submitAll(items: I[]): Promise<O[]> {
    return Promise.all(items.map((item) => this.submit(item)));
  }

  /** Items waiting for a batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs whatever is queued without waiting, and resolves when nothing is left. */
  async drain(): Promise<void> {
    this.deadlinePassed = true;
    this.schedule();
    if (!this.running && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatchSize || this.deadlinePassed || this.options.maxWaitMs === 0) {
      void this.runNext();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.deadlinePassed = true;
        this.schedule();
      }, this.options.maxWaitMs);
    }
  }

  private async runNext(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    // A new deadline starts for whatever is left, unless it is already a full batch.
    this.deadlinePassed = false;
    try {
      await this.settle(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
      } else {
        this.options.onBatchFailed?.(error, batch.length);
        // Still one batch at a time: the items run in turn, each settled by its own outcome.
        for (const p of batch) await this.settle([p]).catch(p.reject);
      }
    } finally {
      this.running = false;
      if (this.queue.length > 0) {
        // Items that waited through a whole batch have waited long enough.
        this.deadlinePassed = true;
        this.schedule();
      } else {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  /** Runs `batch` and resolves each item with its result; throws (settling nothing) if the run fails. */
  private async settle(batch: Array<Pending<I, O>>): Promise<void> {
    const results = await this.runBatch(batch.map((p) => p.item));
    if (results.length !== batch.length) {
      throw new Error(`batch runner returned ${results.length} results for ${batch.length} items`);
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
