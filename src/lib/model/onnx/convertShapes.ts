// ONNX nodes that only move values or compute shapes: Constant, Identity, Dropout, Flatten,
// Reshape, Squeeze, Unsqueeze, Transpose (as a layout no-op), Pad (folded into the next Conv)
// and the shape arithmetic exporters emit (Shape, Gather, Cast, ...), evaluated at import.

import type { Converter, NodeIO } from './nodeIO';
import { constant } from './nodeIO';
import type { ConstValue, TensorValue } from './context';
import { tensorDims, tensorValues } from './decode';

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Elementwise arithmetic of two constants (same dims, or one of them a single value). */
export function foldBinary(io: NodeIO, a: ConstValue, b: ConstValue, f: (p: number, q: number) => number): ConstValue {
  if (a.values.length === 1 || b.values.length === 1 || a.values.length === b.values.length) {
    const [big, n] = a.values.length >= b.values.length ? [a, a.values.length] : [b, b.values.length];
    const at = (c: ConstValue, i: number) => c.values[c.values.length === 1 ? 0 : i];
    return constant(big.dims, Float64Array.from({ length: n }, (_, i) => f(at(a, i), at(b, i))));
  }
  return io.fail(`constants of dims [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast simply`);
}

const constantNode: Converter = (io) => {
  const t = io.attrs.tensor('value');
  if (t) return io.output(constant(tensorDims(t), tensorValues(t, io.where)));
  const f = io.attrs.has('value_float') ? [io.attrs.float('value_float', 0)] : io.attrs.floats('value_floats');
  const i = io.attrs.has('value_int') ? [io.attrs.int('value_int', 0)] : io.attrs.ints('value_ints');
  const v = f ?? i;
  if (!v) return io.fail(`only value, value_float(s) and value_int(s) constants are supported (found ${io.attrs.names().join(', ') || 'none'})`);
  io.output(constant(io.attrs.has('value_float') || io.attrs.has('value_int') ? [] : [v.length], v));
};

/** Dropout (inference) and Identity pass their input on. */
const passThrough: Converter = (io) => io.output(io.value(0) ?? io.fail('has no input'));

/** A per-image reshape the microscope can express: to flat features (flatten), or to the same shape. */
function reshapeTo(io: NodeIO, x: TensorValue, perImage: number[]): void {
  if (perImage.length === x.shape.length && perImage.every((d, i) => d === x.shape[i])) return io.output(x);
  if (perImage.length === 1 && perImage[0] === product(x.shape)) {
    return io.output(x.shape.length === 1 ? x : io.layer('flatten', [x], {}));
  }
  io.fail(`reshaping [${x.shape.join(', ')}] to [${perImage.join(', ')}] per image is not supported; only flattening is`);
}

const flatten: Converter = (io) => {
  const x = io.tensor(0);
  const axis = io.attrs.int('axis', 1);
  if (axis !== 1 && !(axis === -x.shape.length)) io.fail(`axis ${axis}: only flattening everything after the batch (axis 1) is supported`);
  reshapeTo(io, x, [product(x.shape)]);
};

const reshape: Converter = (io) => {
  const x = io.tensor(0);
  const target = io.opset < 5 ? io.attrs.ints('shape') : (() => {
    const c = io.constant(1);
    return c && [...c.values];
  })();
  if (!target || target.length === 0) return io.fail('its target shape is not a constant');
  const full = [1, ...x.shape];
  const dims = target.map((d, i) => (d === 0 ? full[i] : d));
  const known = product(dims.filter((d) => d !== -1));
  const total = product(full);
  const resolved = dims.map((d) => (d === -1 ? total / known : d));
  if (resolved.some((d) => !Number.isInteger(d) || d < 1) || product(resolved) !== total)
    io.fail(`target shape [${target.join(', ')}] does not fit [batch, ${x.shape.join(', ')}]`);
  if (resolved[0] !== 1) io.fail(`target shape [${target.join(', ')}] mixes images of the batch; the first axis must stay the batch`);
  reshapeTo(io, x, resolved.slice(1));
};

function axesOf(io: NodeIO): number[] | undefined {
  if (io.opset < 13) return io.attrs.ints('axes');
  const c = io.constant(1);
  return c ? [...c.values] : undefined;
}

