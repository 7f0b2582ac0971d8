// The ONNX importer on small graphs built node by node: each exporter idiom maps onto the
// engine's ops with the ONNX semantics (checked against formulas written out here), and every
// broken or unsupported file gets a message that names the problem.

import { describe, expect, it } from 'vitest';
import { buildOnnx, floatTensor, int64Tensor, seededValues, type BuiltNode } from '../helpers/onnxBuilder';
import { importOnnx, inspectOnnx, type Preprocessing } from '../../src/lib/model/onnx/import';
import { prunedOnnx } from '../../src/lib/model/onnx/export';
import { cpuForward } from '../../src/lib/cpu/reference';
import { ModelFormatError } from '../../src/lib/model/types';
import { buildGraph } from '../../src/lib/graph/build';

const prep = (h: number, w: number, classes: number, channels = 3): Preprocessing => ({
  height: h, width: w, mean: new Array(channels).fill(0), std: new Array(channels).fill(1), channelOrder: 'rgb',
  classes: Array.from({ length: classes }, (_, i) => `class ${i}`),
});

/** A conv (3 -> 4, 3x3) then whatever `tail` adds, ending in a [batch, classes] output. */
function convNet(convAttrs: BuiltNode['attrs'], tail: BuiltNode[], inits: ReturnType<typeof floatTensor>[], out: string, classes: number, size = 7, extra: BuiltNode[] = []) {
  return buildOnnx({
    input: ['x', ['N', 3, size, size]],
    output: [out, ['N', classes]],
    nodes: [...extra, { op: 'Conv', inputs: [extra.length ? 'xp' : 'x', 'w', 'b'], outputs: ['c'], attrs: convAttrs }, ...tail],
    initializers: [floatTensor('w', [4, 3, 3, 3], seededValues(108, 1)), floatTensor('b', [4], seededValues(4, 2)), ...inits],
  });
}

const flattenGemm = (features: number, classes: number, attrs: BuiltNode['attrs'] = { transB: 1 }, wDims = [classes, features]) => ({
  nodes: [
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'fcw', 'fcb'], outputs: ['y'], attrs },
  ] as BuiltNode[],
  inits: [floatTensor('fcw', wDims, seededValues(features * classes, 3)), floatTensor('fcb', [classes], seededValues(classes, 4))],
});

function expectFormatError(run: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message.length).toBeLessThan(700);
}

describe('ONNX import: windows', () => {
  it('resolves auto_pad SAME_UPPER into padding before and after', () => {
    const { nodes, inits } = flattenGemm(4 * 4 * 4, 2);
    const bytes = convNet({ kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, nodes, inits, 'y', 2, 8);
    const conv = importOnnx(bytes, 'm', prep(8, 8, 2)).model.layers[0];
    // in 8, stride 2: out 4, total pad (4-1)*2+3-8 = 1: 0 before, 1 after.
    expect(conv.attrs.padding).toEqual([0, 0]);
    expect(conv.attrs.padEnd).toEqual([1, 1]);
    expect(conv.shape).toEqual([4, 4, 4]);
  });

  it('folds a zero Pad into the conv after it', () => {
    const { nodes, inits } = flattenGemm(4 * 7 * 9, 2);
    const pads = int64Tensor('pads', [8], [0, 0, 1, 2, 0, 0, 1, 2]);
    const bytes = convNet({ kernel_shape: [3, 3] }, nodes, [...inits, pads], 'y', 2, 7, [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['xp'] }]);
    const conv = importOnnx(bytes, 'm', prep(7, 7, 2)).model.layers[0];
    expect(conv.attrs.padding).toEqual([1, 2]);
    expect(conv.shape).toEqual([4, 7, 9]);
  });
});

