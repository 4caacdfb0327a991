import { DynamicBatcher } from './dynamic-batcher';

function recordingRunner(delayMs = 0) {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push([...items]);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return items.map((i) => i * 10);
  };
  return { batches, run };
}

describe('DynamicBatcher', () => {
  it('runs a full batch at once without waiting for the deadline', async () => {
    const { batches, run } = recordingRunner();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 4, maxWaitMs: 60_000 });
    const results = await batcher.submitAll([1, 2, 3, 4]);
    expect(results).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('runs a partial batch when the wait time is over', async () => {
    const { batches, run } = recordingRunner();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxWaitMs: 10 });
    expect(await batcher.submitAll([1, 2, 3])).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('fills batches with items from several submitters (videos)', async () => {
    const { batches, run } = recordingRunner(5);
    const batcher = new DynamicBatcher(run, { maxBatchSize: 4, maxWaitMs: 50 });
    const videoA = batcher.submitAll([1, 2, 3]);
    const videoB = batcher.submitAll([4, 5, 6]);
    expect(await videoA).toEqual([10, 20, 30]);
    expect(await videoB).toEqual([40, 50, 60]);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6]]);
  });

  it('never runs more than maxBatchSize items and one batch at a time', async () => {
    let running = 0;
    let maxRunning = 0;
    const sizes: number[] = [];
    const batcher = new DynamicBatcher(async (items: number[]) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return items;
    }, { maxBatchSize: 5, maxWaitMs: 1 });
    const all = Array.from({ length: 23 }, (_, i) => i);
    expect(await batcher.submitAll(all)).toEqual(all);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(23);
    expect(maxRunning).toBe(1);
  });

  it('runs a failed batch again item by item: only the bad item fails, its batch mates get results', async () => {
    const { batches, run } = recordingRunner();
    const failures: Array<[string, number]> = [];
    const batcher = new DynamicBatcher(
      async (items: number[]) => {
        if (items.includes(13)) throw new Error(`item 13 is bad (batch of ${items.length})`);
        return run(items);
      },
      { maxBatchSize: 4, maxWaitMs: 60_000, onBatchFailed: (error, size) => failures.push([(error as Error).message, size]) },
    );
    const videoA = batcher.submitAll([1, 2]);
    const videoB = batcher.submitAll([13, 4]);
    expect(await videoA).toEqual([10, 20]);
    await expect(videoB).rejects.toThrow('item 13 is bad (batch of 1)');
    expect(batches).toEqual([[1], [2], [4]]);
    expect(failures).toEqual([['item 13 is bad (batch of 4)', 4]]);
    expect(await batcher.submit(5)).toBe(50);
  });

  it('rejects every item of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const batcher = new DynamicBatcher(async (items: number[]) => {
      if (fail) throw new Error('inference failed');
      return items;
    }, { maxBatchSize: 2, maxWaitMs: 0 });
    await expect(batcher.submitAll([1, 2])).rejects.toThrow('inference failed');
    fail = false;
    expect(await batcher.submitAll([3])).toEqual([3]);
  });

  it('drain runs what is queued without waiting for the deadline', async () => {
    const { batches, run } = recordingRunner();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxWaitMs: 60_000 });
    const pending = batcher.submitAll([1, 2]);
    await batcher.drain();
    expect(await pending).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
  });
});
