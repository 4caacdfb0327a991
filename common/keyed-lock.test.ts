import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  it('serialises tasks of one key and lets other keys run alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const task = (name: string, ms: number) => () =>
      new Promise<void>((resolve) => setTimeout(() => { order.push(name); resolve(); }, ms));
    await Promise.all([lock.run('a', task('a1', 30)), lock.run('a', task('a2', 1)), lock.run('b', task('b1', 5))]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
  });

  it('goes on after a failed task', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(lock.run('k', async () => 42)).resolves.toBe(42);
  });
});
