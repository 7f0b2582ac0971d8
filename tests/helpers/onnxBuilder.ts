// Writes small ONNX files in tests, node by node, with onnx-proto's encoder: the importer's
// unit tests build exactly the graph a case needs (an exporter's quirk, a hostile field).

import { onnx } from '../../src/lib/model/onnx/decode';
import type { onnx as proto } from 'onnx-proto';

type AttrValue = number | number[] | string | { floats: number[] } | { tensor: proto.ITensorProto };

export interface BuiltNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): proto.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): proto.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

function attribute(name: string, v: AttrValue): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'number') return Number.isInteger(v) && !name.match(/alpha|beta|epsilon|bias|min|max|value/) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: v.tensor };
}

const valueInfo = (name: string, dims: (number | string)[]): proto.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

export function buildOnnx(opts: {
  input: [string, (number | string)[]];
  output: [string, (number | string)[]];
  nodes: BuiltNode[];
  initializers?: proto.ITensorProto[];
  opset?: number;
}): Uint8Array {
  const model: proto.IModelProto = {
    irVersion: 8,
    producerName: 'test',
    opsetImport: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'g',
      node: opts.nodes.map((n, i) => ({
        opType: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `${n.op}_${i}`,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: opts.initializers ?? [],
      input: [valueInfo(...opts.input)],
      output: [valueInfo(...opts.output)],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Seeded values in [-1, 1). */
export function seededValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}
