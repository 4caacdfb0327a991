import { BufferPool } from './buffer-pool';
import { MemoryStorage } from './storage/memory-storage';

const MB = 1024 * 1024;

/** A pool on a clock the test moves. */
function poolAt(options: { maxFreeBytes: number; idleMs: number }) {
  let nowMs = 0;
  const pool = new BufferPool({ ...options, now: () => nowMs });
  return { pool, advance: (ms: number) => (nowMs += ms) };
}

describe('BufferPool', () => {
  it('hands back a freed buffer of the same size instead of allocating', () => {
    const { pool } = poolAt({ maxFreeBytes: 10 * MB, idleMs: 1000 });
    const first = pool.take(MB);
    pool.give(first);
    expect(pool.freeBytes).toBe(MB);
    expect(pool.take(MB)).toBe(first);
    expect(pool.take(MB)).not.toBe(first);
    expect(pool.freeBytes).toBe(0);
  });

  it('never keeps more free bytes than its bound', () => {
    const { pool } = poolAt({ maxFreeBytes: 3 * MB, idleMs: 60_000 });
    const frames = Array.from({ length: 32 }, () => pool.take(MB));
    for (const frame of frames) pool.give(frame);
    expect(pool.freeBytes).toBe(3 * MB);
    expect(pool.freeCount(MB)).toBe(3);
    // A buffer larger than the whole bound is never kept.
    pool.give(pool.take(4 * MB));
    expect(pool.freeCount(4 * MB)).toBe(0);
  });

  it('makes room by dropping the sizes least recently taken', () => {
    const { pool, advance } = poolAt({ maxFreeBytes: 4 * MB, idleMs: 60_000 });
    const old = [pool.take(2 * MB), pool.take(2 * MB)];
    advance(10);
    const recent = [pool.take(MB), pool.take(MB), pool.take(MB)];
    for (const b of old) pool.give(b);
    expect(pool.freeBytes).toBe(4 * MB);
    for (const b of recent) pool.give(b);
    expect(pool.freeCount(MB)).toBe(3);
    expect(pool.freeCount(2 * MB)).toBe(0);
    expect(pool.freeBytes).toBe(3 * MB);
  });

  it('drops the buffers of a size not taken recently', () => {
    const { pool, advance } = poolAt({ maxFreeBytes: 100 * MB, idleMs: 1000 });
    const frames4k = Array.from({ length: 4 }, () => pool.take(24 * MB));
    for (const frame of frames4k) pool.give(frame);
    expect(pool.freeBytes).toBe(96 * MB);
    advance(999);
    pool.give(pool.take(MB));
    expect(pool.freeCount(24 * MB)).toBe(4);
    advance(1);
    pool.give(pool.take(MB));
    expect(pool.freeCount(24 * MB)).toBe(0);
    expect(pool.freeBytes).toBe(MB);
  });

  it('keeps only buffers it handed out', () => {
    const { pool } = poolAt({ maxFreeBytes: 10 * MB, idleMs: 1000 });
    pool.take(MB);
    pool.give(Buffer.alloc(MB));
    expect(pool.freeBytes).toBe(0);
  });
});

describe('MemoryStorage', () => {
  it('recycles the buffers of deleted objects through its bounded pool', async () => {
    const storage = new MemoryStorage(new BufferPool({ maxFreeBytes: 2 * MB, idleMs: 60_000 }));
    const keys = ['work/v/frames/0.rgb', 'work/v/frames/1.rgb', 'work/v/frames/2.rgb'];
    const buffers = keys.map(() => storage.allocate(MB));
    for (const [i, key] of keys.entries()) await storage.put(key, buffers[i]!);
    for (const key of keys) await storage.delete(key);
    expect(storage.sizeBytes).toBe(0);
    const reused = [storage.allocate(MB), storage.allocate(MB), storage.allocate(MB)];
    expect(reused.filter((b) => buffers.includes(b))).toHaveLength(2);
  });
});
