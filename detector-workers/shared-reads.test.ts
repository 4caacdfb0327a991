import { MemoryStorage } from '../common';
import { SharedReads } from './shared-reads';

class CountingStorage extends MemoryStorage {
  gets = 0;
  override async get(key: string): Promise<Buffer> {
    this.gets++;
    return super.get(key);
  }
}

describe('SharedReads', () => {
  it('reads an object once for every detector that asks for it, and again once it expired or changed', async () => {
    const storage = new CountingStorage();
    let now = 0;
    const reads = new SharedReads(storage, 1024, 1000, () => now);
    await storage.put('work/v/c/crops/256-0.2.rgb', Buffer.alloc(100, 1));
    const [a, b] = await Promise.all([reads.get('work/v/c/crops/256-0.2.rgb'), reads.get('work/v/c/crops/256-0.2.rgb')]);
    expect(a).toBe(b);
    expect(storage.gets).toBe(1);
    now = 1500;
    await reads.get('work/v/c/crops/256-0.2.rgb');
    expect(storage.gets).toBe(2);
    await reads.put('work/v/c/crops/256-0.2.rgb', Buffer.alloc(100, 2));
    expect((await reads.get('work/v/c/crops/256-0.2.rgb'))[0]).toBe(2);
    expect(storage.gets).toBe(3);
  });

  it('keeps at most its byte budget, dropping the oldest objects, and never keeps a failed read', async () => {
    const storage = new CountingStorage();
    const reads = new SharedReads(storage, 250);
    for (const n of [1, 2, 3]) await storage.put(`k${n}`, Buffer.alloc(100, n));
    for (const n of [1, 2, 3]) await reads.get(`k${n}`);
    await reads.get('k3');
    await reads.get('k1');
    expect(storage.gets).toBe(4); // k1 was dropped for k3, k3 was kept
    await expect(reads.get('missing')).rejects.toThrow(/no object/);
    await storage.put('missing', Buffer.from('now here'));
    expect((await reads.get('missing')).toString()).toBe('now here');
  });
});
