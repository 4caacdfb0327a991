/**
 * How LRNet cuts a landmark sequence into blocks and turns block scores into a video
 * score, as upstream does (frederickszk/LRNet `training/utils/data.py` `get_data_for_test`
 * and `merge_video_prediction`).
 */
import { LANDMARK_VALUES_PER_FRAME, type LandmarkSequence } from './landmark-sequence';

/** Frames per block (`BLOCK_SIZE: 30` in upstream's demo/configs/args_inference.yaml). */
export const LRNET_BLOCK_FRAMES = 30;

/**
 * The blocks of a sequence, each [blockFrames, 136]. Upstream starts blocks at 0,
 * blockFrames, 2·blockFrames, … while start < frames − blockFrames, so it needs one frame
 * more than a block (a 31-frame clip gives one block, a 30-frame one none) and drops a
 * last block that would end exactly at the last frame. Kept as is: the scores must match.
 */
export function landmarkBlocks(sequence: LandmarkSequence, blockFrames: number = LRNET_BLOCK_FRAMES): Float32Array[] {
  const blocks: Float32Array[] = [];
  const rowValues = LANDMARK_VALUES_PER_FRAME;
  for (let start = 0; start < sequence.frames - blockFrames; start += blockFrames) {
    blocks.push(sequence.values.subarray(start * rowValues, (start + blockFrames) * rowValues));
  }
  return blocks;
}

/** A sequence's scores, as `deepsift score-landmarks` prints them. */
export interface LandmarkVideoScores {
  /** P(fake) per block, in order. */
  blockScores: number[];
  /** Upstream's video score: the share of blocks scoring ≥ 0.5; null without blocks. */
  videoScore: number | null;
  /** Mean block score, the better ranking score (it does not saturate); null without blocks. */
  meanBlockScore: number | null;
}

/** Upstream's block decision threshold (`merge_video_prediction`: p ≥ 0.5 counts as fake). */
const BLOCK_THRESHOLD = 0.5;

/** Summarises block scores into upstream's video score and the mean block score. */
export function summariseBlocks(blockScores: number[]): LandmarkVideoScores {
  if (blockScores.length === 0) return { blockScores, videoScore: null, meanBlockScore: null };
  const fakeBlocks = blockScores.filter((score) => score >= BLOCK_THRESHOLD).length;
  const sum = blockScores.reduce((total, score) => total + score, 0);
  return { blockScores, videoScore: fakeBlocks / blockScores.length, meanBlockScore: sum / blockScores.length };
}
