import type { BlobRef, RawImage } from '../common';
import { SharedCrops } from './shared-crops';

const blob = (offset: number, key = 'work/v/c/crops/256px-m200.webp'): BlobRef => ({ key, format: 'webp', width: 4, height: 4, offset });
const image = (fill: number): RawImage => ({ data: Buffer.alloc(48, fill), width: 4, height: 4, channels: 3 });

/** A decoder that counts its calls. */
function counting(fill = 1) {
  const calls = { n: 0 };
  return { calls, decode: async () => { calls.n++; return image(fill); } };
}

describe('SharedCrops', () => {
  it('decodes a crop once for the detectors that share it, then lets it go', async () => {
    const crops = new SharedCrops(2);
    const { calls, decode } = counting();
    const [a, b] = await Promise.all([crops.take(blob(0), decode), crops.take(blob(0), decode)]);
    expect(a).toBe(b);
    expect(calls.n).toBe(1);
    expect(crops.heldBytes).toBe(0);
    // Taken by both: a third take (a redelivery) decodes again.
    await crops.take(blob(0), decode);
    expect(calls.n).toBe(2);
    // Another offset in the same pack is another crop.
    await crops.take(blob(100), decode);
    expect(calls.n).toBe(3);
  });

  it('keeps a crop not yet taken by every detector within its byte budget and age, never a failed decode', async () => {
    let now = 0;
    const crops = new SharedCrops(2, 100, 1000, () => now);
    for (const offset of [0, 100, 200]) await crops.take(blob(offset), counting().decode);
    // 48 bytes each: the oldest went to keep 100.
    expect(crops.heldBytes).toBe(96);
    const again = counting();
    await crops.take(blob(0), again.decode);
    await crops.take(blob(200), again.decode);
    expect(again.calls.n).toBe(1); // offset 0 decoded again, offset 200 shared

    // Offset 0 is still held (its second detector has not taken it), but too old to trust.
    expect(crops.heldBytes).toBe(48);
    now = 1500;
    const late = counting();
    await crops.take(blob(0), late.decode);
    expect(late.calls.n).toBe(1);

    const failing = async (): Promise<RawImage> => { throw new Error('cut short'); };
    await expect(crops.take(blob(300), failing)).rejects.toThrow('cut short');
    const retried = counting(7);
    expect((await crops.take(blob(300), retried.decode)).data[0]).toBe(7);
  });

  it('does not hold anything for a detector that shares its crops with no other', async () => {
    const crops = new SharedCrops(1);
    const { calls, decode } = counting();
    await crops.take(blob(0), decode);
    await crops.take(blob(0), decode);
    expect(calls.n).toBe(2);
    expect(crops.heldBytes).toBe(0);
  });
});
