/**
 * Checks that an ONNX graph is the one its manifest describes — input and output names,
 * input rank, layout and size — so that a user's detector with a wrong manifest fails
 * when it loads, with a message naming both sides, not on the first crop.
 */
import type { InputMetadata } from '../common';
import type { ImageModelManifest } from '../weights/manifest';

/** An ONNX graph that does not match its manifest. */
export class ModelMismatchError extends Error {
  override readonly name = 'ModelMismatchError';
  readonly code = 'MODEL_MISMATCH';
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(`model "${model}": ${message}`);
  }
}

/** Throws `ModelMismatchError` when the graph's inputs or outputs differ from the manifest's. */
export function checkGraphMatchesManifest(
  manifest: ImageModelManifest,
  graph: { inputNames: readonly string[]; outputNames: readonly string[]; inputMetadata: readonly InputMetadata[] },
): void {
  const { input, output } = manifest;
  if (!graph.inputNames.includes(input.name)) {
    throw new ModelMismatchError(manifest.name, `the manifest's input "${input.name}" is not an input of the ONNX graph (its inputs: ${list(graph.inputNames)})`);
  }
  if (output !== undefined && !graph.outputNames.includes(output.name)) {
    throw new ModelMismatchError(manifest.name, `the manifest's output "${output.name}" is not an output of the ONNX graph (its outputs: ${list(graph.outputNames)})`);
  }
  const shape = graph.inputMetadata.find((m) => m.name === input.name)?.shape;
  if (shape === undefined) return; // ONNX Runtime did not say; the first batch will tell
  const expected = input.layout === 'NHWC' ? ['batch', input.height, input.width, 3] : ['batch', 3, input.height, input.width];
  const matches = shape.length === 4 && shape.every((dim, i) => i === 0 || typeof dim !== 'number' || dim === expected[i]);
  if (!matches) {
    throw new ModelMismatchError(
      manifest.name,
      `the ONNX input "${input.name}" has shape [${shape.join(', ')}], but the manifest describes ${input.layout} ${input.width}×${input.height}×3, i.e. [${expected.join(', ')}]`,
    );
  }
}

function list(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ') || 'none';
}
