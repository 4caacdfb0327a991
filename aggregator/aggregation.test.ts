import { confidentStrategyScore, ensembleScore, trackMaxScore, verdict } from './aggregation';

describe('trackMaxScore', () => {
  it('is the mean of the most suspicious track, so one fake face in a crowd counts', () => {
    const scores = [
      ...[0.1, 0.2, 0.1].map((score) => ({ trackId: 0, score })),
      ...[0.1, 0.1, 0.1].map((score) => ({ trackId: 1, score })),
      ...[0.9, 0.7, 0.8].map((score) => ({ trackId: 2, score })),
    ];
    expect(trackMaxScore(scores)).toBeCloseTo(0.8, 10);
  });

  it('leaves out single-detection tracks when longer tracks exist', () => {
    const scores = [
      { trackId: 0, score: 0.2 },
      { trackId: 0, score: 0.4 },
      { trackId: 7, score: 0.99 },
    ];
    expect(trackMaxScore(scores)).toBeCloseTo(0.3, 10);
  });

  it('uses single-detection tracks when there is nothing else', () => {
    expect(trackMaxScore([{ trackId: 3, score: 0.6 }, { trackId: 4, score: 0.2 }])).toBeCloseTo(0.6, 10);
  });

  it('has no score without faces', () => {
    expect(trackMaxScore([])).toBeUndefined();
  });
});

describe('confidentStrategyScore (DFDC winner)', () => {
  it('averages the confident fakes when there are more than 11 and more than len/2.5', () => {
    const values = [...Array(12).fill(0.9), ...Array(10).fill(0.1)];
    // floor(22 / 2.5) = 8 < 12 confident fakes, and 12 > 11.
    expect(confidentStrategyScore(values)).toBeCloseTo(0.9, 10);
  });

  it('needs more than 11 confident fakes', () => {
    const values = [...Array(11).fill(0.9), ...Array(2).fill(0.1)];
    expect(confidentStrategyScore(values)).toBeCloseTo((11 * 0.9 + 2 * 0.1) / 13, 10);
  });

  it('averages the confident reals when more than 90 % are below 0.2', () => {
    const values = [...Array(19).fill(0.1), 0.9];
    expect(confidentStrategyScore(values)).toBeCloseTo(0.1, 10);
  });

  it('falls back to the plain mean', () => {
    expect(confidentStrategyScore([0.3, 0.5, 0.7])).toBeCloseTo(0.5, 10);
  });
});

describe('ensemble and verdict', () => {
  it('averages detectors and labels by threshold', () => {
    expect(ensembleScore([0.2, 0.8, 0.5])).toBeCloseTo(0.5, 10);
    expect(verdict(0.5, 0.5)).toBe('FAKE');
    expect(verdict(0.49, 0.5)).toBe('REAL');
    expect(verdict(undefined, 0.5)).toBe('UNKNOWN');
    expect(ensembleScore([])).toBeUndefined();
  });
});
