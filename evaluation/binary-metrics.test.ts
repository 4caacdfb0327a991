import {
  averagePrecision,
  confusionMatrix,
  logLoss,
  rocAuc,
  rocCurve,
  thresholdForFpr,
  thresholdRates,
  youdenThreshold,
} from './binary-metrics';
import { correlationMatrices, pearson, spearman } from './correlation';
import { EvaluationError } from './evaluation-error';

// scikit-learn's documented example: roc_auc_score → 0.75, average_precision_score → 0.8333…
const SCORES = [0.1, 0.4, 0.35, 0.8];
const LABELS = [0, 0, 1, 1];

describe('ranking metrics', () => {
  it('computes AUC and average precision of a small table by hand', () => {
    expect(rocAuc(SCORES, LABELS)).toBeCloseTo(0.75, 12);
    // Descending: 0.8 (fake) P=1 R=½; 0.4 (real); 0.35 (fake) P=⅔ R=1 → ½·1 + ½·⅔
    expect(averagePrecision(SCORES, LABELS)).toBeCloseTo(5 / 6, 12);
  });

  it('counts a tied fake/real pair as one half in AUC', () => {
    // fakes {0.5, 0.8} against reals {0.5, 0.2}: ½ + 1 + 1 + 1 out of 4 pairs
    expect(rocAuc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    expect(rocAuc([0.3, 0.3, 0.3], [1, 0, 1])).toBeCloseTo(0.5, 12);
    // Tied scores enter average precision together: one threshold, precision ⅔, recall 1
    expect(averagePrecision([0.3, 0.3, 0.3], [1, 0, 1])).toBeCloseTo(2 / 3, 12);
  });

  it('equals the share of (fake, real) pairs in order on random tables with many ties', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const labels = Array.from({ length: 30 }, (_, i) => (i < 12 ? 1 : 0));
      const scores = labels.map(() => Math.round(random() * 5) / 5); // six distinct values: ties everywhere
      let pairs = 0;
      for (const [i, f] of scores.entries()) for (const [j, r] of scores.entries()) if (labels[i] === 1 && labels[j] === 0) pairs += f > r ? 1 : f === r ? 0.5 : 0;
      expect(rocAuc(scores, labels)).toBeCloseTo(pairs / (12 * 18), 12);
    }
  });

  it('rejects a table of one class with a clear error', () => {
    const attempt = () => rocAuc([0.2, 0.9], [1, 1]);
    expect(attempt).toThrow(EvaluationError);
    expect(attempt).toThrow(/all 2 scored videos are FAKE.*at least one REAL and one FAKE/);
    try {
      averagePrecision([0.2, 0.9], [0, 0]);
    } catch (error) {
      expect((error as EvaluationError).code).toBe('ONE_CLASS');
    }
    expect.assertions(3);
  });

  it('rejects scores that are not probabilities, and tables of unequal length', () => {
    expect(() => rocAuc([0.2, 1.5], [0, 1])).toThrow(/1.5 of item 1 is not a probability/);
    expect(() => rocAuc([0.2], [0, 1])).toThrow(/1 scores but 2 labels/);
  });

  it('walks the ROC curve from (0,0) to (1,1), one point per distinct score', () => {
    expect(rocCurve(SCORES, LABELS).map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
  });
});

describe('log loss', () => {
  it('is the mean cross-entropy in nats', () => {
    expect(logLoss([0.9, 0.2], [1, 0])).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 12);
  });

  it('clips certain and wrong answers to 1e-15 as the DFDC did, so the loss stays finite', () => {
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 9); // 34.5388
    // 1 − (1 − 1e-15) is not exactly 1e-15 in double precision (nor in scikit-learn)
    expect(logLoss([0, 1], [1, 0])).toBeCloseTo(-Math.log(1e-15), 2);
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(-Math.log(1 - 1e-15), 12);
  });

  it('is defined for one class (a subset of real videos)', () => {
    expect(logLoss([0.5, 0.5], [0, 0])).toBeCloseTo(Math.log(2), 12);
  });
});

describe('thresholds', () => {
  it('counts the confusion matrix with score ≥ threshold as FAKE', () => {
    const matrix = confusionMatrix(SCORES, LABELS, 0.4);
    expect(matrix).toEqual({ tp: 1, fn: 1, fp: 1, tn: 1 });
    expect(thresholdRates(confusionMatrix(SCORES, LABELS, 0.5))).toEqual({ tpr: 0.5, tnr: 1, fpr: 0, accuracy: 0.75, balancedAccuracy: 0.75 });
  });

  it("picks the threshold maximising Youden's J, the highest one on a tie", () => {
    // J = 0.5 at 0.8 (TPR ½, FPR 0) and at 0.35 (TPR 1, FPR ½)
    expect(youdenThreshold(SCORES, LABELS)).toEqual({ threshold: 0.8, j: 0.5 });
    expect(youdenThreshold([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1])).toEqual({ threshold: 0.7, j: 1 });
  });

  it('picks the lowest threshold within a target false positive rate', () => {
    expect(thresholdForFpr(SCORES, LABELS, 0.5)).toEqual({ threshold: 0.35, fpr: 0.5, tpr: 1 });
    expect(thresholdForFpr(SCORES, LABELS, 0)).toEqual({ threshold: 0.8, fpr: 0, tpr: 0.5 });
  });
});

describe('correlation', () => {
  it("computes Pearson's r and Spearman's ρ by hand", () => {
    // dx = (−1, 0, 1), dy = (−7/3, −1/3, 8/3): r = 5 / √(2 · 114/9)
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt((2 * 114) / 9), 12);
    expect(spearman([1, 2, 3], [2, 4, 7])).toBeCloseTo(1, 12);
    // ranks with a tie: x → (1, 2.5, 2.5), y → (1, 2, 3)
    expect(spearman([1, 2, 2], [1, 2, 3])).toBeCloseTo(pearson([1, 2.5, 2.5], [1, 2, 3])!, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  it('builds symmetric matrices with ones on the diagonal', () => {
    const { pearson: p } = correlationMatrices({ a: [0.1, 0.5, 0.9], b: [0.9, 0.4, 0.2] });
    expect(p.a!.a).toBeCloseTo(1, 12);
    expect(p.a!.b).toBeCloseTo(p.b!.a!, 12);
    expect(p.a!.b).toBeLessThan(-0.9);
  });
});
