import { createOnnxSession } from '../common/onnx-session';
import type { OnnxSessionLike, TensorData } from '../common/onnx-worker-session';
import { FaceCropperError } from './face-cropper-error';
import type { FaceDetectorOptions } from './face-detector';

/**
 * Opens an ONNX Runtime session the way every face detector here does: on the first of
 * the configured execution providers that works; wraps load failures in `MODEL_LOAD_FAILED`.
 * (Sessions log errors only: the upstream UltraFace graph lists its initializers as inputs,
 * and ONNX Runtime would warn once per initializer at load time.)
 */
export async function openDetectorSession(
  modelPath: string,
  options: FaceDetectorOptions,
  detector: string,
): Promise<{ session: OnnxSessionLike; executionProvider: string }> {
  try {
    const { session, executionProvider } = await createOnnxSession(modelPath, {
      executionProviders: options.executionProviders,
      intraOpThreads: options.intraOpNumThreads ?? 0,
      graphOptimizationLevel: options.graphOptimizationLevel,
    });
    return { session, executionProvider };
  } catch (cause) {
    throw new FaceCropperError('MODEL_LOAD_FAILED', `cannot load ${detector} model ${modelPath}`, { cause, detector });
  }
}

/** Why the session's inputs and outputs are not the expected ones, or undefined when they are. */
export function describeGraphMismatch(
  session: OnnxSessionLike,
  input: { name: string; shape: number[] },
  outputNames: string[],
): string | undefined {
  if (!session.inputNames.includes(input.name)) return `expected an input named "${input.name}", found ${session.inputNames.join(', ')}`;
  const missing = outputNames.filter((name) => !session.outputNames.includes(name));
  if (missing.length > 0) return `expected outputs ${outputNames.join(', ')}, found ${session.outputNames.join(', ')}`;
  const metadata = session.inputMetadata.find((m) => m.name === input.name);
  const shape = metadata?.shape;
  if (metadata === undefined || !metadata.isTensor || shape === undefined) return undefined;
  const matches = shape.length === input.shape.length && shape.every((d, i) => typeof d !== 'number' || d === input.shape[i]);
  return matches ? undefined : `input shape is [${shape.join(', ')}], expected [${input.shape.join(', ')}]`;
}

/** True when the graph declares the first dimension of `inputName` symbolic (any batch), not a number. */
export function hasDynamicBatch(session: OnnxSessionLike, inputName: string): boolean {
  const shape = session.inputMetadata.find((m) => m.name === inputName)?.shape;
  return shape !== undefined && shape.length > 0 && typeof shape[0] !== 'number';
}

/** Runs the session, wrapping failures in `INFERENCE_FAILED`. */
export async function runDetectorSession(
  session: OnnxSessionLike,
  feeds: Record<string, TensorData>,
  detector: string,
): Promise<Record<string, TensorData>> {
  try {
    return await session.run(feeds);
  } catch (cause) {
    throw new FaceCropperError('INFERENCE_FAILED', `${detector} inference failed`, { cause, detector });
  }
}

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
