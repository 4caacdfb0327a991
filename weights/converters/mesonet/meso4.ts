import type { KerasWeightFile } from './keras-h5-reader';
import { batchNorm, conv2dSameRelu, maxPoolSame } from './keras-layer-ops';
import { classifierHead, expectLayers, type MesoNetGraph } from './mesonet-graph';
import type { OnnxGraphBuilder } from '../onnx-graph-builder';

/**
 * Meso4's convolutional blocks: Conv2D('same', ReLU) → BatchNormalization → MaxPool('same').
 * Afchar et al., "MesoNet", WIFS 2018, Fig. 4; `Meso4.init_model` in the MesoNet repository.
 */
const MESO4_BLOCKS = [
  { filters: 8, kernelSize: 3, pool: 2 },
  { filters: 8, kernelSize: 5, pool: 2 },
  { filters: 16, kernelSize: 5, pool: 2 },
  { filters: 16, kernelSize: 5, pool: 4 },
];

/** Adds Meso4 to `graph`, reading an NCHW RGB input tensor. */
export function buildMeso4(graph: OnnxGraphBuilder, input: string, weights: KerasWeightFile): MesoNetGraph {
  const convLayers = expectLayers(weights, 'conv2d', MESO4_BLOCKS.length);
  const batchNormLayers = expectLayers(weights, 'batch_normalization', MESO4_BLOCKS.length);
  const denseLayers = expectLayers(weights, 'dense', 2);

  const blockOutputs: string[] = [];
  let x = input;
  let channels = 3;
  MESO4_BLOCKS.forEach(({ filters, kernelSize, pool }, index) => {
    x = conv2dSameRelu(graph, x, convLayers[index], { kernelSize, inChannels: channels, filters });
    x = batchNorm(graph, x, batchNormLayers[index], filters);
    x = maxPoolSame(graph, x, pool, `block${index + 1}`);
    blockOutputs.push(x);
    channels = filters;
  });
  return { pReal: classifierHead(graph, x, denseLayers), blockOutputs };
}