describe('ONNX import: dense layers', () => {
  const x = seededValues(3 * 7 * 7, 9);

  /** The logits a [classes, features] weight gives on the conv's relu map, written out. */
  function denseReference(bytes: Uint8Array, weight: (o: number, f: number) => number, bias: (o: number) => number, classes: number): number[] {
    const model = importOnnx(bytes, 'm', prep(7, 7, classes)).model;
    const fwd = cpuForward(model, x, 1);
    const relu = fwd.values.get(model.layers.find((l) => l.op === 'relu')!.name)!;
    return Array.from({ length: classes }, (_, o) => bias(o) + Array.from(relu.data).reduce((s, v, f) => s + weight(o, f) * v, 0));
  }

  it('Gemm with transB 0, alpha and beta', () => {
    const F = 4 * 5 * 5;
    const { nodes, inits } = flattenGemm(F, 3, { transB: 0, alpha: 2, beta: 0.5 }, [F, 3]);
    const bytes = convNet({ kernel_shape: [3, 3] }, nodes, inits, 'y', 3);
    const w = seededValues(F * 3, 3);
    const b = seededValues(3, 4);
    const expected = denseReference(bytes, (o, f) => 2 * w[f * 3 + o], (o) => 0.5 * b[o], 3);
    const model = importOnnx(bytes, 'm', prep(7, 7, 3)).model;
    const got = cpuForward(model, x, 1).values.get(model.output)!.data;
    expected.forEach((v, o) => expect(got[o]).toBeCloseTo(v, 5));
  });

  it('MatMul then Add of a constant becomes one linear layer with its bias', () => {
    const F = 4 * 5 * 5;
    const nodes: BuiltNode[] = [
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Shape', inputs: ['r'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] },
      { op: 'MatMul', inputs: ['f', 'mw'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'mb'], outputs: ['y'] },
    ];
    const inits = [
      int64Tensor('zero', [], [0]), int64Tensor('axes', [1], [0]), int64Tensor('minus1', [1], [-1]),
      floatTensor('mw', [F, 2], seededValues(F * 2, 5)), floatTensor('mb', [2], seededValues(2, 6)),
    ];
    const bytes = convNet({ kernel_shape: [3, 3] }, nodes, inits, 'y', 2);
    const model = importOnnx(bytes, 'm', prep(7, 7, 2)).model;
    expect(model.layers.map((l) => l.op)).toEqual(['conv2d', 'relu', 'flatten', 'linear']);
    const w = seededValues(F * 2, 5);
    const b = seededValues(2, 6);
    const expected = denseReference(bytes, (o, f) => w[f * 2 + o], (o) => b[o], 2);
    const got = cpuForward(model, x, 1).values.get(model.output)!.data;
    expected.forEach((v, o) => expect(got[o]).toBeCloseTo(v, 5));
  });
});

