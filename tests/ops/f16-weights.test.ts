// The 'fast' precision's kernels: the f16 rounding helper on known values, the GPU packing
// shader against it bit for bit (subnormals, ties, overflow, NaN), and conv forward and backward
// to input of every family reading packed f16 weights, on the op harness's conv2d and linear
// cases with fresh random inputs: within f32 accumulation error of a CPU reference run with the
// weights rounded to f16, and within f16 rounding of the plain f32 reference.
import { describe, it, expect } from 'vitest';
import { opDescriptor } from '../../src/lib/ops/registry';
import type { CpuTensor } from '../../src/lib/ops/types';
import { CONV_VARIANTS } from '../../src/lib/ops/conv2d';
import { size } from '../../src/lib/ops/grid';
import { f16Bits, fromF16Bits, roundToF16, roundArrayToF16 } from '../../src/lib/ops/reference/f16';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Kernels } from '../../src/lib/engine/kernels';
import { createHalfWeightBuffer, packHalfDispatch } from '../../src/lib/engine/halfWeights';
import { shapeSize } from '../../src/lib/model/types';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { freshSeed, rng, randomArray } from '../helpers/random';
import { conv2dCases } from './cases/conv2d';
import { linearCases } from './cases/linear';
import type { OpCase } from './harness';

/** Unit roundoff of f32 and of f16. */
const U32 = 2 ** -24;
const U16 = 2 ** -11;
/** Half the smallest f16 subnormal: the largest absolute error of rounding a tiny value. */
const SUBNORMAL_ERR = 2 ** -25;

async function readWords(device: GPUDevice, buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const st = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, st, 0, bytes);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = st.getMappedRange().slice(0);
  st.unmap();
  st.destroy();
  return out;
}
const readF32 = async (device: GPUDevice, buf: GPUBuffer, n: number) => new Float32Array(await readWords(device, buf, n * 4));

function upload(device: GPUDevice, pool: BufferPool, data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const b = pool.acquire(data.byteLength, label);
  device.queue.writeBuffer(b, 0, data);
  return b;
}

/** Packs `w` on the GPU and returns the f16 buffer. */
function packOnGpu(k: Kernels, w: GPUBuffer, n: number): GPUBuffer {
  const half = createHalfWeightBuffer(k.device, n, 'test');
  k.run([packHalfDispatch(k, w, half, n, 'test')]);
  return half;
}

