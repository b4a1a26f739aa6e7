/**
 * A small builder for an ONNX graph: nodes, initializers and unique value names, serialised with the
 * ONNX project's own protobuf schema (the `onnx-proto` package, encoded by protobufjs).
 */
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

const { onnx } = onnxProto;

/** The opset the exporter writes: 17 has every op it uses, with the attribute forms it uses. */
export const ONNX_OPSET = 17;
/** IR version 8 (ONNX 1.10+), what `onnx-proto` 8 describes; opset 17 needs at least 8. */
export const ONNX_IR_VERSION = 8;

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

/** A float32 tensor in tfjs's row-major order. */
export interface FloatTensor {
  values: Float32Array;
  shape: number[];
}

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

/**
 * Numbers given as attributes are ints (ONNX's INT / INTS, e.g. strides) unless wrapped as
 * `{ float }` or `{ floats }` (e.g. epsilon).
 */
function attribute(name: string, value: AttributeValue): proto.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer (wrap floats as { float })`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) {
    if (!value.every(Number.isInteger)) throw new Error(`attribute ${name}: [${value.join(', ')}] are not all integers`);
    return { name, type: AttributeType.INTS, ints: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

function littleEndianBytes(view: ArrayBufferView): Uint8Array {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  // ONNX raw_data is little-endian; typed arrays use the machine's order.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes.slice();
  const width = (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let b = 0; b < width; b++) swapped[i + b] = bytes[i + width - 1 - b]!;
  return swapped;
}

export class OnnxGraph {
  readonly nodes: proto.INodeProto[] = [];
  readonly initializers: proto.ITensorProto[] = [];
  private readonly names = new Set<string>();

  /** `base` if it is free, else `base_2`, `base_3`, …; reserves it. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Marks a name as taken (graph inputs, layer outputs). */
  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX value name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  /** Adds one node; '' in `inputs` leaves an optional input out. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, name?: string): void {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.uniqueName(`${name ?? outputs[0]}/${opType}`),
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
  }

  /** A float32 initializer; returns its value name. */
  floats(base: string, values: Float32Array | number[], shape: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${base}: ${data.length} values for shape [${shape.join(', ')}]`);
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims: shape, dataType: DataType.FLOAT, rawData: littleEndianBytes(data) });
    return name;
  }

  /** An int64 initializer (shapes, pads, sizes); returns its value name. */
  int64s(base: string, values: number[]): string {
    const name = this.uniqueName(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: littleEndianBytes(data) });
    return name;
  }
}

export interface OnnxModelOptions {
  graphName: string;
  /** Graph inputs and outputs: float32 tensors, a string in `shape` is a symbolic dimension (the batch). */
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  docString?: string;
  /** Key/value pairs readers can show (labels, preprocessing, where the model came from). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

function valueInfo(value: { name: string; shape: (number | string)[] }): proto.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: value.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** The serialised ModelProto. */
export function encodeModel(graph: OnnxGraph, options: OnnxModelOptions): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'attention-studio',
    producerVersion: options.producerVersion ?? '',
    docString: options.docString ?? '',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName,
      node: graph.nodes,
      initializer: graph.initializers,
      input: options.inputs.map(valueInfo),
      output: options.outputs.map(valueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Parses a serialised model back (tests, and reading what an export wrote). */
export function decodeModel(bytes: Uint8Array): proto.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
