/**
 * face-api's 68-point landmark net (`FaceLandmark68Net` of @vladmandic/face-api, MIT) as an
 * ONNX graph: four densely connected blocks (`denseBlock4` in src/faceFeatureExtractor/
 * denseBlock.ts; the first block's first convolution ordinary, the others depthwise-
 * separable; stride 2 on entry), a 7×7 average pool (stride 2, valid) and a fully
 * connected 256 → 136 layer. TensorFlow's 'same' padding is ONNX SAME_UPPER.
 */
import { OnnxGraphBuilder } from '../onnx-graph-builder';
import { FaceApiConversionError } from './faceapi-conversion-error';
import type { TfjsTensor } from './tfjs-weights';

/** Graph input: [N, 112, 112, 3] float32, NHWC RGB, already (pixel − mean) / 255. */
export const FACEAPI_LANDMARK_INPUT = 'input';
/** Graph output: [N, 136], x then y of 68 points, in [0, 1] of the (square) input. */
export const FACEAPI_LANDMARK_OUTPUT = 'landmarks';
/** face-api's landmark net input side (`FaceLandmark68NetBase.forwardInput`: 112). */
export const FACEAPI_LANDMARK_INPUT_SIZE = 112;

const BLOCK_CHANNELS = [32, 64, 128, 256];
const LANDMARK_VALUES = 136;

/** Builds the serialized ONNX model from the restored face-api tensors. */
export function buildFaceApiLandmarkModel(tensors: ReadonlyMap<string, TfjsTensor>): Uint8Array {
  const graph = new OnnxGraphBuilder();
  const take = (name: string, shape: number[]): Float32Array => {
    const tensor = tensors.get(name);
    if (tensor === undefined || tensor.shape.join() !== shape.join()) {
      throw new FaceApiConversionError('UNEXPECTED_WEIGHTS', `Tensor ${name} is missing or not of shape [${shape}]: is this face-api's 68-point landmark model?`);
    }
    return tensor.values;
  };
  let x = graph.addNode('Transpose', [FACEAPI_LANDMARK_INPUT], 'input/nchw', { perm: { ints: [0, 3, 1, 2] } });
  let channels = 3;
  BLOCK_CHANNELS.forEach((out, index) => {
    x = denseBlock(graph, x, `dense${index}`, channels, out, index === 0, take);
    channels = out;
  });
  const pooled = graph.addNode('AveragePool', [x], 'average_pool', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } });
  const flat = graph.addNode('Flatten', [pooled], 'flatten', { axis: { int: 1 } });
  const fcWeights = graph.addInitializer('fc/weights', [channels, LANDMARK_VALUES], take('fc/weights', [channels, LANDMARK_VALUES]));
  const fcBias = graph.addInitializer('fc/bias', [LANDMARK_VALUES], take('fc/bias', [LANDMARK_VALUES]));
  const landmarks = graph.addNode('Gemm', [flat, fcWeights, fcBias], FACEAPI_LANDMARK_OUTPUT);
  const size = FACEAPI_LANDMARK_INPUT_SIZE;
  return graph.serialize(
    [{ name: FACEAPI_LANDMARK_INPUT, shape: ['N', size, size, 3] }],
    [{ name: landmarks, shape: ['N', LANDMARK_VALUES] }],
    {
      graphName: 'faceapi_landmark68',
      docString: 'face-api FaceLandmark68Net (@vladmandic/face-api 1.7.15, MIT) converted by deepsift. Output: 68 points (x, y) in [0, 1] of the input crop.',
    },
  );
}

type Take = (name: string, shape: number[]) => Float32Array;

