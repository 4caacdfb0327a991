import { createEnvelope, parseEnvelope, validateEnvelope } from './envelope';
import { InvalidMessageError } from './errors';

const VIDEO = 'b'.repeat(64);
const source = { kind: 'file' as const, uri: 'a.mp4', path: '/tmp/a.mp4', submittedAt: new Date().toISOString() };

describe('envelope validation', () => {
  it('accepts a well-formed job', () => {
    const job = createEnvelope('video.job', VIDEO, 'corr', { source, sizeBytes: 10, detectors: ['meso4-df'] });
    expect(validateEnvelope(JSON.parse(JSON.stringify(job)))).toEqual(job);
  });

  it('names what is wrong', () => {
    const job = createEnvelope('video.job', VIDEO, 'corr', { source, sizeBytes: 10, detectors: [] });
    expect(() => validateEnvelope(job)).toThrow(InvalidMessageError);
    expect(() => validateEnvelope(job)).toThrow(/payload\/detectors must NOT have fewer than 1 items/);
    expect(() => validateEnvelope({ ...job, videoId: 'not-a-hash' })).toThrow(/videoId/);
    expect(() => validateEnvelope({ ...job, type: 'video.unknown' })).toThrow(/type/);
    expect(() => validateEnvelope({ ...job, schemaVersion: 2 })).toThrow(/schemaVersion/);
  });

  it('rejects scores outside [0, 1]', () => {
    const scores = createEnvelope('video.scores', VIDEO, 'corr', {
      detector: 'meso4-df', model: { name: 'meso4-df', sha256: 'x' }, scores: [{ cropId: '0-0', score: 1.5 }], busyMs: 1,
    });
    expect(() => validateEnvelope(scores)).toThrow(/score must be <= 1/);
  });

  it('accepts a video\'s clip sequences and rejects a clip without landmarks or a reason', () => {
    const sequences = createEnvelope('video.sequences', VIDEO, 'corr', {
      detector: 'lrnet-ffpp',
      clipFrames: 2,
      clips: [{ startFrame: 0, frames: 2, values: new Array<number>(272).fill(0.1) }, { startFrame: 40, frames: 0, reason: 'NO_FACE' }],
    });
    expect(validateEnvelope(JSON.parse(JSON.stringify(sequences)))).toEqual(sequences);
    const bad = { ...sequences, payload: { ...sequences.payload, clips: [{ startFrame: 0, frames: 0 }] } };
    expect(() => validateEnvelope(bad)).toThrow(InvalidMessageError);
  });

  it("accepts per-track clip sequences and a clip failure, and rejects a failure without its code", () => {
    const box = { x1: 1, y1: 2, x2: 30, y2: 40 };
    const tracked = createEnvelope('video.sequences', VIDEO, 'corr', {
      detector: 'lrnet-ffpp',
      clipFrames: 2,
      clips: [
        { startFrame: 0, trackId: 0, box, frames: 2, values: new Array<number>(272).fill(0.1) },
        { startFrame: 0, trackId: 1, box, frames: 0, reason: 'FACE_LEFT_REGION' },
      ],
    });
    expect(validateEnvelope(JSON.parse(JSON.stringify(tracked)))).toEqual(tracked);
    const failed = createEnvelope('video.sequences', VIDEO, 'corr', { detector: 'lrnet-ffpp', clipFrames: 61, clips: [], error: { code: 'DECODE_FAILED', message: 'ffmpeg exited with 69' } });
    expect(validateEnvelope(JSON.parse(JSON.stringify(failed)))).toEqual(failed);
    expect(() => validateEnvelope({ ...failed, payload: { ...failed.payload, error: { message: 'no code' } } })).toThrow(InvalidMessageError);
  });

  it('rejects temporal block scores outside [0, 1]', () => {
    const scores = createEnvelope('video.scores', VIDEO, 'corr', {
      detector: 'lrnet-ffpp', model: { name: 'lrnet-ffpp', sha256: 'x' }, scores: [], busyMs: 1,
      temporal: { clips: [{ startFrame: 0, blockScores: [1.2] }], meanBlockScore: 1.2 },
    });
    expect(() => validateEnvelope(scores)).toThrow(InvalidMessageError);
  });

  it('turns unparseable bytes into an InvalidMessageError', () => {
    expect(() => parseEnvelope(Buffer.from('{not json'))).toThrow('message is not valid JSON');
  });
});