const squeeze: Converter = (io) => {
  const v = io.value(0) ?? io.fail('has no input');
  const axes = axesOf(io);
  if (v.kind === 'const') {
    const rank = v.dims.length;
    const drop = new Set((axes ?? v.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + rank : a)));
    return io.output(constant(v.dims.filter((_, i) => !drop.has(i)), v.values));
  }
  const full = [1, ...v.shape];
  const rank = full.length;
  const drop = new Set((axes ?? full.map((d, i) => (d === 1 && i > 0 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + rank : a)));
  if (drop.has(0) || [...drop].some((a) => full[a] !== 1)) io.fail(`axes [${[...drop].join(', ')}] are not all single-sized axes after the batch`);
  reshapeTo(io, io.tensor(0), full.filter((_, i) => !drop.has(i)).slice(1));
};

const unsqueeze: Converter = (io) => {
  const c = io.constant(0) ?? io.fail('has no input');
  const axes = axesOf(io) ?? io.fail('has no axes');
  const dims = [...c.dims];
  const rank = dims.length + axes.length;
  for (const a of axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
  io.output(constant(dims, c.values));
};

/** A Transpose that only moves single-sized axes (or none) keeps the data's order: a no-op. */
const transpose: Converter = (io) => {
  const x = io.tensor(0);
  const full = [1, ...x.shape];
  const perm = io.attrs.ints('perm') ?? full.map((_, i) => full.length - 1 - i);
  const order = perm.filter((a) => full[a] !== 1);
  if (perm[0] !== 0 || order.some((a, i) => i > 0 && a < order[i - 1]))
    io.fail(`perm [${perm.join(', ')}] reorders the data; only a Transpose that keeps the layout (moving single-sized axes) is supported`);
  io.output(x);
};

const pad: Converter = (io) => {
  const x = io.tensor(0, true);
  const mode = io.attrs.string('mode', 'constant');
  const pads = io.opset < 11 ? io.attrs.ints('pads') : io.constant(1) && [...io.constant(1)!.values];
  const value = io.opset < 11 ? io.attrs.float('value', 0) : (io.constant(2)?.values[0] ?? 0);
  if (mode !== 'constant' || value !== 0) io.fail(`only zero padding is supported (mode ${JSON.stringify(mode.slice(0, 20))}, value ${value})`);
  if (!pads || pads.length !== 8) return io.fail('only the pads of a 4-D [batch, channels, height, width] tensor are supported');
  if (pads[0] || pads[1] || pads[4] || pads[5]) io.fail('padding the batch or channel axis is not supported');
  if (pads.some((p) => p < 0)) io.fail('negative pads (cropping) are not supported');
  const before = x.pad ?? [0, 0, 0, 0];
  io.output({ ...x, pad: [before[0] + pads[2], before[1] + pads[3], before[2] + pads[6], before[3] + pads[7]] });
};

const shape: Converter = (io) => {
  const v = io.value(0) ?? io.fail('has no input');
  const full = v.kind === 'const' ? v.dims : [1, ...v.shape];
  const start = io.attrs.int('start', 0);
  const end = io.attrs.has('end') ? io.attrs.int('end', full.length) : full.length;
  const s = full.slice(start, end);
  io.output(constant([s.length], s));
};

const gather: Converter = (io) => {
  const data = io.constant(0) ?? io.fail('has no data');
  const idx = io.constant(1) ?? io.fail('has no indices');
  if (data.dims.length !== 1 || io.attrs.int('axis', 0) !== 0) io.fail('only gathering from a 1-D constant is supported');
  const n = data.values.length;
  io.output(constant(idx.dims, [...idx.values].map((i) => data.values[i < 0 ? i + n : i] ?? io.fail(`index ${i} is outside ${n} values`))));
};

const cast: Converter = (io) => io.output(io.constant(0) ?? io.fail('has no input'));

const arithmetic = (f: (p: number, q: number) => number): Converter => (io) => {
  const [a, b] = [io.constant(0), io.constant(1)];
  if (!a || !b) return io.fail('needs two inputs');
  io.output(foldBinary(io, a, b, f));
};

export const SHAPE_CONVERTERS: Record<string, Converter> = {
  Constant: constantNode,
  Identity: passThrough,
  Dropout: passThrough,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Pad: pad,
  Shape: shape,
  Gather: gather,
  Cast: cast,
  Sub: arithmetic((p, q) => p - q),
  Div: arithmetic((p, q) => p / q),
};
