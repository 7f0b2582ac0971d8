// ONNX nodes that compute: Conv, Gemm/MatMul, pooling, batchnorm, LRN, activations, Add, Mul,
// Concat, Softmax, each mapped onto the microscope's op with the same semantics (PyTorch's).
// Shapes are per image: the batch axis of ONNX tensors is dropped.

import type { Converter, NodeIO } from './nodeIO';
import { constant } from './nodeIO';
import type { ConstValue, TensorValue } from './context';
import { foldBinary } from './convertShapes';

const pairOf = (v: number[] | undefined, def: number, what: string, io: NodeIO): [number, number] => {
  if (!v) return [def, def];
  if (v.length !== 2) io.fail(`attribute "${what}" has ${v.length} values; only 2-D (images) is supported`);
  return [v[0], v[1]];
};

interface Window {
  stride: [number, number];
  dilation: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

/** The sliding window of a Conv or a pool, with auto_pad resolved and a folded Pad added. */
function windowOf(io: NodeIO, x: TensorValue, kernel: [number, number]): Window {
  const a = io.attrs;
  const stride = pairOf(a.ints('strides'), 1, 'strides', io);
  const dilation = pairOf(a.ints('dilations'), 1, 'dilations', io);
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads: [number, number, number, number] = [0, 0, 0, 0];
  const given = a.ints('pads');
  if (autoPad === 'NOTSET') {
    if (given) {
      if (given.length !== 4) io.fail(`attribute "pads" has ${given.length} values; 2-D needs 4`);
      pads = [given[0], given[1], given[2], given[3]];
    }
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((ax) => {
      const inLen = x.shape[ax + 1];
      const out = Math.ceil(inLen / stride[ax]);
      return Math.max((out - 1) * stride[ax] + (kernel[ax] - 1) * dilation[ax] + 1 - inLen, 0);
    });
    const begin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    pads = [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]];
  } else if (autoPad !== 'VALID') {
    io.fail(`auto_pad ${JSON.stringify(autoPad.slice(0, 20))} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) io.fail(`pads [${pads.join(', ')}] must be non-negative`);
  if (x.pad) pads = [pads[0] + x.pad[0], pads[1] + x.pad[1], pads[2] + x.pad[2], pads[3] + x.pad[3]];
  return { stride, dilation, pads };
}

/** padding (top, left) and, when it differs, padEnd (bottom, right). */
function paddingAttrs(w: Window): Record<string, unknown> {
  const padding = [w.pads[0], w.pads[1]];
  const padEnd = [w.pads[2], w.pads[3]];
  return padEnd[0] === padding[0] && padEnd[1] === padding[1] ? { padding } : { padding, padEnd };
}

const conv: Converter = (io) => {
  const x = io.tensor(0, true);
  const w = io.weight(1, 4, 'weight (4-D, [out, in/groups, kh, kw])');
  const kernel: [number, number] = [w.dims[2], w.dims[3]];
  const given = io.attrs.ints('kernel_shape');
  if (given && (given.length !== 2 || given[0] !== kernel[0] || given[1] !== kernel[1]))
    io.fail(`kernel_shape [${given.join(', ')}] does not match its weight's [${kernel.join(', ')}]`);
  const win = windowOf(io, x, kernel);
  const b = io.constant(2);
  io.output(io.layer('conv2d', [x], {
    kernel, stride: win.stride, dilation: win.dilation, groups: io.attrs.int('group', 1), ...paddingAttrs(win),
  }, { weight: w, bias: b && constant([b.values.length], b.values) }));
};

function transpose2d(c: ConstValue): ConstValue {
  const [r, k] = c.dims;
  const out = new Float64Array(r * k);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = c.values[i * k + j];
  return constant([k, r], out);
}

const scaled = (c: ConstValue, s: number): ConstValue => (s === 1 ? c : constant(c.dims, c.values.map((v) => v * s)));

const gemm: Converter = (io) => {
  const x = io.tensor(0);
  if (io.attrs.int('transA', 0) !== 0) io.fail('transA = 1 is not supported (the input must be [batch, features])');
  const b = io.weight(1, 2, 'B (2-D)');
  const transposed = io.attrs.int('transB', 0) === 0;
  const w = scaled(transposed ? transpose2d(b) : b, io.attrs.float('alpha', 1));
  const c = io.constant(2);
  const out = w.dims[0];
  if (c && c.values.length !== out && c.values.length !== 1) io.fail(`C has ${c.values.length} values; expected ${out} (one per output)`);
  const beta = io.attrs.float('beta', 1);
  const bias = c && constant([out], Float64Array.from({ length: out }, (_, i) => beta * c.values[c.values.length === 1 ? 0 : i]));
  const y = io.layer('linear', [x], {}, { weight: w, bias });
  io.ctx.weightOrigins[y.layer] = { initializer: io.node.input![1], transposed };
  io.output(y);
};

const matmul: Converter = (io) => {
  const x = io.tensor(0);
  const b = io.weight(1, 2, 'second input (a 2-D initializer [in, out])');
  const y = io.layer('linear', [x], {}, { weight: transpose2d(b) });
  io.ctx.weightOrigins[y.layer] = { initializer: io.node.input![1], transposed: true };
  io.output(y);
};

/** Add: a junction of two computed tensors, or a bias (a constant after a bias-free conv or linear). */
const add: Converter = (io) => {
  const [a, b] = [io.value(0), io.value(1)];
  if (!a || !b) return io.fail('needs two inputs');
  if (a.kind === 'const' && b.kind === 'const') return io.output(foldBinary(io, a, b, (p, q) => p + q));
  if (a.kind === 'tensor' && b.kind === 'tensor') return io.output(io.layer('add', [io.tensor(0), io.tensor(1)], {}));
  const [t, c] = (a.kind === 'tensor' ? [io.tensor(0), b] : [io.tensor(1), a]) as [TensorValue, ConstValue];
  io.output(asBias(io, t, c));
};

function asBias(io: NodeIO, t: TensorValue, c: ConstValue): TensorValue {
  const spec = io.ctx.layers.find((l) => l.name === t.layer);
  const channels = t.shape[0];
  const fits = c.values.length === channels && c.dims.filter((d) => d !== 1).length <= 1;
  if (!spec || (spec.op !== 'conv2d' && spec.op !== 'linear') || spec.params.bias || !fits
    || io.ctx.layers.some((l) => l.inputs.includes(t.layer)))
    return io.fail('adding a constant is supported only as the bias of a Conv or MatMul right before it');
  const name = `${spec.name}.bias`;
  io.ctx.tensors.push({ name, dims: [channels], data: Float32Array.from(c.values) });
  spec.params.bias = name;
  return t;
}

const mul: Converter = (io) => {
  const [a, b] = [io.value(0), io.value(1)];
  if (!a || !b) return io.fail('needs two inputs');
  if (a.kind === 'const' && b.kind === 'const') return io.output(foldBinary(io, a, b, (p, q) => p * q));
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return io.fail('multiplying by a constant is not supported; only two computed tensors (a channel scale) are');
  const [x, s] = [io.tensor(0), io.tensor(1)];
  const bigFirst = x.shape.reduce((p, q) => p * q, 1) >= s.shape.reduce((p, q) => p * q, 1);
  io.output(io.layer('mul', bigFirst ? [x, s] : [s, x], {}));
};

function poolKernel(io: NodeIO): [number, number] {
  const k = io.attrs.ints('kernel_shape');
  if (!k) return io.fail('has no kernel_shape');
  return pairOf(k, 1, 'kernel_shape', io);
}

const maxPool: Converter = (io) => {
  const x = io.tensor(0);
  const kernel = poolKernel(io);
  const win = windowOf(io, x, kernel);
  if (win.dilation[0] !== 1 || win.dilation[1] !== 1) io.fail('dilated max pooling is not supported');
  io.output(io.layer('maxpool', [x], { kernel, stride: win.stride, ceilMode: io.attrs.int('ceil_mode', 0) === 1, ...paddingAttrs(win) }));
};

const averagePool: Converter = (io) => {
  const x = io.tensor(0, true);
  const kernel = poolKernel(io);
  const includePad = io.attrs.int('count_include_pad', 0) === 1;
  if (x.pad && !includePad) io.fail('a Pad before an AveragePool that does not count padding cannot be folded');
  const win = windowOf(io, x, kernel);
  io.output(io.layer('avgpool', [x], {
    kernel, stride: win.stride, ceilMode: io.attrs.int('ceil_mode', 0) === 1, countIncludePad: includePad, ...paddingAttrs(win),
  }));
};

const globalAveragePool: Converter = (io) => io.output(io.layer('adaptiveavgpool', [io.tensor(0)], { output: [1, 1] }));

const globalMaxPool: Converter = (io) => {
  const x = io.tensor(0);
  io.output(io.layer('maxpool', [x], { kernel: [x.shape[1], x.shape[2]], stride: [x.shape[1], x.shape[2]] }));
};

const batchNorm: Converter = (io) => {
  if (io.attrs.int('training_mode', 0) !== 0) io.fail('training_mode = 1; export the model in eval mode');
  const x = io.tensor(0);
  const [weight, bias, runningMean, runningVar] = [1, 2, 3, 4].map((i) => io.weight(i, 1, ['scale', 'B', 'mean', 'var'][i - 1]));
  io.output(io.layer('batchnorm', [x], { eps: io.attrs.float('epsilon', 1e-5) }, { weight, bias, runningMean, runningVar }));
};

const lrn: Converter = (io) => {
  const size = io.attrs.int('size', 0);
  if (size % 2 !== 1) io.fail(`size ${size}: only odd sizes are supported (ONNX and PyTorch place an even window differently)`);
  io.output(io.layer('lrn', [io.tensor(0)], {
    size, alpha: io.attrs.float('alpha', 1e-4), beta: io.attrs.float('beta', 0.75), k: io.attrs.float('bias', 1),
  }));
};

function clipBounds(io: NodeIO): [number, number] {
  if (io.opset < 11) return [io.attrs.float('min', -3.4028234663852886e38), io.attrs.float('max', 3.4028234663852886e38)];
  const bound = (i: number, def: number) => {
    const c = io.constant(i);
    if (c && c.values.length !== 1) io.fail(`its ${i === 1 ? 'min' : 'max'} must be one number`);
    return c ? c.values[0] : def;
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

const clip: Converter = (io) => {
  const [min, max] = clipBounds(io);
  const x = io.tensor(0);
  const unbounded = (v: number) => !Number.isFinite(v) || Math.abs(v) >= 3.4e38;
  if (min === 0 && unbounded(max)) return io.output(io.layer('relu', [x], {}));
  if (unbounded(min) || unbounded(max) || !(min < max)) io.fail(`clip to [${min}, ${max}] is not supported; finite bounds min < max are (ReLU6 is [0, 6])`);
  io.output(io.layer('clip', [x], { min, max }));
};

const elementwise = (op: string, attrs: (io: NodeIO) => Record<string, unknown> = () => ({})): Converter =>
  (io) => io.output(io.layer(op, [io.tensor(0)], attrs(io)));

const concat: Converter = (io) => {
  const inputs = (io.node.input ?? []).map((_, i) => io.value(i)!);
  if (inputs.every((v) => v.kind === 'const')) return io.output(concatConst(io, inputs as ConstValue[]));
  const rank = (inputs.find((v) => v.kind === 'tensor') as TensorValue).shape.length + 1;
  const axis = io.attrs.int('axis', 1);
  if ((axis < 0 ? axis + rank : axis) !== 1) io.fail(`axis ${axis}: only concatenation of channels (axis 1) is supported`);
  io.output(io.layer('concat', inputs.map((_, i) => io.tensor(i)), {}));
};

function concatConst(io: NodeIO, parts: ConstValue[]): ConstValue {
  if (parts.some((p) => p.dims.length > 1)) io.fail('only 1-D constants can be concatenated at import');
  const values = parts.flatMap((p) => [...p.values]);
  return constant([values.length], values);
}

const softmax: Converter = (io) => {
  const x = io.tensor(0);
  const axis = io.attrs.int('axis', io.opset < 13 ? 1 : -1);
  if (x.shape.length !== 1 || (axis !== 1 && axis !== -1)) io.fail('softmax is supported only over the classes of a [batch, classes] tensor');
  io.output(io.layer('softmax', [x], {}));
};

export const LAYER_CONVERTERS: Record<string, Converter> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matmul,
  Add: add,
  Mul: mul,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  BatchNormalization: batchNorm,
  LRN: lrn,
  Relu: elementwise('relu'),
  LeakyRelu: elementwise('leakyrelu', (io) => ({ alpha: io.attrs.float('alpha', 0.01) })),
  Sigmoid: elementwise('sigmoid'),
  HardSigmoid: elementwise('hardsigmoid', (io) => ({ alpha: io.attrs.float('alpha', 0.2), beta: io.attrs.float('beta', 0.5) })),
  HardSwish: elementwise('hardswish'),
  Clip: clip,
  Concat: concat,
  Softmax: softmax,
};
