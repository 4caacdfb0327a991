/**
 * Rewrites of exported ONNX graphs that change how ONNX Runtime can run them, never what
 * they compute.
 *
 * Some exporters (older PyTorch, as for UltraFace) list every weight as a graph input as
 * well as an initializer. ONNX Runtime must then treat the weights as overridable inputs:
 * it cannot constant-fold them or fuse BatchNormalization into the convolutions, and warns
 * once per weight. Removing those entries from the inputs changes nothing else: the graph
 * computes the same outputs from the same initializers.
 *
 * The same exporters also fix the batch dimension at 1 in the declared shapes, although the
 * nodes (convolutions, and reshapes whose batch is read with `Shape`) work for any batch.
 * Declaring it symbolic lets one run take several frames (a GPU batch of a video's frames).
 */
import { onnx } from 'onnx-proto';

/** Name of the symbolic batch dimension that {@link dynamicBatchOf} declares. */
export const BATCH_DIM_PARAM = 'batch';

/** The graph with its initializers no longer listed as inputs. */
export function initializersAsConstants(graphBytes: Uint8Array): Uint8Array {
  const model = decodeGraph(graphBytes);
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  graph.input = (graph.input ?? []).filter((input) => !initializers.has(input.name));
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The graph with the first dimension of every input and output declared as the symbolic
 * {@link BATCH_DIM_PARAM}. Only for graphs whose nodes do not hard-code the batch (checked
 * by running a batch against single runs: `onnx-initializers.test.ts`). Intermediate shapes
 * recorded by the exporter (`value_info`) are dropped, as they would still say 1.
 */
export function dynamicBatchOf(graphBytes: Uint8Array): Uint8Array {
  const model = decodeGraph(graphBytes);
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  for (const value of [...(graph.input ?? []).filter((input) => !initializers.has(input.name)), ...(graph.output ?? [])]) {
    const firstDim = value.type?.tensorType?.shape?.dim?.[0];
    if (!firstDim) throw new Error(`the ONNX graph's ${value.name} has no batch dimension`);
    firstDim.dimValue = undefined;
    firstDim.dimParam = BATCH_DIM_PARAM;
  }
  graph.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}

function decodeGraph(graphBytes: Uint8Array): onnx.ModelProto {
  const model = onnx.ModelProto.decode(graphBytes);
  if (!model.graph) throw new Error('the ONNX file has no graph');
  return model;
}
