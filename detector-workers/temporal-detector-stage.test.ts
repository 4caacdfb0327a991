import type { ClipSequence } from '../common';
import { LANDMARK_VALUES_PER_FRAME } from './landmark-sequence';
import type { OnnxTemporalDetector } from './onnx-temporal-detector';
import { clipsFailed, scoreClips } from './temporal-detector-stage';

/** A stand-in for LRNet whose block score is the block's first value: the test sets it per sequence. */
const detector = {
  blockFrames: 30,
  scoreBlocks: async (blocks: readonly Float32Array[]) => blocks.map((block) => block[0]!),
} as unknown as OnnxTemporalDetector;

/** A 61-frame sequence (two blocks) every value of which is `value`. */
function sequence(startFrame: number, value: number, trackId?: number): ClipSequence {
  return { startFrame, ...(trackId === undefined ? {} : { trackId }), frames: 61, values: Array(61 * LANDMARK_VALUES_PER_FRAME).fill(value) };
}

describe('scoreClips', () => {
  it('scores each face track over its clips and gives the video the highest track mean', async () => {
    const result = await scoreClips(detector, [sequence(0, 0.2, 0), sequence(0, 0.9, 1), sequence(100, 0.4, 0), { startFrame: 200, frames: 0, reason: 'NO_FACE' }], 61);
    expect(result.tracks).toEqual([
      { trackId: 0, blocks: 4, meanBlockScore: expect.closeTo(0.3, 6) },
      { trackId: 1, blocks: 2, meanBlockScore: expect.closeTo(0.9, 6) },
    ]);
    expect(result.meanBlockScore).toBeCloseTo(0.9, 6);
    expect(result.clips.map((clip) => [clip.startFrame, clip.trackId, clip.blockScores.length])).toEqual([[0, 0, 2], [0, 1, 2], [100, 0, 2], [200, undefined, 0]]);
  });

  it('reads sequences without a track id (a cropper before tracks) as one face: the mean of all blocks', async () => {
    const result = await scoreClips(detector, [sequence(0, 0.2), sequence(100, 0.6)], 61);
    expect(result.tracks).toEqual([{ trackId: 0, blocks: 4, meanBlockScore: expect.closeTo(0.4, 6) }]);
    expect(result.meanBlockScore).toBeCloseTo(0.4, 6);
  });
});

describe('clipsFailed', () => {
  it('gives no score and names the failure code first', () => {
    expect(clipsFailed({ code: 'DECODE_FAILED', message: 'ffmpeg exited with 69' })).toEqual({
      clips: [],
      tracks: [],
      meanBlockScore: null,
      reason: 'DECODE_FAILED (the dense clips could not be read: ffmpeg exited with 69)',
    });
  });
});