describe('f16 rounding helper', () => {
  it('rounds known values to nearest, ties to even, with subnormals, overflow and NaN', () => {
    expect(f16Bits(1 / 3)).toBe(0x3555);
    expect(roundToF16(1 / 3)).toBe(0.333251953125);
    expect(f16Bits(65504)).toBe(0x7bff);
    expect(roundToF16(65519)).toBe(65504);
    expect(roundToF16(65520)).toBe(Infinity); // the tie between 65504 and 2^16 goes to the even one, infinity
    expect(roundToF16(-1e6)).toBe(-Infinity);
    expect(roundToF16(2 ** -14)).toBe(2 ** -14); // smallest normal, 6.1035e-5
    expect(f16Bits(6.1e-5)).toBe(0x03ff); // just under it: the largest subnormal, 1023 * 2^-24
    expect(roundToF16(6.1e-5)).toBe(1023 * 2 ** -24);
    expect(roundToF16(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(roundToF16(2 ** -25)).toBe(0); // a tie with 0: even
    expect(roundToF16(1.5 * 2 ** -24)).toBe(2 ** -23); // a tie between 1 and 2 units: even
    expect(roundToF16(1.25 * 2 ** -24)).toBe(2 ** -24);
    expect(roundToF16(1 + 2 ** -11)).toBe(1); // ties to even in the normal range
    expect(roundToF16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToF16(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    expect(Object.is(roundToF16(-0), -0)).toBe(true);
    expect(roundToF16(1e-30)).toBe(0);
    expect(Number.isNaN(roundToF16(NaN))).toBe(true);
    expect(fromF16Bits(0xfc00)).toBe(-Infinity);
    expect(fromF16Bits(0x8001)).toBe(-(2 ** -24));
  });

  it('every f16 value rounds to itself, and a value between two neighbours goes to the nearer one', () => {
    for (let h = 0; h < 0x7c00; h++) {
      const v = fromF16Bits(h);
      expect(f16Bits(v)).toBe(h);
      if (h < 0x7bff) {
        const next = fromF16Bits(h + 1);
        expect(roundToF16(v + (next - v) * 0.3)).toBe(v);
        expect(roundToF16(v + (next - v) * 0.7)).toBe(next);
      }
    }
  });
});

describe('pack_f16 on the GPU', () => {
  it('gives the CPU helper\'s bits, and the conv kernels read back its exact values', async () => {
    const device = await testDevice();
    const seed = freshSeed();
    const r = rng(seed);
    const special = [0, -0, 1 / 3, -1 / 3, 65504, 65519, 65520, -65520, 1e6, Infinity, -Infinity, NaN, 2 ** -14, 6.1e-5, 2 ** -24, 2 ** -25,
      1.5 * 2 ** -24, 3e-8, 1e-30, 1e-40, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11)];
    // Random values over the whole exponent range f16 covers (and beyond), both signs.
    const random = Array.from({ length: 4000 }, () => (r() < 0.5 ? -1 : 1) * 2 ** (r() * 46 - 30) * (1 + r()));
    const all = [...special, ...random];
    const values = Float32Array.from(all.length % 2 ? all : [...all, 0.75]); // odd count: the last word's high half is zero
    const n = values.length;
    const pool = new BufferPool(device);
    const k = new Kernels(device, pool);
    await expectNoGpuErrors(device, async () => {
      const w = upload(device, pool, values, 'w');
      const half = packOnGpu(k, w, n);
      const words = new Uint32Array(await readWords(device, half, Math.ceil(n / 2) * 4));
      for (let i = 0; i < n; i++) {
        const got = (words[i >> 1] >>> (i & 1 ? 16 : 0)) & 0xffff;
        const want = f16Bits(values[i]);
        if (got !== want) throw new Error(`value ${values[i]} (index ${i}, seed ${seed}): GPU bits 0x${got.toString(16)}, CPU 0x${want.toString(16)}`);
      }
      expect(words[words.length - 1] >>> 16).toBe(0);

      // A 1x1 conv of one all-ones input channel into n outputs writes the weights as the kernels see them.
      const finite = Float32Array.from(values, (v) => (Number.isFinite(roundToF16(v)) ? v : 0.5));
      device.queue.writeBuffer(w, 0, finite);
      const half2 = packOnGpu(k, w, n);
      const d = opDescriptor('conv2d')!;
      const attrs = d.parseAttrs({ kernel: [1, 1] });
      const x = upload(device, pool, new Float32Array([1]), 'x');
      const y = upload(device, pool, new Float32Array(n).fill(NaN), 'y');
      const base = { name: 'unpack', batch: 1, inputs: [x], inputShapes: [[1, 1, 1]], output: y, outShape: [n, 1, 1], params: { weight: w }, aux: {} };
      k.run(d.gpuForward(k, { ...base, halfWeight: half2 }, attrs));
      const got = await readF32(device, y, n);
      for (let i = 0; i < n; i++) {
        const want = Math.fround(roundToF16(finite[i]));
        if (!Object.is(got[i] + 0, want + 0)) throw new Error(`weight ${finite[i]} (index ${i}, seed ${seed}): the kernel read ${got[i]}, expected ${want}`);
      }
      half.destroy();
      half2.destroy();
    });
    for (const b of k.takeOwned()) pool.release(b);
  });
});

/** Case data: inputs, weights (some tiny, to reach f16 subnormals), bias, output gradient. */
function caseData(c: OpCase, r: () => number) {
  const d = opDescriptor(c.op)!;
  const attrs = d.parseAttrs(c.attrs);
  const outShape = d.inferShape(c.inputShapes, attrs, c.params ?? {});
  const w = randomArray(shapeSize(c.params!.weight), r).map((v, i) => (i % 7 === 3 ? v * 1e-5 : v));
  const params: Record<string, Float32Array<ArrayBuffer>> = { weight: w };
  if (c.params!.bias) params.bias = randomArray(shapeSize(c.params!.bias), r);
  const x = randomArray(c.batch * shapeSize(c.inputShapes[0]), r, 2);
  const dy = randomArray(c.batch * shapeSize(outShape), r);
  return { d, attrs, outShape, params, x, dy };
}

type Data = ReturnType<typeof caseData>;

/** CPU forward and backward to input (f64) with the given weights, and the same with every value's magnitude (the sums of |terms|). */
function reference(c: OpCase, data: Data, w: Float32Array) {
  const { d, attrs, outShape, params } = data;
  const run = (abs: boolean) => {
    const f = (a: Float32Array) => (abs ? a.map(Math.abs) : a);
    const p = { ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f(v)])), weight: f(w) };
    const inputs: CpuTensor[] = [{ batch: c.batch, shape: c.inputShapes[0], data: Float64Array.from(f(data.x)) }];
    const gradOutput: CpuTensor = { batch: c.batch, shape: outShape, data: Float64Array.from(f(data.dy)) };
    const y = d.cpuForward({ inputs, params: p, attrs, outShape });
    const dx = d.cpuBackward({ inputs, params: p, attrs, outShape, output: y, gradOutput }).inputs[0].data;
    return { y: y.data, dx };
  };
  const plain = run(false);
  const abs = run(true);
  return { y: plain.y, dx: plain.dx, yScale: abs.y, dxScale: abs.dx };
}

