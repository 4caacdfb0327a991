import { sampleFrameIndices } from './index';
import { sampleTimes, timeSelectFilter } from './frame-sampling';

describe('sampleFrameIndices', () => {
  it('spreads N frames uniformly, one from the middle of each equal segment', () => {
    const indices = sampleFrameIndices(300, 32);
    expect(indices).toHaveLength(32);
    expect(indices[0]).toBe(4);
    expect(indices[31]).toBe(295);
    const gaps = indices.slice(1).map((n, i) => n - indices[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10);
  });

  it('returns distinct ascending ordinals within range', () => {
    for (const [frames, count] of [[33, 32], [64, 32], [1000, 7], [10_000, 32]] as const) {
      const indices = sampleFrameIndices(frames, count);
      expect(indices).toHaveLength(count);
      expect(indices.every((n, i) => i === 0 || n > indices[i - 1]!)).toBe(true);
      expect(indices[0]).toBeGreaterThanOrEqual(0);
      expect(indices[count - 1]).toBeLessThan(frames);
    }
  });

  it('returns every frame once when the video has no more frames than asked for', () => {
    expect(sampleFrameIndices(10, 32)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sampleFrameIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('takes the middle frame when N = 1', () => {
    expect(sampleFrameIndices(300, 1)).toEqual([150]);
    expect(sampleFrameIndices(1, 1)).toEqual([0]);
  });

  it('returns nothing for an empty video or N = 0', () => {
    expect(sampleFrameIndices(0, 32)).toEqual([]);
    expect(sampleFrameIndices(300, 0)).toEqual([]);
  });
});

describe('sampleTimes and timeSelectFilter', () => {
  it('spreads the times uniformly, one in the middle of each segment', () => {
    expect(sampleTimes(10, 4)).toEqual([1.25, 3.75, 6.25, 8.75]);
    expect(sampleTimes(0, 4)).toEqual([]);
    expect(sampleTimes(10, 0)).toEqual([]);
  });

  it('takes a frame when a sampling time falls since the previous frame', () => {
    expect(timeSelectFilter([0.5])).toBe('select=gt((isnan(prev_t)+gt(0.500000\\,prev_t))*lte(0.500000\\,t)\\,0)');
  });
});
