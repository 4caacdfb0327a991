import { MesoNetConversionError } from './conversion-error';
import { type KerasWeightFile, readKerasWeights } from './keras-h5-reader';
import { buildMeso4 } from './meso4';
import { buildMesoInception4 } from './mesoinception4';
import { type MesoNetGraph, P_REAL_OUTPUT } from './mesonet-graph';
import { OnnxGraphBuilder } from '../onnx-graph-builder';

/** The two published MesoNet architectures (Afchar et al., WIFS 2018). */
export type MesoNetArchitecture = 'meso4' | 'mesoinception4';

/** Name of the graph input: [N, 256, 256, 3] float32, NHWC, RGB in [0, 1]. */
const MESONET_INPUT = 'input';
/** MesoNet's input side in pixels (Afchar et al. 2018, Section 3). */
const INPUT_SIZE = 256;

/** Options of {@link buildMesoNetModel}. */
export interface MesoNetModelOptions {
  /** Also output each convolutional block's result as `block1`, `block2`, ... (NCHW); for checking the conversion. */
  exposeBlockOutputs?: boolean;
}

/** Converts a MesoNet Keras weight file to a serialized ONNX model. */
export async function convertMesoNetH5(h5Bytes: Uint8Array, architecture: MesoNetArchitecture): Promise<Uint8Array> {
  return buildMesoNetModel(await readKerasWeights(h5Bytes), architecture);
}

/**
 * Builds the ONNX model of `architecture` from its Keras weights. Output `p_real`
 * [N, 1] is the Keras model's sigmoid: the probability that the face is real.
 */
export function buildMesoNetModel(
  weights: KerasWeightFile,
  architecture: MesoNetArchitecture,
  options: MesoNetModelOptions = {},
): Uint8Array {
  const graph = new OnnxGraphBuilder();
  const nchw = graph.addNode('Transpose', [MESONET_INPUT], 'input/nchw', { perm: { ints: [0, 3, 1, 2] } });
  const built = buildArchitecture(graph, nchw, weights, architecture);
  const extraOutputs = options.exposeBlockOutputs === true ? built.blockOutputs.map((name) => ({ name })) : [];
  return graph.serialize(
    [{ name: MESONET_INPUT, shape: ['N', INPUT_SIZE, INPUT_SIZE, 3] }],
    [{ name: built.pReal, shape: ['N', 1] }, ...extraOutputs],
    {
      graphName: architecture,
      docString:
        `MesoNet ${architecture} (Afchar et al., WIFS 2018) converted by deepsift from Keras ` +
        `${weights.kerasVersion} weights. Output ${P_REAL_OUTPUT} = P(face is real).`,
    },
  );
}

function buildArchitecture(
  graph: OnnxGraphBuilder,
  input: string,
  weights: KerasWeightFile,
  architecture: MesoNetArchitecture,
): MesoNetGraph {
  switch (architecture) {
    case 'meso4':
      return buildMeso4(graph, input, weights);
    case 'mesoinception4':
      return buildMesoInception4(graph, input, weights);
    default:
      throw new MesoNetConversionError('UNEXPECTED_LAYERS', `Unknown MesoNet architecture ${String(architecture)}.`);
  }
}
