import { onnx } from 'onnx-proto';

/** An ONNX node attribute, tagged with its ONNX type (JS numbers cannot tell INT from FLOAT). */
export type OnnxAttributeValue =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { string: string };

/** A float32 graph input or output; a string dimension is symbolic (dynamic), e.g. `'N'`. */
export interface OnnxTensorSpec {
  name: string;
  /** Omitted: rank and shape left for ONNX Runtime to infer. */
  shape?: (number | string)[];
}

/** What the serialized model declares about itself. */
export interface OnnxModelMetadata {
  graphName: string;
  docString: string;
}

/** ONNX opset 13 (ONNX 1.8), run by every ONNX Runtime since 1.6; IR version 7 is the one that goes with it. */
const OPSET_VERSION = 13;
const IR_VERSION = 7;

/**
 * Collects nodes and initializers (float32 weights, int64 shape constants) and serializes
 * them as an ONNX ModelProto. Shared by the converters in `weights/converters/`.
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly usedNames = new Set<string>();

  /** Adds a constant float32 tensor and returns its name. */
  addInitializer(name: string, dims: number[], values: Float32Array): string {
    const expected = dims.reduce((product, dim) => product * dim, 1);
    if (values.length !== expected) {
      throw new Error(`Initializer ${name}: ${values.length} values for dims [${dims}].`);
    }
    const uniqueName = this.claimName(name);
    this.initializers.push({ name: uniqueName, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(values) });
    return uniqueName;
  }

  /** Adds a constant int64 tensor (shapes, axes, slice bounds) and returns its name. */
  addInt64Initializer(name: string, dims: number[], values: readonly number[]): string {
    const expected = dims.reduce((product, dim) => product * dim, 1);
    if (values.length !== expected) {
      throw new Error(`Initializer ${name}: ${values.length} values for dims [${dims}].`);
    }
    const uniqueName = this.claimName(name);
    this.initializers.push({ name: uniqueName, dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return uniqueName;
  }

  /** Adds a single-output node and returns the output tensor's name (`output`, made unique). */
  addNode(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttributeValue> = {}): string {
    const [outputName] = this.addMultiOutputNode(opType, inputs, [output], attributes);
    return outputName!;
  }

  /**
   * Adds a node with several outputs (GRU: `Y`, `Y_h`) and returns their names, made
   * unique; an empty string skips an optional input or output, as ONNX allows.
   */
  addMultiOutputNode(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, OnnxAttributeValue> = {},
  ): string[] {
    const outputNames = outputs.map((output) => (output === '' ? '' : this.claimName(output)));
    this.nodes.push({
      opType,
      name: outputNames.find((name) => name !== '') ?? opType,
      input: inputs,
      output: outputNames,
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    });
    return outputNames;
  }

  /** Serializes the graph built so far as an ONNX ModelProto. */
  serialize(inputs: OnnxTensorSpec[], outputs: OnnxTensorSpec[], metadata: OnnxModelMetadata): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      producerName: 'deepsift',
      docString: metadata.docString,
      graph: {
        name: metadata.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(toValueInfo),
        output: outputs.map(toValueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claimName(base: string): string {
    let name = base;
    for (let suffix = 2; this.usedNames.has(name); suffix += 1) name = `${base}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }
}

function toAttribute(name: string, value: OnnxAttributeValue): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: value.ints };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.string) };
}

function toValueInfo(spec: OnnxTensorSpec): onnx.IValueInfoProto {
  const shape =
    spec.shape === undefined
      ? undefined
      : { dim: spec.shape.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) };
  return { name: spec.name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape } } };
}