/** `denseBlock4`: out1 = relu(conv0(x)), then three separable convolutions fed by the running sums. */
function denseBlock(graph: OnnxGraphBuilder, input: string, name: string, inChannels: number, channels: number, first: boolean, take: Take): string {
  const out1 = graph.addNode('Relu', [
    first ? convolution(graph, input, `${name}/conv0`, inChannels, channels, take) : separable(graph, input, `${name}/conv0`, inChannels, channels, 2, take),
  ], `${name}/out1`);
  const out2 = separable(graph, out1, `${name}/conv1`, channels, channels, 1, take);
  const sum12 = graph.addNode('Add', [out1, out2], `${name}/sum12`);
  const out3 = separable(graph, graph.addNode('Relu', [sum12], `${name}/in3`), `${name}/conv2`, channels, channels, 1, take);
  const sum123 = graph.addNode('Add', [sum12, out3], `${name}/sum123`);
  const out4 = separable(graph, graph.addNode('Relu', [sum123], `${name}/in4`), `${name}/conv3`, channels, channels, 1, take);
  return graph.addNode('Relu', [graph.addNode('Add', [sum123, out4], `${name}/sum1234`)], `${name}/out`);
}

/** An ordinary 3×3 convolution, stride 2, 'same', with bias; TF filters are HWIO. */
function convolution(graph: OnnxGraphBuilder, input: string, name: string, inChannels: number, outChannels: number, take: Take): string {
  const hwio = take(`${name}/filters`, [3, 3, inChannels, outChannels]);
  const weight = graph.addInitializer(`${name}/filters`, [outChannels, inChannels, 3, 3], hwioToOihw(hwio, 3, inChannels, outChannels));
  const bias = graph.addInitializer(`${name}/bias`, [outChannels], take(`${name}/bias`, [outChannels]));
  return graph.addNode('Conv', [input, weight, bias], name, { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { string: 'SAME_UPPER' } });
}

/** TF `separableConv2d` + bias: depthwise 3×3 (stride `stride`, 'same') then pointwise 1×1. */
function separable(graph: OnnxGraphBuilder, input: string, name: string, inChannels: number, outChannels: number, stride: number, take: Take): string {
  // Depthwise filter [3, 3, in, 1] → ONNX grouped Conv weight [in, 1, 3, 3].
  const depthwise = hwioToOihw(take(`${name}/depthwise_filter`, [3, 3, inChannels, 1]), 3, inChannels, 1);
  const depthwiseWeight = graph.addInitializer(`${name}/depthwise_filter`, [inChannels, 1, 3, 3], depthwise);
  const spatial = graph.addNode('Conv', [input, depthwiseWeight], `${name}/depthwise`, {
    kernel_shape: { ints: [3, 3] },
    strides: { ints: [stride, stride] },
    auto_pad: { string: 'SAME_UPPER' },
    group: { int: inChannels },
  });
  const pointwise = hwioToOihw(take(`${name}/pointwise_filter`, [1, 1, inChannels, outChannels]), 1, inChannels, outChannels);
  const pointwiseWeight = graph.addInitializer(`${name}/pointwise_filter`, [outChannels, inChannels, 1, 1], pointwise);
  const bias = graph.addInitializer(`${name}/bias`, [outChannels], take(`${name}/bias`, [outChannels]));
  return graph.addNode('Conv', [spatial, pointwiseWeight, bias], name, { kernel_shape: { ints: [1, 1] } });
}

/**
 * HWIO (TF) → OIHW (ONNX). A depthwise filter [k, k, C, 1] read with in = C, out = 1 comes
 * out as [1, C, k, k], which is the same memory as the grouped weight [C, 1, k, k].
 */
function hwioToOihw(hwio: Float32Array, k: number, inChannels: number, outChannels: number): Float32Array {
  const oihw = new Float32Array(hwio.length);
  for (let h = 0; h < k; h += 1) {
    for (let w = 0; w < k; w += 1) {
      for (let i = 0; i < inChannels; i += 1) {
        for (let o = 0; o < outChannels; o += 1) {
          oihw[((o * inChannels + i) * k + h) * k + w] = hwio[((h * k + w) * inChannels + i) * outChannels + o]!;
        }
      }
    }
  }
  return oihw;
}
