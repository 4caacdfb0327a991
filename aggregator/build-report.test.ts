import { createEnvelope, type VideoScoresPayload } from '../common';
import { buildDoneReport, buildFailedReport, type ReportSettings } from './build-report';
import { reportSchemaErrors } from './report';

const VIDEO = 'c'.repeat(64);
const source = { kind: 'file' as const, uri: 'crowd.mp4', path: '/v/crowd.mp4', submittedAt: new Date(Date.now() - 1000).toISOString() };
const video = { durationSeconds: 2, width: 640, height: 480, fps: 25, codec: 'h264', frameCount: 50, rotationDegrees: 0, sizeBytes: 1000 };
const settings: ReportSettings = {
  verdictThreshold: 0.5,
  framesRequested: 4,
  deepsiftVersion: 'test',
  policyFor: () => ({ threshold: 0.5, aggregation: 'track-max' }),
};
const box = { x1: 10, y1: 10, x2: 60, y2: 60 };

function faces(tracks: Array<{ trackId: number; samples: number[] }>) {
  return createEnvelope('video.faces', VIDEO, 'corr', {
    source,
    detectors: ['a', 'b'],
    video,
    faceDetector: { name: 'ultraface-rfb-640', sha256: 'f'.repeat(64) },
    frames: { sampled: 4, withFaces: 3, withoutFaces: 1 },
    tracks: tracks.map(({ trackId, samples }) => ({
      trackId,
      detections: samples.map((s) => ({ frameIndex: s * 10, ptsSeconds: s * 0.4, box, faceScore: 0.99, cropId: `${trackId}-${s}` })),
    })),
    cropCount: tracks.reduce((n, t) => n + t.samples.length, 0),
    timings: { 'frame-extractor': 10, 'face-cropper': 20 },
  });
}

function scores(detector: string, values: Record<string, number>): VideoScoresPayload {
  return { detector, model: { name: detector, sha256: 'e'.repeat(64) }, scores: Object.entries(values).map(([cropId, score]) => ({ cropId, score })), busyMs: 5 };
}

describe('buildDoneReport', () => {
  it('reports the fake face in a crowd: per-track means, max over tracks, mean over detectors', () => {
    const report = buildDoneReport(
      faces([{ trackId: 0, samples: [0, 1, 2] }, { trackId: 1, samples: [1, 2] }]),
      new Map([
        ['a', scores('a', { '0-0': 0.1, '0-1': 0.1, '0-2': 0.1, '1-1': 0.9, '1-2': 0.7 })],
        ['b', scores('b', { '0-0': 0.2, '0-1': 0.2, '0-2': 0.2, '1-1': 0.5, '1-2': 0.5 })],
      ]),
      settings,
    );
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.detectors.a).toMatchObject({ label: 'FAKE', facesScored: 5 });
    expect(report.detectors.a!.score).toBeCloseTo(0.8, 10);
    expect(report.detectors.b!.score).toBeCloseTo(0.5, 10);
    expect(report.score).toBeCloseTo(0.65, 10);
    expect(report.label).toBe('FAKE');
    expect(report.faces[1]!.scores.a).toBeCloseTo(0.8, 10);
    expect(report.faces[0]!.frames[1]!.scores).toEqual({ a: 0.1, b: 0.2 });
    expect(report.models.map((m) => m.kind)).toEqual(['face-detector', 'deepfake-detector', 'deepfake-detector']);
    expect(report.timings.totalMs).toBeGreaterThanOrEqual(1000);
  });

  it('lists the detectors in the configured order whatever order their scores arrived in', () => {
    const tracks = [{ trackId: 0, samples: [0, 1] }];
    const a = scores('a', { '0-0': 0.1, '0-1': 0.3 });
    const b = scores('b', { '0-0': 0.2, '0-1': 0.4 });
    const inOrder = buildDoneReport(faces(tracks), new Map([['a', a], ['b', b]]), settings);
    const reversed = buildDoneReport(faces(tracks), new Map([['b', b], ['a', a]]), settings);
    expect(Object.keys(reversed.faces[0]!.frames[0]!.scores)).toEqual(['a', 'b']);
    expect(reversed.models.map((m) => m.name)).toEqual(['ultraface-rfb-640', 'a', 'b']);
    expect(JSON.stringify({ ...reversed, createdAt: null, timings: null })).toBe(JSON.stringify({ ...inOrder, createdAt: null, timings: null }));
  });

  it('says UNKNOWN without faces', () => {
    const report = buildDoneReport(faces([]), new Map(), settings);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report).toMatchObject({ status: 'done', label: 'UNKNOWN', score: null });
  });
});