describe('ONNX import: activations and outputs', () => {
  const clipNet = (opset: number, clip: BuiltNode, inits: ReturnType<typeof floatTensor>[] = []) => buildOnnx({
    input: ['x', [1, 3, 5, 5]], output: ['y', [1, 2]], opset,
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } }, clip,
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Conv', inputs: ['p', 'w2'], outputs: ['q'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Flatten', inputs: ['q'], outputs: ['z'] },
      { op: 'Softmax', inputs: ['z'], outputs: ['y'], attrs: { axis: 1 } },
    ],
    initializers: [floatTensor('w', [4, 3, 3, 3], seededValues(108, 1)), floatTensor('w2', [2, 4, 1, 1], seededValues(8, 2)), ...inits],
  });

  it('Clip 0..6 is ReLU6 (bounds as inputs from opset 11, as attributes before); Clip 0..inf is ReLU', () => {
    const six = clipNet(13, { op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['r'] }, [floatTensor('lo', [], [0]), floatTensor('hi', [], [6])]);
    expect(importOnnx(six, 'm', prep(5, 5, 2)).model.layers[1]).toMatchObject({ op: 'clip', attrs: { min: 0, max: 6 } });
    const old = clipNet(9, { op: 'Clip', inputs: ['c'], outputs: ['r'], attrs: { min: 0, max: 6 } });
    expect(importOnnx(old, 'm', prep(5, 5, 2)).model.layers[1]).toMatchObject({ op: 'clip', attrs: { min: 0, max: 6 } });
    const relu = clipNet(13, { op: 'Clip', inputs: ['c', 'lo'], outputs: ['r'] }, [floatTensor('lo', [], [0])]);
    expect(importOnnx(relu, 'm', prep(5, 5, 2)).model.layers[1].op).toBe('relu');
  });

  it('a final Softmax leaves the logits layer as the output; a [C,1,1] output is flattened', () => {
    const bytes = clipNet(13, { op: 'Relu', inputs: ['c'], outputs: ['r'] });
    const model = importOnnx(bytes, 'm', prep(5, 5, 2)).model;
    const out = model.layers.find((l) => l.name === model.output)!;
    expect(out.op).toBe('flatten');
    expect(out.shape).toEqual([2]);
  });

  it('follows torch scoped names as PyTorch module paths', () => {
    const bytes = buildOnnx({
      input: ['x', [1, 3, 5, 5]], output: ['y', [1, 2]],
      nodes: [
        { op: 'Conv', name: '/features/features.0/features.0.0/Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } },
        { op: 'Relu', name: '/features/features.0/features.0.2/Relu', inputs: ['c'], outputs: ['r'] },
        { op: 'Relu', name: '/features/features.0/features.0.2/Relu_1', inputs: ['r'], outputs: ['r2'] },
        { op: 'GlobalAveragePool', name: '/GlobalAveragePool', inputs: ['r2'], outputs: ['p'] },
        { op: 'Flatten', name: '/Flatten', inputs: ['p'], outputs: ['f'] },
        { op: 'Gemm', name: '/classifier/classifier.1/Gemm', inputs: ['f', 'fw'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      initializers: [floatTensor('w', [4, 3, 3, 3], seededValues(108, 1)), floatTensor('fw', [2, 4], seededValues(8, 2))],
    });
    const names = importOnnx(bytes, 'm', prep(5, 5, 2)).model.layers.map((l) => l.name);
    expect(names).toEqual(['features.0.0', 'features.0.2', 'features.0.2.Relu_1', 'GlobalAveragePool', 'Flatten', 'classifier.1']);
  });

  it('BGR: the first conv reads RGB images as the file reads BGR ones', () => {
    const bytes = clipNet(13, { op: 'Relu', inputs: ['c'], outputs: ['r'] });
    const rgb = importOnnx(bytes, 'm', prep(5, 5, 2)).model;
    const bgr = importOnnx(bytes, 'm', { ...prep(5, 5, 2), channelOrder: 'bgr', mean: [0.1, 0.2, 0.3], std: [1, 2, 3] }).model;
    expect(bgr.input.mean).toEqual([0.3, 0.2, 0.1]);
    const x = seededValues(75, 4);
    const reversed = new Float32Array(75);
    for (let c = 0; c < 3; c++) reversed.set(x.subarray(c * 25, c * 25 + 25), (2 - c) * 25);
    const a = cpuForward(bgr, x, 1).values.get(bgr.output)!.data;
    const b = cpuForward(rgb, reversed, 1).values.get(rgb.output)!.data;
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
  });
});

describe('ONNX import: what it refuses, and how it says so', () => {
  const { nodes, inits } = flattenGemm(4 * 5 * 5, 2);
  const good = convNet({ kernel_shape: [3, 3] }, nodes, inits, 'y', 2);

  it('names an unsupported node, its op, its place and what is supported', () => {
    const bytes = convNet({ kernel_shape: [3, 3] }, [{ op: 'Selu', name: 'features.3', inputs: ['c'], outputs: ['s'] }, ...nodes.slice(1)], inits, 'y', 2);
    expectFormatError(() => importOnnx(bytes, 'm', prep(7, 7, 2)), /node "features\.3" \(Selu, 2 of 4\) is not supported; supported: Conv, .*Relu/);
  });

  it('refuses bytes that are not ONNX, an empty file and a truncated one', () => {
    expectFormatError(() => inspectOnnx(new Uint8Array(0)), /empty/);
    expectFormatError(() => inspectOnnx(Uint8Array.from(seededValues(100, 7), (v) => Math.floor((v + 1) * 127))), /not an ONNX model file/);
    expectFormatError(() => importOnnx(good.slice(0, good.length - 40), 'm', prep(7, 7, 2)), /not an ONNX model file|holds|bytes/);
  });

  it('says when the class names do not match the outputs, or the size does not fit a fixed input', () => {
    expectFormatError(() => importOnnx(good, 'm', prep(7, 7, 5)), /2 outputs per image but 5 class names/);
    const fixed = buildOnnx({
      input: ['x', [1, 3, 7, 7]], output: ['y', [1, 2]], nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } }, ...nodes], initializers: [floatTensor('w', [4, 3, 3, 3], seededValues(108, 1)), floatTensor('b', [4], seededValues(4, 2)), ...inits],
    });
    expectFormatError(() => importOnnx(fixed, 'm', prep(9, 9, 2)), /fixed at 7x7/);
  });

  it('refuses weights kept in an external file', () => {
    const external = buildOnnx({
      input: ['x', ['N', 3, 7, 7]], output: ['y', ['N', 2]],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } }, ...nodes],
      initializers: [{ name: 'w', dims: [4, 3, 3, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }, ...inits],
    });
    expectFormatError(() => importOnnx(external, 'm', prep(7, 7, 2)), /external data/);
  });
});

describe('ONNX export of a circuit', () => {
  it('zeroes exactly the kernels outside the circuit, in the file the visitor gave', () => {
    const { nodes, inits } = flattenGemm(4 * 5 * 5, 2);
    const bytes = convNet({ kernel_shape: [3, 3] }, nodes, inits, 'y', 2);
    const imported = importOnnx(bytes, 'm', prep(7, 7, 2));
    const g = buildGraph(imported.model);
    const kept = Uint8Array.from({ length: g.edgeCount }, (_, e) => (e % 3 === 0 ? 1 : 0));
    const { bytes: out, zeroed } = prunedOnnx(bytes, imported.weightOrigins, g.kernelLayers, kept);
    const again = importOnnx(out, 'm', prep(7, 7, 2)).model;
    for (const kl of g.kernelLayers) {
      const before = imported.model.layers[kl.modelLayer].params.weight;
      const after = again.layers[kl.modelLayer].params.weight;
      let count = 0;
      for (let k = 0; k < kl.rows * kl.cols; k++) {
        const zero = !kept[kl.edgeStart + k];
        count += zero ? 1 : 0;
        for (let t = 0; t < kl.taps; t++) expect(after[k * kl.taps + t]).toBe(zero ? 0 : before[k * kl.taps + t]);
      }
      expect(zeroed[kl.name]).toBe(count);
    }
  });
});
