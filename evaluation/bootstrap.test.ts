import { rocAuc } from './binary-metrics';
import { bootstrapEstimate, percentileInterval, stratifiedResamples } from './bootstrap';
import { sigmoid } from '../aggregator';
import { fitLogistic, predictLogistic } from './logistic-regression';

describe('bootstrap', () => {
  const labels = [0, 0, 0, 1, 1, 1, 1];
  const scores = [0.1, 0.6, 0.3, 0.7, 0.4, 0.9, 0.8];

  it('repeats with the same seed, differs with another, and keeps each class at its size', () => {
    const a = stratifiedResamples(labels, { resamples: 50, seed: 7 });
    expect(stratifiedResamples(labels, { resamples: 50, seed: 7 })).toEqual(a);
    expect(stratifiedResamples(labels, { resamples: 50, seed: 8 })).not.toEqual(a);
    for (const rows of a) {
      expect(rows.filter((i) => labels[i] === 1)).toHaveLength(4);
      expect(rows.filter((i) => labels[i] === 0)).toHaveLength(3);
    }
  });

  it('gives the statistic on the sample with a 95 % interval around it', () => {
    const draws = stratifiedResamples(labels, { resamples: 500, seed: 1 });
    const estimate = bootstrapEstimate(draws, labels.length, (rows) => rocAuc(rows.map((i) => scores[i]!), rows.map((i) => labels[i]!)));
    expect(estimate.value).toBeCloseTo(11 / 12, 12); // 11 of 12 fake/real pairs in order
    const [lo, hi] = estimate.ci95!;
    expect(lo).toBeLessThan(estimate.value);
    expect(hi).toBe(1);
    expect(lo).toBeGreaterThan(0.5);
  });

  it('takes the 2.5th and 97.5th percentiles, ignoring undefined values', () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    expect(percentileInterval([...values, NaN])).toEqual([2.5, 97.5]);
    expect(percentileInterval([NaN])).toBeNull();
  });
});

describe('logistic regression', () => {
  it('recovers the coefficients that generated soft targets', () => {
    const x = [-2, -1, 0, 1, 2].map((v) => [v]);
    const t = x.map(([v]) => sigmoid(0.5 + 1.5 * v!));
    const model = fitLogistic(x, t, { l2: 0 });
    expect(model.intercept).toBeCloseTo(0.5, 6);
    expect(model.weights[0]).toBeCloseTo(1.5, 6);
    expect(predictLogistic(model, [1])).toBeCloseTo(sigmoid(2), 6);
  });

  it('stays finite when the classes separate perfectly', () => {
    const model = fitLogistic([[-1], [-0.5], [0.5], [1]], [0, 0, 1, 1]);
    expect(Number.isFinite(model.weights[0])).toBe(true);
    expect(model.weights[0]).toBeGreaterThan(0);
  });
});
