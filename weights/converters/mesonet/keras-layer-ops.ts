import { type KerasLayer, weightOf } from './keras-h5-reader';
import type { OnnxGraphBuilder } from '../onnx-graph-builder';

/*
 * Keras layers as ONNX nodes. Keras (TensorFlow backend) computes channels-last;
 * these nodes work on NCHW tensors, which ONNX Conv and MaxPool require, so the
 * graph transposes once at the input and once before Flatten.
 */

/** Keras BatchNormalization's default epsilon (Keras 2.1 `BatchNormalization(epsilon=1e-3)`). */
const KERAS_BATCH_NORM_EPSILON = 0.001;

/** Options of a Conv2D layer beyond its kernel. */
export interface Conv2dOptions {
  /** `dilation_rate`, 1 when omitted. */
  dilation?: number;
}

/**
 * Conv2D(padding='same', stride 1, activation='relu'). The Keras kernel is HWIO
 * (height, width, in, out); ONNX Conv wants OIHW.
 */
export function conv2dSameRelu(
  graph: OnnxGraphBuilder,
  input: string,
  layer: KerasLayer,
  shape: { kernelSize: number; inChannels: number; filters: number },
  options: Conv2dOptions = {},
): string {
  const { kernelSize: k, inChannels, filters } = shape;
  const dilation = options.dilation ?? 1;
  const hwio = weightOf(layer, 'kernel', [k, k, inChannels, filters]);
  const biasValues = weightOf(layer, 'bias', [filters]);
  const oihw = new Float32Array(hwio.length);
  for (let h = 0; h < k; h += 1) {
    for (let w = 0; w < k; w += 1) {
      for (let i = 0; i < inChannels; i += 1) {
        for (let o = 0; o < filters; o += 1) {
          oihw[((o * inChannels + i) * k + h) * k + w] = hwio[((h * k + w) * inChannels + i) * filters + o];
        }
      }
    }
  }
  // TensorFlow 'SAME' at stride 1 pads (effective kernel - 1) in total, the smaller half
  // before (TF `nn.convolution` padding docs); every MesoNet kernel is odd, so the halves are equal.
  if (k % 2 === 0) throw new Error(`Conv2D ${layer.name}: even kernel ${k} is not supported.`);
  const pad = (dilation * (k - 1)) / 2;
  const kernel = graph.addInitializer(`${layer.name}/kernel`, [filters, inChannels, k, k], oihw);
  const bias = graph.addInitializer(`${layer.name}/bias`, [filters], biasValues);
  const conv = graph.addNode('Conv', [input, kernel, bias], layer.name, {
    kernel_shape: { ints: [k, k] },
    dilations: { ints: [dilation, dilation] },
    strides: { ints: [1, 1] },
    pads: { ints: [pad, pad, pad, pad] },
  });
  return graph.addNode('Relu', [conv], `${layer.name}/relu`);
}

/** BatchNormalization at inference: Keras stores gamma, beta, moving_mean, moving_variance. */
export function batchNorm(graph: OnnxGraphBuilder, input: string, layer: KerasLayer, channels: number): string {
  const parameter = (name: string): string =>
    graph.addInitializer(`${layer.name}/${name}`, [channels], weightOf(layer, name, [channels]));
  return graph.addNode(
    'BatchNormalization',
    [input, parameter('gamma'), parameter('beta'), parameter('moving_mean'), parameter('moving_variance')],
    layer.name,
    { epsilon: { float: KERAS_BATCH_NORM_EPSILON } },
  );
}

/**
 * MaxPooling2D(pool_size=pool, padding='same'), stride = pool. ONNX `SAME_UPPER` is
 * TensorFlow's 'SAME': output ceil(in / stride), any odd padding at the end.
 */
export function maxPoolSame(graph: OnnxGraphBuilder, input: string, pool: number, output: string): string {
  return graph.addNode('MaxPool', [input], output, {
    kernel_shape: { ints: [pool, pool] },
    strides: { ints: [pool, pool] },
    auto_pad: { string: 'SAME_UPPER' },
  });
}

/** Concatenate(axis=-1) of channels-last Keras tensors: axis 1 in NCHW. */
export function concatChannels(graph: OnnxGraphBuilder, inputs: string[], output: string): string {
  return graph.addNode('Concat', inputs, output, { axis: { int: 1 } });
}

/**
 * Flatten of a channels-last tensor: back to NHWC first, so that the flattened
 * order is H, W, C, the order the Dense kernel was trained on.
 */
export function flattenChannelsLast(graph: OnnxGraphBuilder, input: string): string {
  const nhwc = graph.addNode('Transpose', [input], 'flatten/nhwc', { perm: { ints: [0, 2, 3, 1] } });
  return graph.addNode('Flatten', [nhwc], 'flatten', { axis: { int: 1 } });
}

/** Dense without activation: Keras' kernel is [in, out], i.e. `x · W + b`. */
export function dense(graph: OnnxGraphBuilder, input: string, layer: KerasLayer, inputs: number, units: number): string {
  const kernel = graph.addInitializer(`${layer.name}/kernel`, [inputs, units], weightOf(layer, 'kernel', [inputs, units]));
  const bias = graph.addInitializer(`${layer.name}/bias`, [units], weightOf(layer, 'bias', [units]));
  return graph.addNode('Gemm', [input, kernel, bias], layer.name);
}
