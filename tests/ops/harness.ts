// Runs one op on the GPU and on its CPU reference with the same fresh random inputs (or fixed
// ones), parameters and output gradients, and compares forward outputs, input gradients
// (overwrite and accumulate), and parameter gradients (summed and per image).
// Every GPU output buffer is poisoned with NaN first, so an unwritten element fails.

import { expect } from 'vitest';
import { opDescriptor } from '../../src/lib/ops/registry';
import type { CpuTensor, Attrs } from '../../src/lib/ops/types';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Kernels } from '../../src/lib/engine/kernels';
import { shapeSize } from '../../src/lib/model/types';
import { rng, randomArray } from '../helpers/random';
import { expectClose } from '../helpers/compare';
import { expectNoGpuErrors } from '../helpers/gpu';

export interface OpCase {
  name: string;
  op: string;
  batch: number;
  inputShapes: number[][];
  attrs: Attrs;
  params?: Record<string, number[]>;
  /** Scale of random parameters (default 1) and whether they must be positive. */
  positiveParams?: string[];
  /** Random inputs are uniform in [-inputScale, inputScale] (default 2). */
  inputScale?: number;
  /** Fixed inputs (batch * size values each) instead of random ones: the points where an op's rule changes. */
  inputValues?: number[][];
  /** Every input is one and the same tensor (an op reading it twice); its gradient is the sum over the reads. */
  sharedInput?: boolean;
}

/** The inputs of a case: random (or fixed) values, the same array for every input when shared. */
export function caseInputs(c: OpCase, r: () => number): Float32Array<ArrayBuffer>[] {
  const own = c.inputShapes.map((s, i) =>
    c.inputValues ? Float32Array.from(c.inputValues[i]) : randomArray(c.batch * shapeSize(s), r, c.inputScale ?? 2),
  );
  return c.sharedInput ? own.map(() => own[0]) : own;
}

/** Index of the tensor input i reads: itself, or input 0 when all inputs are shared. */
export const tensorOf = (c: OpCase, i: number): number => (c.sharedInput ? 0 : i);

/** Relative error bound for f32 GPU results vs the f64 reference. */
export const REL_TOL = 2e-5;