/** Every entry within tol(i) of the reference; returns the largest |difference| / tol. */
function expectWithin(got: Float32Array, want: ArrayLike<number>, tol: (i: number) => number, what: string): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol(i))) throw new Error(`${what}: entry ${i} is ${got[i]}, expected ${want[i]} (error ${err.toExponential(2)} > tolerance ${tol(i).toExponential(2)})`);
    worst = Math.max(worst, err / tol(i));
  }
  return worst;
}

async function runFastCase(device: GPUDevice, c: OpCase, variant: string, seed: number): Promise<void> {
  const where = `${c.name} [${variant}] (seed ${seed})`;
  const data = caseData(c, rng(seed));
  const { d, attrs, outShape, params } = data;
  const w16 = roundArrayToF16(params.weight);
  const ref16 = reference(c, data, w16);
  const ref32 = reference(c, data, params.weight);
  // Terms per entry: forward sums cinG*kH*kW products and the bias; backward to input coutG*kH*kW.
  const inChannels = c.op === 'linear' ? size(c.inputShapes[0]) : c.inputShapes[0][0];
  const fwdTerms = params.weight.length / outShape[0] + 1;
  const bwdTerms = params.weight.length / inChannels;
  // f32 accumulation of n terms: at most (n + 1) roundings of the running sum and the product, each u32 of sum |terms|.
  const ulps = (n: number) => (n + 1) * U32;
  // f16 weights: each off by at most u16 relative, or SUBNORMAL_ERR absolute; the other factor is at most 2 (x) or 1 (dy).
  const f16Err = (scale: number, n: number, other: number) => U16 * scale + SUBNORMAL_ERR * n * other;

  const pool = new BufferPool(device);
  const k = new Kernels(device, pool);
  k.forcedVariant = variant;
  await expectNoGpuErrors(device, async () => {
    const x = upload(device, pool, data.x, 'x');
    const wBuf = upload(device, pool, params.weight, 'w');
    const paramBufs: Record<string, GPUBuffer> = { weight: wBuf };
    if (params.bias) paramBufs.bias = upload(device, pool, params.bias, 'bias');
    const half = packOnGpu(k, wBuf, params.weight.length);
    const yLen = data.dy.length;
    const y = upload(device, pool, new Float32Array(yLen).fill(NaN), 'y');
    const dy = upload(device, pool, data.dy, 'dy');
    const dx = upload(device, pool, new Float32Array(data.x.length).fill(NaN), 'dx');
    const base = { name: c.name, batch: c.batch, inputs: [x], inputShapes: c.inputShapes, output: y, outShape, params: paramBufs, aux: {} };
    const fast = { ...base, halfWeight: half };
    const back = { gradOutput: dy, gradInputs: [dx], accumulate: [false] };

    k.run(d.gpuForward(k, fast, attrs));
    const yFast = await readF32(device, y, yLen);
    k.run(d.gpuBackward(k, { ...fast, ...back }, attrs));
    const dxFast = await readF32(device, dx, data.x.length);
    expectWithin(yFast, ref16.y, (i) => ulps(fwdTerms) * ref16.yScale[i], `${where}: forward vs the f16-weight reference`);
    expectWithin(dxFast, ref16.dx, (i) => ulps(bwdTerms) * ref16.dxScale[i], `${where}: backward to input vs the f16-weight reference`);
    expectWithin(yFast, ref32.y, (i) => f16Err(ref32.yScale[i], fwdTerms, 2) + ulps(fwdTerms) * ref32.yScale[i] * 1.001, `${where}: forward vs the f32 reference`);
    expectWithin(dxFast, ref32.dx, (i) => f16Err(ref32.dxScale[i], bwdTerms, 1) + ulps(bwdTerms) * ref32.dxScale[i] * 1.001, `${where}: backward to input vs the f32 reference`);

    // The f32 kernels on the same data give other values: the fast ones really read f16.
    k.run(d.gpuForward(k, base, attrs));
    const yExact = await readF32(device, y, yLen);
    k.run(d.gpuBackward(k, { ...base, ...back }, attrs));
    const dxExact = await readF32(device, dx, data.x.length);
    expect(yExact.some((v, i) => v !== yFast[i]), `${where}: forward`).toBe(true);
    expect(dxExact.some((v, i) => v !== dxFast[i]), `${where}: backward to input`).toBe(true);
    half.destroy();
  });
  for (const b of k.takeOwned()) pool.release(b);
}

const cases = [...conv2dCases, ...linearCases];

for (const variant of CONV_VARIANTS) {
  describe(`conv family "${variant}" with f16 weights vs CPU references`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        await runFastCase(await testDevice(), c, variant, freshSeed());
      });
    }
  });
}
