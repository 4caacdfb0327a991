import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createEnvelope, type VideoScoresPayload } from '../common';
import { buildDoneReport, type ReportSettings } from './build-report';
import { CalibrationError, logit, readCalibrationFile, sigmoid, type Calibration } from './calibration';
import { calibrationMismatches } from './calibration-fit-check';
import { reportSchemaErrors } from './report';

const VIDEO = 'd'.repeat(64);
const source = { kind: 'file' as const, uri: 'face.mp4', path: '/v/face.mp4', submittedAt: new Date().toISOString() };
const box = { x1: 10, y1: 10, x2: 60, y2: 60 };
const faces = createEnvelope('video.faces', VIDEO, 'corr', {
  source,
  detectors: ['a', 'b'],
  video: { durationSeconds: 1, width: 640, height: 480, fps: 25, codec: 'h264', frameCount: 25, rotationDegrees: 0, sizeBytes: 1000 },
  faceDetector: { name: 'ultraface-rfb-640', sha256: 'f'.repeat(64) },
  frames: { sampled: 2, withFaces: 2, withoutFaces: 0 },
  tracks: [{ trackId: 0, detections: [0, 1].map((s) => ({ frameIndex: s, ptsSeconds: s, box, faceScore: 0.99, cropId: `0-${s}` })) }],
  cropCount: 2,
  timings: {},
});
const scores = (detector: string, value: number): VideoScoresPayload => ({
  detector,
  model: { name: detector, sha256: 'e'.repeat(64) },
  scores: [{ cropId: '0-0', score: value }, { cropId: '0-1', score: value }],
  busyMs: 1,
});
// Raw a = 0.3, b = 0.2: both REAL at 0.5, and the mean 0.25 too.
const SCORES = new Map([['a', scores('a', 0.3)], ['b', scores('b', 0.2)]]);

const CALIBRATION: Calibration = {
  kind: 'deepsift-calibration',
  schemaVersion: 1,
  createdAt: '2026-11-30T00:00:00.000Z',
  deepsiftVersion: 'test',
  thresholdMethod: { name: 'youden' },
  fittedOn: { dataset: 'set', n: 10, nReal: 5, nFake: 5, aggregation: null, framesPerVideo: 32 },
  detectors: { a: { platt: { a: 2, b: 1 }, threshold: 0.4 } },
  ensemble: { intercept: 0.5, weights: { a: 1, b: 0.5 }, threshold: 0.25, crossValidatedAuc: 0.8, meanEnsembleAuc: 0.75, folds: 5 },
};

describe('a calibration applied to a report', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-calibration-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function settingsWith(calibration?: ReturnType<typeof readCalibrationFile>): ReportSettings {
    return {
      verdictThreshold: 0.5,
      framesRequested: 2,
      deepsiftVersion: 'test',
      policyFor: () => ({ threshold: 0.5, aggregation: 'track-max' }),
      ...(calibration ? { calibration } : {}),
    };
  }

  it('decides with the calibrated scores and thresholds, keeps the raw scores, and names the file by sha256', async () => {
    const file = path.join(dir, 'cal.json');
    const bytes = JSON.stringify(CALIBRATION);
    await writeFile(file, bytes);
    const plain = buildDoneReport(faces, SCORES, settingsWith());
    const report = buildDoneReport(faces, SCORES, settingsWith(readCalibrationFile(file)));
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(plain).toMatchObject({ label: 'REAL', detectors: { a: { label: 'REAL' }, b: { label: 'REAL' } } });

    const a = sigmoid(2 * logit(0.3) + 1); // 0.333 < 0.4
    expect(report.detectors.a).toMatchObject({ rawScore: 0.3, threshold: 0.4, label: 'REAL' });
    expect(report.detectors.a!.score).toBeCloseTo(a, 12);
    expect(report.detectors.b).toEqual(plain.detectors.b); // not in the file: untouched
    const stacked = sigmoid(0.5 + logit(0.3) + 0.5 * logit(0.2)); // 0.261 ≥ 0.25
    expect(report.score).toBeCloseTo(stacked, 12);
    expect(report.rawScore).toBeCloseTo(0.25, 12);
    expect(report).toMatchObject({ label: 'FAKE', threshold: 0.25 });
    expect(report.calibration).toEqual({ source: file, sha256: createHash('sha256').update(bytes).digest('hex'), applied: ['a', 'ensemble'] });
  });

  it('leaves the ensemble uncalibrated when a detector the stacker needs did not run', async () => {
    const file = path.join(dir, 'cal-c.json');
    await writeFile(file, JSON.stringify({ ...CALIBRATION, ensemble: { ...CALIBRATION.ensemble, weights: { a: 1, c: 1 } } }));
    const report = buildDoneReport(faces, SCORES, settingsWith(readCalibrationFile(file)));
    expect(report).toMatchObject({ label: 'REAL', threshold: 0.5 });
    expect(report.score).toBeCloseTo(0.25, 12);
    expect(report.rawScore).toBeUndefined();
    expect(report.calibration!.applied).toEqual(['a']);
  });

  it('rejects a file that is missing, not JSON, or not a calibration, saying why', async () => {
    expect(() => readCalibrationFile(path.join(dir, 'none.json'))).toThrow(/cannot read the calibration file/);
    await writeFile(path.join(dir, 'bad.json'), '{');
    expect(() => readCalibrationFile(path.join(dir, 'bad.json'))).toThrow(/is not valid JSON/);
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ ...CALIBRATION, detectors: { a: { platt: { a: 1 }, threshold: 2 } } }));
    expect(() => readCalibrationFile(path.join(dir, 'other.json'))).toThrow(CalibrationError);
    expect(() => readCalibrationFile(path.join(dir, 'other.json'))).toThrow(/\/detectors\/a\/platt must have required property 'b'/);
  });
});

describe('calibrationMismatches', () => {
  it('is silent when the scan is the one the calibration was fitted for', () => {
    const fitted = { ...CALIBRATION, detectors: { ...CALIBRATION.detectors, b: { platt: { a: 1, b: 0 }, threshold: 0.5 } } };
    expect(calibrationMismatches(fitted, { detectors: ['a', 'b'], framesPerVideo: 32, aggregation: undefined })).toEqual([]);
  });

  it('names each difference: frames, aggregation, uncalibrated detectors, a stacker without its inputs', () => {
    expect(calibrationMismatches(CALIBRATION, { detectors: ['a', 'c'], framesPerVideo: 8, aggregation: 'confident' })).toEqual([
      'it was fitted on scores of 32 frames per video, this scan samples 8',
      "it was fitted with aggregation the manifests' own, this scan uses confident",
      'it has no calibration for c, whose verdicts stay uncalibrated',
      'its ensemble stacker needs b, which this scan does not run: the ensemble stays the uncalibrated mean',
    ]);
  });
});
