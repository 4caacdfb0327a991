import { median, scanRatioMedians } from './median-ratios';

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, whatever the order', () => {
    expect(median([1.61, 1.44, 1.5])).toBe(1.5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});

describe('scanRatioMedians', () => {
  it('gives each K run more than once its ratios in run order and their median, with and without start-up', () => {
    const lines = scanRatioMedians([
      { k: 4, scanMs: 9_000, plainMs: 6_000, startupMs: 1_000 },
      { k: 16, scanMs: 24_000, plainMs: 15_000, startupMs: 1_500 },
      { k: 16, scanMs: 26_000, plainMs: 18_000, startupMs: 1_200 },
      { k: 16, scanMs: 25_000, plainMs: 16_000, startupMs: 1_000 },
    ]);
    expect(lines).toEqual([
      'K=16: scan / plain decode over 3 alternating runs: 1.60, 1.44, 1.56; median 1.56 (w/o start-up: 1.50, 1.38, 1.50; median 1.50)',
    ]);
  });

  it('leaves out the ratio without start-up when a run\'s log did not tell it', () => {
    const lines = scanRatioMedians([
      { k: 8, scanMs: 12_000, plainMs: 8_000, startupMs: undefined },
      { k: 8, scanMs: 11_000, plainMs: 8_000, startupMs: 800 },
    ]);
    expect(lines).toEqual(['K=8: scan / plain decode over 2 alternating runs: 1.50, 1.38; median 1.44']);
  });
});
