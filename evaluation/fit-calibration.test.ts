import { calibrateDetectorScore, parseCalibration, stackEnsembleScore } from '../aggregator';
import { confusionMatrix, rocAuc, thresholdRates } from './binary-metrics';
import { measureCalibrated } from './calibrated-metrics';
import { EvaluationError } from './evaluation-error';
import { fitCalibration } from './fit-calibration';
import type { ScoredVideo } from './score-table';

// Detector "a" separates well but sits below 0.5 for most fakes; "b" is noise.
const TABLE: Array<[label: 'REAL' | 'FAKE', a: number, b: number]> = [
  ['REAL', 0.02, 0.4], ['REAL', 0.05, 0.7], ['REAL', 0.1, 0.2], ['REAL', 0.12, 0.5], ['REAL', 0.3, 0.6],
  ['FAKE', 0.2, 0.3], ['FAKE', 0.25, 0.6], ['FAKE', 0.35, 0.5], ['FAKE', 0.4, 0.4], ['FAKE', 0.8, 0.7], ['FAKE', 0.45, 0.2],
];
const ROWS: ScoredVideo[] = TABLE.map(([label, a, b], i) => ({ name: `v${i}.mp4`, label, videoId: String(i).repeat(64).slice(0, 64), scores: { a, b }, ensemble: (a + b) / 2 }));
const LABELS = ROWS.map((r) => (r.label === 'FAKE' ? 1 : 0));
const OPTIONS = { detectors: ['a', 'b'], dataset: 'table', aggregation: null, framesPerVideo: 32, deepsiftVersion: 'test' };

describe('fitCalibration', () => {
  const calibration = fitCalibration(ROWS, OPTIONS);

  it('writes a file that passes its own schema', () => {
    const loaded = parseCalibration(JSON.stringify(calibration), 'cal.json');
    expect(loaded.calibration.fittedOn).toEqual({ dataset: 'table', n: 11, nReal: 5, nFake: 6, aggregation: null, framesPerVideo: 32 });
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps each detector's ranking (Platt scaling is monotone) and moves its threshold to Youden's", () => {
    const a = calibration.detectors.a!;
    expect(a.platt.a).toBeGreaterThan(0);
    const calibrated = ROWS.map((r) => calibrateDetectorScore(a, r.scores.a!));
    expect(rocAuc(calibrated, LABELS)).toBeCloseTo(rocAuc(ROWS.map((r) => r.scores.a!), LABELS), 12);
    // At 0.5 the raw scores catch 1 fake of 6; Youden's best cut (0.2 ≤ a, FPR 1/5) catches all six.
    expect(thresholdRates(confusionMatrix(ROWS.map((r) => r.scores.a!), LABELS, 0.5)).tpr).toBeCloseTo(1 / 6, 12);
    expect(thresholdRates(confusionMatrix(calibrated, LABELS, a.threshold))).toMatchObject({ tpr: 1, fpr: 0.2 });
  });

  it('holds a target false positive rate instead when asked', () => {
    const strict = fitCalibration(ROWS, { ...OPTIONS, targetFpr: 0 });
    expect(strict.thresholdMethod).toEqual({ name: 'target-fpr', targetFpr: 0 });
    const a = strict.detectors.a!;
    const rates = thresholdRates(confusionMatrix(ROWS.map((r) => calibrateDetectorScore(a, r.scores.a!)), LABELS, a.threshold));
    expect(rates.fpr).toBe(0);
    expect(rates.tpr).toBeCloseTo(4 / 6, 12); // fakes above the highest real (0.3): 0.35, 0.4, 0.45, 0.8
  });

  it('fits a stacker that leans on the informative detector, with a cross-validated AUC beside the mean ensemble', () => {
    const ensemble = calibration.ensemble!;
    expect(ensemble.weights.a).toBeGreaterThan(Math.abs(ensemble.weights.b!));
    expect(ensemble.folds).toBe(5);
    expect(ensemble.crossValidatedAuc).toBeGreaterThan(0.5);
    expect(ensemble.meanEnsembleAuc).toBeCloseTo(rocAuc(ROWS.map((r) => r.ensemble), LABELS), 12);
    const stacked = ROWS.map((r) => stackEnsembleScore(ensemble, r.scores)!);
    expect(stacked.every((p) => p > 0 && p < 1)).toBe(true);
  });

  it('measures what the calibration changes on the same videos', () => {
    const after = measureCalibrated(ROWS, calibration, { resamples: 50 });
    expect(after.detectors.a!.tpr!.value).toBe(1);
    expect(after.detectors.a!.accuracy.value).toBeCloseTo(10 / 11, 12);
  });

  it('refuses a table of one class', () => {
    expect(() => fitCalibration(ROWS.filter((r) => r.label === 'FAKE'), OPTIONS)).toThrow(EvaluationError);
  });
});
