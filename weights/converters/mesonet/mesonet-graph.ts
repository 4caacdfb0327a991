import { MesoNetConversionError } from './conversion-error';
import { type KerasLayer, type KerasWeightFile, layersInCreationOrder } from './keras-h5-reader';
import { dense, flattenChannelsLast } from './keras-layer-ops';
import type { OnnxGraphBuilder } from '../onnx-graph-builder';

/** The tensors of a built MesoNet graph that callers may expose as outputs. */
export interface MesoNetGraph {
  /** Sigmoid output, [N, 1]: probability that the face is real. */
  pReal: string;
  /** Output of each convolutional block (after BatchNormalization and MaxPool), NCHW. */
  blockOutputs: string[];
}

/** Name of the graph's probability output. */
export const P_REAL_OUTPUT = 'p_real';

/** Both MesoNets end in an 8×8×16 feature map (Afchar et al. 2018, Fig. 4 and 5). */
const FLATTENED_FEATURES = 8 * 8 * 16;
const HIDDEN_UNITS = 16;
/** LeakyReLU(alpha=0.1) in the MesoNet repository's `classifiers.py`. */
const LEAKY_RELU_ALPHA = 0.1;

/**
 * The `count` layers of `kind` (e.g. `conv2d`) in creation order; a file with another
 * number of them holds some other architecture.
 */
export function expectLayers(file: KerasWeightFile, kind: string, count: number): KerasLayer[] {
  const layers = layersInCreationOrder(file, kind);
  if (layers.length !== count) {
    throw new MesoNetConversionError(
      'UNEXPECTED_LAYERS',
      `Expected ${count} ${kind} layers, found ${layers.length}: is this the right architecture?`,
    );
  }
  return layers;
}

/**
 * The shared MesoNet head: Flatten → Dropout → Dense(16) → LeakyReLU(0.1) → Dropout →
 * Dense(1, sigmoid). Dropout is the identity at inference, so it has no node.
 */
export function classifierHead(graph: OnnxGraphBuilder, features: string, denseLayers: KerasLayer[]): string {
  const [hiddenLayer, outputLayer] = denseLayers;
  const flat = flattenChannelsLast(graph, features);
  const hidden = dense(graph, flat, hiddenLayer, FLATTENED_FEATURES, HIDDEN_UNITS);
  const activated = graph.addNode('LeakyRelu', [hidden], `${hiddenLayer.name}/leaky_relu`, {
    alpha: { float: LEAKY_RELU_ALPHA },
  });
  const logit = dense(graph, activated, outputLayer, HIDDEN_UNITS, 1);
  return graph.addNode('Sigmoid', [logit], P_REAL_OUTPUT);
}
