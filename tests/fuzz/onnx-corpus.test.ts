// The ONNX corpus: seeded mutations of small ONNX files (flipped bytes, truncations, inserted
// garbage, hostile names, absurd dims and attributes) through the importer in Node. Each case
// either imports, with every weight finite, or fails with a ModelFormatError whose message names
// the problem in under 300 characters; never another exception, never over a second.

import { describe, expect, it } from 'vitest';
import { importOnnx, type Preprocessing } from '../../src/lib/model/onnx/import';
import { ModelFormatError } from '../../src/lib/model/types';
import { buildOnnx, floatTensor, int64Tensor, seededValues, type BuiltNode } from '../helpers/onnxBuilder';
import { rng } from './payloads.mjs';

const prep: Preprocessing = { height: 8, width: 8, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb', classes: ['a', 'b', 'c'] };
const HOSTILE = ['<img src=x onerror=alert(1)>', '"; alert(1); //', 'x'.repeat(100_000), '../../etc/passwd', '\u0000\u202e', 'constructor', '__proto__'];

function net(opts: { name?: string; dims?: number[]; attrs?: BuiltNode['attrs']; op?: string } = {}): Uint8Array {
  return buildOnnx({
    input: ['x', ['N', 3, 8, 8]],
    output: ['y', ['N', 3]],
    nodes: [
      { op: opts.op ?? 'Conv', name: opts.name ?? 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: opts.attrs ?? { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['p'] },
      { op: 'Shape', inputs: ['p'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: [
      floatTensor('w', opts.dims ?? [4, 3, 3, 3], seededValues(108, 1)), floatTensor('b', [4], seededValues(4, 2)),
      floatTensor('fw', [3, 4], seededValues(12, 3)), floatTensor('fb', [3], seededValues(3, 4)),
      int64Tensor('zero', [], [0]), int64Tensor('axes', [1], [0]), int64Tensor('minus1', [1], [-1]),
    ],
  });
}

/** Byte-level mutations of a valid file: flips, truncations, insertions, duplications. */
function* byteMutations(bytes: Uint8Array, r: () => number, count: number): Generator<[string, Uint8Array]> {
  for (let i = 0; i < count; i++) {
    const b = bytes.slice();
    const kind = i % 4;
    if (kind === 0) {
      for (let k = 0; k < 1 + Math.floor(r() * 8); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      yield ['flipped bytes', b];
    } else if (kind === 1) {
      yield ['truncated', b.subarray(0, Math.floor(r() * b.length))];
    } else if (kind === 2) {
      const at = Math.floor(r() * b.length);
      const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, at));
      out.set(junk, at);
      out.set(b.subarray(at), at + junk.length);
      yield ['inserted garbage', out];
    } else {
      const at = Math.floor(r() * b.length);
      const len = Math.floor(r() * 200);
      const out = new Uint8Array(b.length + len);
      out.set(b.subarray(0, at + len > b.length ? b.length : at));
      out.set(b.subarray(at, at + len), at);
      yield ['duplicated run', out.subarray(0, Math.min(out.length, b.length + len))];
    }
  }
}

function* structuralMutations(): Generator<[string, Uint8Array]> {
  for (const name of HOSTILE) yield [`node name ${JSON.stringify(name.slice(0, 20))}`, net({ name })];
  for (const dims of [[4, 3, 3, 1e6], [4, 3, 3], [0, 3, 3, 3], [4, 3, 3, 3, 1], [1e9, 3, 3, 3], [2 ** 40, 3, 3, 3]]) yield [`weight dims ${dims}`, net({ dims })];
  const badAttrs: BuiltNode['attrs'][] = [{ kernel_shape: [3, 3], pads: [1e9, 1, 1, 1] }, { kernel_shape: [3, 3], strides: [0, 1] }, { kernel_shape: [3, 3], group: 7 }, { kernel_shape: [3, 3], dilations: [1e6, 1] }, { kernel_shape: [3, 3], auto_pad: 'SAME_MIDDLE' }, { kernel_shape: [3, 3, 3] }];
  for (const attrs of badAttrs)
    yield [`conv attributes ${JSON.stringify(attrs)}`, net({ attrs })];
  for (const op of ['Selu', 'Loop', 'If', 'Conv3D', HOSTILE[0]]) yield [`op ${op.slice(0, 20)}`, net({ op })];
}

describe('ONNX corpus', () => {
  it('mutated and hostile .onnx files: a model or a clear ModelFormatError, each under a second', () => {
    const r = rng(2026);
    const cases: [string, Uint8Array][] = [...structuralMutations(), ...byteMutations(net(), r, 400)];
    let imported = 0, refused = 0, longest = 0, slowest = 0;
    for (const [what, bytes] of cases) {
      const t0 = performance.now();
      try {
        const { model } = importOnnx(bytes, 'fuzz', prep);
        for (const l of model.layers) for (const p of Object.values(l.params)) expect(p.every(Number.isFinite), `${what}: non-finite weights loaded`).toBe(true);
        imported++;
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw new Error(`${what}: ${(e as Error)?.name}: ${(e as Error)?.message?.slice(0, 200)}`);
        expect(e.message.length, `${what}: message too long`).toBeLessThan(300);
        expect(e.message, `${what}: message quotes a hostile name unescaped`).not.toMatch(/<img/);
        longest = Math.max(longest, e.message.length);
        refused++;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      expect(ms, `${what}: took ${ms.toFixed(0)} ms`).toBeLessThan(1000);
    }
    console.log(`ONNX corpus: ${cases.length} cases, ${imported} imported, ${refused} refused; longest message ${longest} characters, slowest ${slowest.toFixed(0)} ms`);
    expect(cases.length).toBeGreaterThanOrEqual(400);
    expect(refused).toBeGreaterThan(0);
  });
});
