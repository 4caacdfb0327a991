/**
 * Some exporters (older PyTorch, as for UltraFace) list every weight as a graph input as
 * well as an initializer. ONNX Runtime must then treat the weights as overridable inputs:
 * it cannot constant-fold them or fuse BatchNormalization into the convolutions, and warns
 * once per weight. Removing those entries from the inputs changes nothing else: the graph
 * computes the same outputs from the same initializers.
 */
import { onnx } from 'onnx-proto';

/** The graph with its initializers no longer listed as inputs. */
export function initializersAsConstants(graphBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(graphBytes);
  const graph = model.graph;
  if (!graph) throw new Error('the ONNX file has no graph');
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  graph.input = (graph.input ?? []).filter((input) => !initializers.has(input.name));
  return onnx.ModelProto.encode(model).finish();
}
