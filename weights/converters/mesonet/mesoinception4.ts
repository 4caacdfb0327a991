import type { KerasLayer, KerasWeightFile } from './keras-h5-reader';
import { batchNorm, concatChannels, conv2dSameRelu, maxPoolSame } from './keras-layer-ops';
import { classifierHead, expectLayers, type MesoNetGraph } from './mesonet-graph';
import type { OnnxGraphBuilder } from '../onnx-graph-builder';

/** Filters of the four Inception branches: 1×1 (a), 1×1→3×3 (b), 1×1→3×3 dilated 2 (c), 1×1→3×3 dilated 3 (d). */
interface InceptionFilters {
  a: number;
  b: number;
  c: number;
  d: number;
}

/** Afchar et al., "MesoNet", WIFS 2018, Fig. 5; `MesoInception4.init_model` in the MesoNet repository. */
const INCEPTION_BLOCKS: InceptionFilters[] = [
  { a: 1, b: 4, c: 4, d: 2 },
  { a: 2, b: 4, c: 4, d: 2 },
];
const CONV_BLOCKS = [
  { filters: 16, kernelSize: 5, pool: 2 },
  { filters: 16, kernelSize: 5, pool: 4 },
];
/** Each Inception block creates seven Conv2D layers: a, b1, b2, c1, c2, d1, d2. */
const CONVS_PER_INCEPTION = 7;
const INCEPTION_POOL = 2;

/** Adds MesoInception4 to `graph`, reading an NCHW RGB input tensor. */
export function buildMesoInception4(graph: OnnxGraphBuilder, input: string, weights: KerasWeightFile): MesoNetGraph {
  const convLayers = expectLayers(weights, 'conv2d', INCEPTION_BLOCKS.length * CONVS_PER_INCEPTION + CONV_BLOCKS.length);
  const batchNormLayers = expectLayers(weights, 'batch_normalization', INCEPTION_BLOCKS.length + CONV_BLOCKS.length);
  const denseLayers = expectLayers(weights, 'dense', 2);

  const blockOutputs: string[] = [];
  let x = input;
  let channels = 3;
  INCEPTION_BLOCKS.forEach((filters, index) => {
    const layers = convLayers.slice(index * CONVS_PER_INCEPTION, (index + 1) * CONVS_PER_INCEPTION);
    x = inceptionBlock(graph, x, layers, channels, filters, `inception${index + 1}`);
    channels = filters.a + filters.b + filters.c + filters.d;
    x = batchNorm(graph, x, batchNormLayers[index], channels);
    x = maxPoolSame(graph, x, INCEPTION_POOL, `block${blockOutputs.length + 1}`);
    blockOutputs.push(x);
  });
  CONV_BLOCKS.forEach(({ filters, kernelSize, pool }, index) => {
    const convLayer = convLayers[INCEPTION_BLOCKS.length * CONVS_PER_INCEPTION + index];
    x = conv2dSameRelu(graph, x, convLayer, { kernelSize, inChannels: channels, filters });
    x = batchNorm(graph, x, batchNormLayers[INCEPTION_BLOCKS.length + index], filters);
    x = maxPoolSame(graph, x, pool, `block${blockOutputs.length + 1}`);
    blockOutputs.push(x);
    channels = filters;
  });
  return { pReal: classifierHead(graph, x, denseLayers), blockOutputs };
}

/** The channel concatenation, in order a, b, c, d, of the four branches (`InceptionLayer` upstream). */
function inceptionBlock(
  graph: OnnxGraphBuilder,
  input: string,
  layers: KerasLayer[],
  inChannels: number,
  filters: InceptionFilters,
  name: string,
): string {
  const [aConv, bReduce, bConv, cReduce, cConv, dReduce, dConv] = layers;
  const pointwise = (layer: KerasLayer, out: number): string =>
    conv2dSameRelu(graph, input, layer, { kernelSize: 1, inChannels, filters: out });
  const spatial = (from: string, layer: KerasLayer, out: number, dilation: number): string =>
    conv2dSameRelu(graph, from, layer, { kernelSize: 3, inChannels: out, filters: out }, { dilation });

  const branches = [
    pointwise(aConv, filters.a),
    spatial(pointwise(bReduce, filters.b), bConv, filters.b, 1),
    spatial(pointwise(cReduce, filters.c), cConv, filters.c, 2),
    spatial(pointwise(dReduce, filters.d), dConv, filters.d, 3),
  ];
  return concatChannels(graph, branches, name);
}