async function read(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Float32Array> {
  const st = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, st, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(st.getMappedRange().slice(0));
  st.unmap();
  st.destroy();
  return out;
}

function upload(device: GPUDevice, pool: BufferPool, data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const b = pool.acquire(data.byteLength, label);
  device.queue.writeBuffer(b, 0, data);
  return b;
}

function poisoned(device: GPUDevice, pool: BufferPool, n: number, label: string): GPUBuffer {
  return upload(device, pool, new Float32Array(n).fill(NaN), label);
}

/** `variant` forces one kernel family (Kernels.forcedVariant) for every pass of the case. */
export async function runOpCase(device: GPUDevice, c: OpCase, seed: number, variant?: string): Promise<void> {
  const where = `${c.name}${variant ? ` [${variant}]` : ''} (seed ${seed})`;
  const d = opDescriptor(c.op)!;
  const r = rng(seed);
  const attrs = d.parseAttrs(c.attrs);
  const paramShapes = c.params ?? {};
  const outShape = d.inferShape(c.inputShapes, attrs, paramShapes);
  const params: Record<string, Float32Array<ArrayBuffer>> = {};
  for (const [p, s] of Object.entries(paramShapes)) {
    params[p] = randomArray(shapeSize(s), r);
    if (c.positiveParams?.includes(p)) params[p] = params[p].map((v) => Math.abs(v) + 0.1);
  }
  const inputs32 = caseInputs(c, r);
  const inputs: CpuTensor[] = inputs32.map((a, i) => ({ batch: c.batch, shape: c.inputShapes[i], data: Float64Array.from(a) }));
  const outLen = c.batch * shapeSize(outShape);
  const dy32 = randomArray(outLen, r);
  const dy: CpuTensor = { batch: c.batch, shape: outShape, data: Float64Array.from(dy32) };

  const cpuY = d.cpuForward({ inputs, params, attrs, outShape });
  const cpuG = d.cpuBackward({ inputs, params, attrs, outShape, output: cpuY, gradOutput: dy });

  const pool = new BufferPool(device);
  const k = new Kernels(device, pool);
  k.forcedVariant = variant ?? null;
  const ownBufs = inputs32.map((a, i) => (tensorOf(c, i) === i ? upload(device, pool, a, `in${i}`) : null));
  const inBufs = inputs32.map((_, i) => ownBufs[tensorOf(c, i)]!);
  const paramBufs = Object.fromEntries(Object.entries(params).map(([p, a]) => [p, upload(device, pool, a, p)]));
  const output = d.aliasesInput ? inBufs[0] : poisoned(device, pool, outLen, 'out');
  const aux: Record<string, GPUBuffer> = {};
  for (const [name, per] of Object.entries(d.auxSizes?.(c.inputShapes, outShape, attrs) ?? {})) {
    aux[name] = poisoned(device, pool, c.batch * per, name);
  }
  const base = { name: c.name, batch: c.batch, inputs: inBufs, inputShapes: c.inputShapes, output, outShape, params: paramBufs, aux };

  await expectNoGpuErrors(device, async () => {
    k.run(d.gpuForward(k, base, attrs));
    expectClose(await read(device, output, outLen), cpuY.data, REL_TOL, `${where}: forward`);

    // Input gradients, overwriting; an input tensor read twice accumulates after its first
    // write, as the plan does, and its gradient is the sum over the reads.
    const gradOutput = upload(device, pool, dy32, 'dy');
    const tensors = c.inputShapes.map((_, i) => i).filter((i) => tensorOf(c, i) === i);
    const expectedGrad = c.inputShapes.map(() => null as Float64Array | null);
    for (const t of tensors) {
      const sum = new Float64Array(inputs[t].data.length);
      cpuG.inputs.forEach((g, i) => { if (tensorOf(c, i) === t) g.data.forEach((v, j) => (sum[j] += v)); });
      expectedGrad[t] = sum;
    }
    const gradBufs = c.inputShapes.map((s, i) => (tensorOf(c, i) === i ? poisoned(device, pool, c.batch * shapeSize(s), `dx${i}`) : null));
    const gradInputs = c.inputShapes.map((_, i) => gradBufs[tensorOf(c, i)]!);
    const laterReads = c.inputShapes.map((_, i) => tensorOf(c, i) !== i);
    k.run(d.gpuBackward(k, { ...base, gradOutput, gradInputs, accumulate: laterReads }, attrs));
    for (const t of tensors) {
      expectClose(await read(device, gradBufs[t]!, inputs[t].data.length), expectedGrad[t]!, REL_TOL, `${where}: input gradient ${t}`);
    }

    // Input gradients, accumulating onto what is there.
    const prior = c.inputShapes.map((s) => randomArray(c.batch * shapeSize(s), r));
    const accBufs = prior.map((a, i) => (tensorOf(c, i) === i ? upload(device, pool, a, `acc${i}`) : null));
    const accInputs = c.inputShapes.map((_, i) => accBufs[tensorOf(c, i)]!);
    k.run(d.gpuBackward(k, { ...base, gradOutput, gradInputs: accInputs, accumulate: c.inputShapes.map(() => true) }, attrs));
    for (const t of tensors) {
      const expected = expectedGrad[t]!.map((v, j) => v + prior[t][j]);
      expectClose(await read(device, accBufs[t]!, expected.length), expected, REL_TOL, `${where}: accumulated input gradient ${t}`);
    }

    if (d.gpuWeightGrads && Object.keys(params).length) {
      const trainable = Object.keys(params).filter((p) => p !== 'runningMean' && p !== 'runningVar');
      const sumBufs = Object.fromEntries(trainable.map((p) => [p, poisoned(device, pool, params[p].length, `d${p}`)]));
      k.run(d.gpuWeightGrads(k, { ...base, gradOutput, gradParams: sumBufs, perImage: false }, attrs));
      for (const p of trainable) {
        expectClose(await read(device, sumBufs[p], params[p].length), cpuG.params[p], REL_TOL, `${where}: gradient of ${p}`);
      }
      if (c.op === 'conv2d' || c.op === 'linear') {
        const perBufs = Object.fromEntries(trainable.map((p) => [p, poisoned(device, pool, c.batch * params[p].length, `d${p}/img`)]));
        k.run(d.gpuWeightGrads(k, { ...base, gradOutput, gradParams: perBufs, perImage: true }, attrs));
        for (const p of trainable) {
          const got = await read(device, perBufs[p], c.batch * params[p].length);
          for (let n = 0; n < c.batch; n++) {
            const one = (t: CpuTensor): CpuTensor => {
              const per = t.data.length / t.batch;
              return { batch: 1, shape: t.shape, data: t.data.slice(n * per, (n + 1) * per) };
            };
            const ref = d.cpuBackward({ inputs: inputs.map(one), params, attrs, outShape, output: one(cpuY), gradOutput: one(dy) });
            const len = params[p].length;
            expectClose(got.subarray(n * len, (n + 1) * len), ref.params[p], REL_TOL, `${where}: per-image gradient of ${p}, image ${n}`);
          }
        }
      }
    }
  });
  for (const b of k.takeOwned()) pool.release(b);
  expect(pool.inUseBytes).toBeGreaterThan(0);
}
