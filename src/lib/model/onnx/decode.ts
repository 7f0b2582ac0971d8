// Decodes an .onnx file with the onnx-proto package (protobufjs code generated from onnx.proto)
// and reads its tensors and attributes as plain numbers. Every problem becomes a
// ModelFormatError that says what in the file is wrong; nothing here knows the microscope's ops.

import onnxProto from 'onnx-proto';
import { ModelFormatError } from '../types';

export const { onnx } = onnxProto;
export type NodeProto = import('onnx-proto').onnx.INodeProto;
export type TensorProto = import('onnx-proto').onnx.ITensorProto;
export type GraphProto = import('onnx-proto').onnx.IGraphProto;
export type ModelProto = import('onnx-proto').onnx.IModelProto;
export type AttributeProto = import('onnx-proto').onnx.IAttributeProto;

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** Quotes at most `max` characters of a name found in the file. */
export function quote(s: string | null | undefined, max = 80): string {
  const t = s ?? '';
  return JSON.stringify(t.length > max ? `${t.slice(0, max)}…` : t);
}

/** An int64 field as a number (protobufjs gives Long objects); refuses values beyond 2^53. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high, unsigned } = v as { low: number; high: number; unsigned?: boolean };
    const n = (unsigned ? high >>> 0 : high) * 4294967296 + (low >>> 0);
    if (!Number.isSafeInteger(n)) throw new ModelFormatError(`an integer in the file is too large (${n})`);
    return n;
  }
  throw new ModelFormatError(`expected an integer in the file, found ${typeof v}`);
}

/** The file's ModelProto, or a ModelFormatError when the bytes are not one. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.byteLength === 0) throw new ModelFormatError('the .onnx file is empty');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(`this is not an ONNX model file (the protobuf could not be decoded: ${String((e as Error)?.message ?? e).slice(0, 80)})`);
  }
  if (!model.graph || !model.graph.node || model.graph.node.length === 0)
    throw new ModelFormatError('this is not an ONNX model file: it holds no graph (no nodes)');
  return model;
}

/** The default-domain opset the model declares (1 when it declares none). */
export function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : 1;
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

const elementCount = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** A tensor's values as float64 numbers (float, float16, double and integer types). */
export function tensorValues(t: TensorProto, where: string): Float64Array {
  const dims = tensorDims(t);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelFormatError(`${where}: tensor dims ${JSON.stringify(dims)} are not sizes`);
  const n = elementCount(dims);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new ModelFormatError(`${where}: its values are in a separate file (external data); save the model with every tensor inside the .onnx`);
  const raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : null;
  const out = raw ? fromRaw(t.dataType ?? 0, raw, n, where) : fromFields(t, n, where);
  if (out.length !== n) throw new ModelFormatError(`${where}: holds ${out.length} values but its dims ${JSON.stringify(dims)} need ${n}`);
  return out;
}

const BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.FLOAT16]: 2, [DataType.INT64]: 8, [DataType.INT32]: 4,
  [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1, [DataType.INT16]: 2, [DataType.UINT16]: 2,
};

function fromRaw(type: number, raw: Uint8Array, n: number, where: string): Float64Array {
  const size = BYTES[type];
  if (!size) throw new ModelFormatError(`${where}: element type ${DataType[type] ?? type} is not supported (float, float16, double or integers)`);
  if (raw.byteLength !== n * size) throw new ModelFormatError(`${where}: holds ${raw.byteLength} bytes but needs ${n * size}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  const read: (i: number) => number = {
    [DataType.FLOAT]: (i: number) => view.getFloat32(i * 4, true),
    [DataType.DOUBLE]: (i: number) => view.getFloat64(i * 8, true),
    [DataType.FLOAT16]: (i: number) => halfToFloat(view.getUint16(i * 2, true)),
    [DataType.INT64]: (i: number) => Number(view.getBigInt64(i * 8, true)),
    [DataType.INT32]: (i: number) => view.getInt32(i * 4, true),
    [DataType.INT16]: (i: number) => view.getInt16(i * 2, true),
    [DataType.UINT16]: (i: number) => view.getUint16(i * 2, true),
    [DataType.INT8]: (i: number) => view.getInt8(i),
    [DataType.UINT8]: (i: number) => view.getUint8(i),
    [DataType.BOOL]: (i: number) => view.getUint8(i),
  }[type]!;
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}

function fromFields(t: TensorProto, n: number, where: string): Float64Array {
  const type = t.dataType ?? 0;
  if (type === DataType.FLOAT) return Float64Array.from(t.floatData ?? []);
  if (type === DataType.DOUBLE) return Float64Array.from(t.doubleData ?? []);
  if (type === DataType.INT64) return Float64Array.from((t.int64Data ?? []).map(toNumber));
  if (type === DataType.FLOAT16) return Float64Array.from((t.int32Data ?? []).map(halfToFloat));
  if ([DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.BOOL].includes(type))
    return Float64Array.from(t.int32Data ?? []);
  if (n === 0) return new Float64Array(0);
  throw new ModelFormatError(`${where}: element type ${DataType[type] ?? type} is not supported (float, float16, double or integers)`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Reads a node's attributes by name, with types checked. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(private readonly node: NodeProto, private readonly where: string) {
    for (const a of node.attribute ?? []) this.byName.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  private get(name: string, type: number): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    // Old exporters leave `type` unset; trust the field then.
    if (a.type && a.type !== type) throw new ModelFormatError(`${this.where}: attribute ${quote(name)} should be ${AttrType[type]} but is ${AttrType[a.type] ?? a.type}`);
    return a;
  }
  int(name: string, def: number): number {
    const a = this.get(name, AttrType.INT);
    return a ? toNumber(a.i ?? 0) : def;
  }
  float(name: string, def: number): number {
    const a = this.get(name, AttrType.FLOAT);
    const v = a ? (a.f ?? 0) : def;
    if (!Number.isFinite(v)) throw new ModelFormatError(`${this.where}: attribute ${quote(name)} is ${v}, not a finite number`);
    return v;
  }
  ints(name: string): number[] | undefined {
    const a = this.get(name, AttrType.INTS);
    return a ? (a.ints ?? []).map(toNumber) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, AttrType.FLOATS);
    return a ? [...(a.floats ?? [])] : undefined;
  }
  string(name: string, def: string): string {
    const a = this.get(name, AttrType.STRING);
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : def;
  }
  tensor(name: string): TensorProto | undefined {
    return this.get(name, AttrType.TENSOR)?.t ?? undefined;
  }
}
