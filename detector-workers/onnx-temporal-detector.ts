/**
 * A temporal deepfake detector backed by an ONNX graph and its manifest (LRNet): it scores
 * blocks of consecutive landmark frames of one face, P(fake) per block, and summarises a
 * whole sequence the way upstream does (see landmark-blocks.ts).
 */
import { createModelSession, type OnnxSessionLike, type OnnxSessionOptions } from '../common';
import type { ModelManifest, TemporalDetectorManifest } from '../weights/manifest';
import { landmarkBlocks, summariseBlocks, type LandmarkVideoScores } from './landmark-blocks';
import { LANDMARK_VALUES_PER_FRAME, type LandmarkSequence } from './landmark-sequence';

/** Blocks per inference call: bounded so that a long video does not make one huge tensor. */
const MAX_BLOCKS_PER_RUN = 256;

/** One temporal detector's ONNX session; `scoreBlocks` and `scoreSequence` give P(fake). */
export class OnnxTemporalDetector {
  private constructor(
    readonly manifest: TemporalDetectorManifest,
    readonly sha256: string,
    readonly executionProvider: string,
    /** Why preferred execution providers were skipped. */
    readonly skippedProviders: string[],
    private readonly session: OnnxSessionLike,
  ) {}

  /** Loads the model at `onnxPath`; throws when the manifest is not a temporal detector's. */
  static async create(
    manifest: ModelManifest,
    onnxPath: string,
    sha256: string,
    options: OnnxSessionOptions,
  ): Promise<OnnxTemporalDetector> {
    if (manifest.kind !== 'temporal-detector') throw new Error(`model "${manifest.name}" is not a temporal detector`);
    const { session, executionProvider, skipped } = await createModelSession(manifest, onnxPath, options);
    return new OnnxTemporalDetector(manifest, sha256, executionProvider, skipped, session);
  }

  get name(): string {
    return this.manifest.name;
  }

  /** Frames per block this detector takes. */
  get blockFrames(): number {
    return this.manifest.input.blockFrames;
  }

  /** Scores blocks of `blockFrames` × 136 values; returns P(fake) per block, in [0, 1]. */
  async scoreBlocks(blocks: readonly Float32Array[]): Promise<number[]> {
    const blockValues = this.blockFrames * LANDMARK_VALUES_PER_FRAME;
    const bad = blocks.findIndex((block) => block.length !== blockValues);
    if (bad >= 0) throw new Error(`block ${bad} has ${blocks[bad]!.length} values, expected ${blockValues}`);
    const scores: number[] = [];
    for (let start = 0; start < blocks.length; start += MAX_BLOCKS_PER_RUN) {
      const batch = blocks.slice(start, start + MAX_BLOCKS_PER_RUN);
      const data = new Float32Array(batch.length * blockValues);
      batch.forEach((block, index) => data.set(block, index * blockValues));
      const dims = [batch.length, this.blockFrames, LANDMARK_VALUES_PER_FRAME];
      const results = await this.session.run({ [this.manifest.input.name]: { type: 'float32', data, dims } });
      const values = results[this.manifest.output.name]?.data;
      if (!values || values.length !== batch.length) {
        throw new Error(`model "${this.name}" returned ${values?.length ?? 0} values for ${batch.length} blocks`);
      }
      for (const p of values) scores.push(Math.min(1, Math.max(0, this.manifest.output.positiveClass === 'real' ? 1 - p : p)));
    }
    return scores;
  }

  /** Cuts one face's sequence into blocks as upstream does and scores them. */
  async scoreSequence(sequence: LandmarkSequence): Promise<LandmarkVideoScores> {
    return summariseBlocks(await this.scoreBlocks(landmarkBlocks(sequence, this.blockFrames)));
  }

  /**
   * Scores several sequences of one face or video (e.g. its dense clips) in one batch: each
   * is cut into blocks on its own (no block spans two clips), and all blocks are summarised
   * together.
   */
  async scoreSequences(sequences: readonly LandmarkSequence[]): Promise<LandmarkVideoScores> {
    return summariseBlocks(await this.scoreBlocks(sequences.flatMap((sequence) => landmarkBlocks(sequence, this.blockFrames))));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
