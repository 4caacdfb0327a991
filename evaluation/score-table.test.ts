import type { VideoReport } from '../aggregator';
import { evaluate } from './evaluate';
import type { LabelledVideo } from './labelled-videos';
import { buildScoreTable, type ReportedVideo } from './score-table';

function video(name: string, label: 'REAL' | 'FAKE', subset?: string): LabelledVideo {
  return { name, path: `/data/${name}`, label, ...(subset ? { subset } : {}) };
}

/** A done report with one track of two faces per detector (scores per frame). */
function done(frames: Record<string, [number, number]>, extra: Partial<VideoReport> = {}): VideoReport {
  const detectors = Object.fromEntries(
    Object.entries(frames).map(([d, [x, y]]) => [d, { score: (x + y) / 2, label: 'REAL', threshold: 0.5, aggregation: 'track-max', facesScored: 2 }]),
  );
  return {
    status: 'done',
    frames: { requested: 4, sampled: 4, withFaces: 2, withoutFaces: 2 },
    faces: [
      {
        trackId: 0,
        scores: {},
        frames: [0, 1].map((i) => ({ frameIndex: i, ptsSeconds: i, box: { x1: 0, y1: 0, x2: 1, y2: 1 }, faceScore: 1, scores: Object.fromEntries(Object.entries(frames).map(([d, s]) => [d, s[i]!])) })),
      },
    ],
    detectors,
    ...extra,
  } as unknown as VideoReport;
}

const row = (v: LabelledVideo, id: string, report: VideoReport): ReportedVideo => ({ video: v, videoId: id.repeat(64), report });

describe('buildScoreTable', () => {
  it('takes each detector score and their mean, preferring the raw score of a calibrated report', () => {
    const calibrated = done({ a: [0.2, 0.4], b: [0.6, 0.8] });
    calibrated.detectors.a = { ...calibrated.detectors.a!, score: 0.9, rawScore: 0.3 };
    const { rows, excluded } = buildScoreTable([row(video('x.mp4', 'FAKE', 'ffpp'), '1', calibrated)], { detectors: ['a', 'b'] });
    expect(excluded).toEqual([]);
    expect(rows).toEqual([{ name: 'x.mp4', label: 'FAKE', subset: 'ffpp', videoId: '1'.repeat(64), scores: { a: 0.3, b: 0.7 }, ensemble: 0.5 }]);
  });

  it('re-aggregates from the faces when asked', () => {
    // confident: 2 scores, neither rule applies (≤ 11 above 0.8; not > 90 % below 0.2) → the mean
    const { rows } = buildScoreTable([row(video('x.mp4', 'REAL'), '1', done({ a: [0.1, 0.5] }))], { detectors: ['a'], aggregation: 'confident' });
    expect(rows[0]!.scores.a).toBeCloseTo(0.3, 12);
  });

  it('lists apart failed scans, videos without a face, missing detectors and repeated content, with the reason', () => {
    const failed = { status: 'failed', error: { code: 'CORRUPT_VIDEO', message: 'truncated', stage: 'frame-extractor' } } as unknown as VideoReport;
    const noFace = done({}, { frames: { requested: 4, sampled: 4, withFaces: 0, withoutFaces: 4 }, faces: [] });
    const { rows, excluded } = buildScoreTable(
      [
        row(video('ok.mp4', 'REAL'), '1', done({ a: [0.1, 0.1] })),
        row(video('copy.mp4', 'FAKE'), '1', done({ a: [0.1, 0.1] })),
        row(video('bad.mp4', 'FAKE'), '2', failed),
        row(video('empty.mp4', 'REAL'), '3', noFace),
        row(video('other.mp4', 'FAKE'), '4', done({ b: [0.9, 0.9] })),
      ],
      { detectors: ['a'] },
    );
    expect(rows.map((r) => r.name)).toEqual(['ok.mp4']);
    expect(excluded.map((e) => [e.name, e.reason, e.detail])).toEqual([
      ['copy.mp4', 'DUPLICATE_CONTENT', 'same bytes as ok.mp4'],
      ['bad.mp4', 'SCAN_FAILED', 'CORRUPT_VIDEO: truncated'],
      ['empty.mp4', 'NO_FACE', 'no face found in 4 sampled frame(s)'],
      ['other.mp4', 'MISSING_DETECTOR', 'no score from a'],
    ]);
  });

  /** `report` with a temporal detector `t` added: its mean block score, or null and why. */
  function withTemporal(report: VideoReport, score: number | null, reason?: string): VideoReport {
    const clips = score === null ? [{ startFrame: 0, blockScores: [], reason: 'NO_FACE' }] : [{ startFrame: 0, blockScores: [score, score] }];
    report.detectors.t = { score, label: 'UNKNOWN', threshold: 0.5, aggregation: 'mean-block', facesScored: score === null ? 0 : 1, clips, ...(reason ? { reason } : {}) } as VideoReport['detectors'][string];
    return report;
  }

  it("keeps a temporal detector's mean block score when the faces are re-aggregated", () => {
    const report = withTemporal(done({ a: [0.1, 0.5] }), 0.7);
    const { rows } = buildScoreTable([row(video('x.mp4', 'FAKE'), '1', report)], { detectors: ['a', 't'], aggregation: 'confident' });
    expect(rows[0]!.scores.t).toBe(0.7);
    expect(rows[0]!.ensemble).toBeCloseTo((0.3 + 0.7) / 2, 12);
  });

  it('lists apart a video whose temporal detector has no score, as for a missing detector, with its reason', () => {
    const report = withTemporal(done({ a: [0.1, 0.5] }), null, 'NO_FACE: no clip had a face');
    const { rows, excluded } = buildScoreTable([row(video('x.mp4', 'REAL'), '1', report)], { detectors: ['a', 't'] });
    expect(rows).toEqual([]);
    expect(excluded.map((e) => [e.reason, e.detail])).toEqual([['MISSING_DETECTOR', 'no score from t (NO_FACE: no clip had a face)']]);
  });
});