describe('buildDoneReport with a temporal detector', () => {
  const withTemporal = (cropTracks: Array<{ trackId: number; samples: number[] }>) => {
    const envelope = faces(cropTracks);
    return { ...envelope, payload: { ...envelope.payload, detectors: ['a', 'lrnet'], temporalDetectors: ['lrnet'] } };
  };
  const temporal = (result: VideoScoresPayload['temporal']): VideoScoresPayload => ({ detector: 'lrnet', model: { name: 'lrnet', sha256: 'd'.repeat(64) }, scores: [], temporal: result, busyMs: 3 });

  it('reports the mean block score, the clips\' block scores, and counts it in the ensemble', () => {
    const report = buildDoneReport(
      withTemporal([{ trackId: 0, samples: [0, 1] }]),
      new Map([
        ['a', scores('a', { '0-0': 0.2, '0-1': 0.2 })],
        ['lrnet', temporal({ clips: [{ startFrame: 5, blockScores: [0.6, 0.8] }, { startFrame: 90, blockScores: [], reason: 'NO_FACE' }], meanBlockScore: 0.7 })],
      ]),
      settings,
    );
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.detectors.lrnet).toMatchObject({ score: 0.7, label: 'FAKE', aggregation: 'mean-block', facesScored: 1 });
    expect(report.detectors.lrnet!.clips).toEqual([{ startFrame: 5, blockScores: [0.6, 0.8] }, { startFrame: 90, blockScores: [], reason: 'NO_FACE' }]);
    expect(report.score).toBeCloseTo(0.45, 10);
    expect(report.models.map((m) => m.kind)).toEqual(['face-detector', 'deepfake-detector', 'temporal-detector']);
  });

  it('gives the temporal detector no score and its reason when no clip had a face', () => {
    const report = buildDoneReport(
      withTemporal([]),
      new Map([['lrnet', temporal({ clips: [{ startFrame: 0, blockScores: [], reason: 'NO_FACE' }], meanBlockScore: null, reason: 'no clip with a face' })]]),
      settings,
    );
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.detectors.lrnet).toMatchObject({ score: null, label: 'UNKNOWN', facesScored: 0, reason: 'no clip with a face' });
    expect(report).toMatchObject({ label: 'UNKNOWN', score: null });
  });
});

describe('buildDoneReport with face tracks in the clips', () => {
  it('keeps per-track block scores, names the landmark net and the clip settings', () => {
    const envelope = faces([{ trackId: 0, samples: [0, 1] }]);
    const clipSettings = { clipCount: 4, clipFrames: 61, maxFaces: 4, minFaceSizePx: 40 };
    const landmarkModel = { name: 'faceapi-landmark68', sha256: 'a'.repeat(64) };
    const report = buildDoneReport(
      { ...envelope, payload: { ...envelope.payload, detectors: ['lrnet'], temporalDetectors: ['lrnet'], landmarkModel, clipSettings } },
      new Map([
        [
          'lrnet',
          {
            detector: 'lrnet',
            model: { name: 'lrnet', sha256: 'd'.repeat(64) },
            scores: [],
            temporal: {
              clips: [
                { startFrame: 5, trackId: 0, box, blockScores: [0.1, 0.3] },
                { startFrame: 5, trackId: 1, box, blockScores: [0.9, 0.7] },
              ],
              tracks: [
                { trackId: 0, blocks: 2, meanBlockScore: 0.2 },
                { trackId: 1, blocks: 2, meanBlockScore: 0.8 },
              ],
              meanBlockScore: 0.8,
            },
            busyMs: 3,
          },
        ],
      ]),
      settings,
    );
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.detectors.lrnet).toMatchObject({ score: 0.8, facesScored: 2, tracks: [{ trackId: 0, meanBlockScore: 0.2 }, { trackId: 1, meanBlockScore: 0.8 }] });
    expect(report.detectors.lrnet!.clips!.map((clip) => clip.trackId)).toEqual([0, 1]);
    expect(report.clips).toEqual(clipSettings);
    expect(report.models).toContainEqual({ ...landmarkModel, kind: 'landmark-detector' });
  });
});

describe('report schema', () => {
  it('accepts failed reports and rejects malformed ones', () => {
    const failed = buildFailedReport(
      createEnvelope('video.failed', VIDEO, 'corr', { source, stage: 'frame-extractor', error: { code: 'NOT_A_VIDEO', message: 'no' }, timings: {} }),
      settings,
    );
    expect(reportSchemaErrors(failed)).toEqual([]);
    expect(reportSchemaErrors({ ...failed, score: 1.5 })).not.toEqual([]);
    expect(reportSchemaErrors({ ...failed, videoId: 'x' })).toEqual([expect.stringContaining('/videoId')]);
    const { label: _label, ...withoutLabel } = failed;
    expect(reportSchemaErrors(withoutLabel)).toEqual([expect.stringContaining("must have required property 'label'")]);
  });
});
