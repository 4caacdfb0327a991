/**
 * A deepfake detector backed by an ONNX graph and its manifest. The session is created
 * once; `score` runs one batch and returns P(fake) per crop, whatever the model outputs.
 */
import { createModelSession, type GraphOptimizationLevel, type OnnxSessionLike, type OnnxSessionOptions, type RawImage } from '../common';
import type { ImageModelManifest, ModelManifest } from '../weights/manifest';
import { checkGraphMatchesManifest } from './model-input-check';
import { toInputTensor } from './preprocess';

export class OnnxDeepfakeDetector {
  private constructor(
    readonly manifest: ImageModelManifest,
    readonly sha256: string,
    readonly executionProvider: string,
    /** ONNX Runtime's graph optimisation level: the manifest's, else `all`. */
    readonly graphOptimizationLevel: GraphOptimizationLevel,
    /** Why preferred execution providers were skipped. */
    readonly skippedProviders: string[],
    private readonly session: OnnxSessionLike,
  ) {}

  /**
   * Loads the model at `onnxPath` (the manifest's converted or upstream graph), at the
   * manifest's graph optimisation level when it names one.
   */
  static async create(
    manifest: ModelManifest,
    onnxPath: string,
    sha256: string,
    options: OnnxSessionOptions,
  ): Promise<OnnxDeepfakeDetector> {
    if (manifest.kind !== 'deepfake-detector' || !manifest.output) {
      throw new Error(`model "${manifest.name}" is not a deepfake detector`);
    }
    const { session, executionProvider, graphOptimizationLevel, skipped } = await createModelSession(manifest, onnxPath, options);
    try {
      checkGraphMatchesManifest(manifest, session);
    } catch (error) {
      await session.release();
      throw error;
    }
    return new OnnxDeepfakeDetector(manifest, sha256, executionProvider, graphOptimizationLevel, skipped, session);
  }

  get name(): string {
    return this.manifest.name;
  }

  /** Crop size (square, pixels) this detector takes. */
  get inputSize(): number {
    return this.manifest.input.width;
  }

  /** Scores crops already at the input size; returns P(fake) per crop, in [0, 1]. */
  async score(crops: RawImage[]): Promise<number[]> {
    if (crops.length === 0) return [];
    const { input, output } = this.manifest as Required<ImageModelManifest>;
    if (!input.dynamicBatch && crops.length > 1) {
      const scores: number[] = [];
      for (const crop of crops) scores.push(...(await this.score([crop])));
      return scores;
    }
    const { data, dims } = toInputTensor(crops, input, (length) => this.session.inputBuffer?.(length) ?? new Float32Array(length));
    const results = await this.session.run({ [input.name]: { type: 'float32', data, dims } });
    const values = results[output.name]?.data as Float32Array | undefined;
    if (!values || values.length !== crops.length) {
      throw new Error(`model "${this.name}" returned ${values?.length ?? 0} values for ${crops.length} crops`);
    }
    return Array.from(values, (p) => {
      const clamped = Math.min(1, Math.max(0, p));
      return output.positiveClass === 'real' ? 1 - clamped : clamped;
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