describe('evaluate', () => {
  const rows = [
    ['REAL', 0.1, 'p'], ['FAKE', 0.8, 'p'], ['REAL', 0.4, 'q'], ['REAL', 0.3, 'q'], ['FAKE', 0.35, 'p'],
  ].map(([label, a, subset], i) => ({ name: `v${i}`, label: label as 'REAL' | 'FAKE', subset: subset as string, videoId: String(i), scores: { a: a as number }, ensemble: a as number }));

  it('measures the whole set and each subset, with null for what a one-class subset cannot tell', () => {
    const result = evaluate(rows, [], { dataset: 'd', detectors: ['a'], thresholds: { a: 0.5 }, ensembleThreshold: 0.5, resamples: 200 });
    expect(result).toMatchObject({ n: 5, nReal: 3, nFake: 2, labelled: 5 });
    expect(result.detectors.a!.auc!.value).toBeCloseTo(5 / 6, 12); // 0.35 is below 0.4 only
    expect(result.detectors.a!.confusion).toEqual({ tp: 1, fn: 1, tn: 3, fp: 0 });
    expect(Object.keys(result.subsets)).toEqual(['p', 'q']);
    const q = result.subsets.q!.detectors.a!;
    expect(q).toMatchObject({ n: 2, nReal: 2, nFake: 0, tpr: null, auc: null, averagePrecision: null, balancedAccuracy: null, youden: null });
    expect(q.tnr!.value).toBe(1);
  });

  it('repeats exactly with the same seed', () => {
    const options = { dataset: 'd', detectors: ['a'], thresholds: { a: 0.5 }, ensembleThreshold: 0.5, resamples: 100, seed: 3 };
    expect(evaluate(rows, [], options)).toEqual(evaluate(rows, [], options));
  });

  it('refuses to measure when only one class was scored, saying how many were left out', () => {
    const reals = rows.filter((r) => r.label === 'REAL');
    const left = [{ name: 'f', label: 'FAKE' as const, videoId: 'x', reason: 'NO_FACE' as const, detail: '' }];
    expect(() => evaluate(reals, left, { dataset: 'd', detectors: ['a'], thresholds: {}, ensembleThreshold: 0.5 })).toThrow(
      'only REAL videos could be scored (1 of 4 left out)',
    );
  });
});
