// Every kernel family of the actgrad edge reduction (blocked; split with subgroups; split with a
// workgroup-memory tree; gemm, in one chunk of positions and in many) against a CPU reference built from the conv2d reference (each edge's
// map is a one-channel convolution), on fresh random cases: odd sizes, stride 2, padding,
// dilation, groups, 1x1 and 5x5 kernels, one image to many slices. Also checks the f64 oracle.
import { describe, expect, it } from 'vitest';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { freshSeed, rng, randomArray } from '../helpers/random';
import { Kernels } from '../../src/lib/engine/kernels';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { conv2dForward, type ConvGeometry } from '../../src/lib/ops/reference/conv2d';
import { gemmLimits } from '../../src/lib/ops/conv2dGemm';
import { actgradEdgeDispatches, actgradEdgeEntry, splitWorkgroupSize, type ActgradProblem, type ActgradShape, type SaliencyVariant } from '../../src/lib/circuits/actgradEdges';

const geo = (k: [number, number], s: [number, number], p: [number, number], d: [number, number], groups: number): ConvGeometry =>
  ({ kernel: k, stride: s, padding: p, dilation: d, groups });
const out = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

function shape(batch: number, C: number, H: number, W: number, O: number, g: ConvGeometry): ActgradShape {
  const OH = out(H, g.kernel[0], g.stride[0], g.padding[0], g.dilation[0]);
  const OW = out(W, g.kernel[1], g.stride[1], g.padding[1], g.dilation[1]);
  return { batch, inShape: [C, H, W], outShape: [O, OH, OW], g };
}

const CASES: { name: string; s: ActgradShape }[] = [
  { name: '3x3 pad 1, odd sizes', s: shape(3, 5, 7, 9, 6, geo([3, 3], [1, 1], [1, 1], [1, 1], 1)) },
  { name: '3x3 stride 2, pad 1, groups 2', s: shape(4, 6, 11, 10, 10, geo([3, 3], [2, 2], [1, 1], [1, 1], 2)) },
  { name: '5x5 pad 2 (weights not in registers)', s: shape(2, 3, 9, 8, 5, geo([5, 5], [1, 1], [2, 2], [1, 1], 1)) },
  { name: '1x1, many images (several slices)', s: shape(37, 9, 3, 5, 7, geo([1, 1], [1, 1], [0, 0], [1, 1], 1)) },
  { name: '3x2 dilation 2x1, stride 1x2, no padding', s: shape(5, 4, 10, 9, 3, geo([3, 2], [1, 2], [0, 0], [2, 1], 1)) },
  { name: 'depthwise 3x3 stride 2', s: shape(6, 8, 13, 13, 8, geo([3, 3], [2, 2], [1, 1], [1, 1], 8)) },
  { name: 'one image, whole-channel window (linear)', s: shape(1, 10, 4, 4, 13, geo([4, 4], [1, 1], [0, 0], [1, 1], 1)) },
];

/** Edge sums from the conv2d reference: each edge's map is channel j of x convolved with kernel (o, j) alone. */
function referenceEdges(p: ActgradProblem): Float64Array {
  const [C, H, W] = p.inShape, [O, OH, OW] = p.outShape;
  const { kernel: [KH, KW], groups } = p.g;
  const cinG = C / groups, coutG = O / groups, taps = KH * KW;
  const sums = new Float64Array(O * cinG);
  const one: ConvGeometry = { ...p.g, groups: 1 };
  for (let o = 0; o < O; o++) for (let j = 0; j < cinG; j++) {
    const c = Math.floor(o / coutG) * cinG + j;
    const xc = new Float64Array(p.batch * H * W);
    for (let n = 0; n < p.batch; n++) for (let i = 0; i < H * W; i++) xc[n * H * W + i] = p.x[(n * C + c) * H * W + i];
    const kernel = p.w.slice((o * cinG + j) * taps, (o * cinG + j + 1) * taps);
    const a = conv2dForward({ batch: p.batch, shape: [1, H, W], data: xc }, kernel, undefined, [1, OH, OW], one);
    let s = 0;
    for (let n = 0; n < p.batch; n++) for (let q = 0; q < OH * OW; q++) s += Math.abs(a.data[n * OH * OW + q] * p.gy[(n * O + o) * OH * OW + q]);
    sums[o * cinG + j] = s;
  }
  return sums;
}

function problem(s: ActgradShape, seed: number): ActgradProblem {
  const r = rng(seed);
  const [C, H, W] = s.inShape, [O, OH, OW] = s.outShape;
  return { ...s, x: randomArray(s.batch * C * H * W, r), w: randomArray(O * (C / s.g.groups) * s.g.kernel[0] * s.g.kernel[1], r), gy: randomArray(s.batch * O * OH * OW, r) };
}

async function runFamily(k: Kernels, p: ActgradProblem, variant: SaliencyVariant): Promise<Float32Array> {
  const device = k.device;
  const len = p.outShape[0] * (p.inShape[0] / p.g.groups);
  const upload = (a: Float32Array<ArrayBuffer>) => {
    const b = k.pool.acquire(a.length * 4, 'test');
    device.queue.writeBuffer(b, 0, a);
    return b;
  };
  // The target accumulates: start it at 1 to see that the sums are added, not stored.
  const bufs = { x: upload(p.x), w: upload(p.w), g: upload(p.gy), target: upload(new Float32Array(len).fill(1)) };
  k.run(actgradEdgeDispatches(k, p, bufs, `test.${variant}`, variant));
  const st = device.createBuffer({ size: len * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(bufs.target, 0, st, 0, len * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(st.getMappedRange().slice(0)).map((v) => v - 1);
  st.destroy();
  for (const b of [...Object.values(bufs), ...k.takeOwned()]) k.pool.release(b);
  return got;
}

/** subgroupSize: the adapter's subgroup width the split family sizes its workgroups by (undefined: this adapter's). */
const FAMILIES: { name: string; variant: SaliencyVariant; subgroups: boolean; subgroupSize?: number; chunkFloats?: number }[] = [
  { name: 'blocked', variant: 'blocked', subgroups: false },
  { name: 'split with subgroups', variant: 'split', subgroups: true },
  { name: 'split with a workgroup-memory tree', variant: 'split', subgroups: false },
  { name: 'split with subgroups, 64 invocations', variant: 'split', subgroups: true, subgroupSize: 16 },
  { name: 'split with a tree, 128 invocations', variant: 'split', subgroups: false, subgroupSize: 32 },
  { name: 'gemm', variant: 'gemm', subgroups: false },
  { name: 'gemm in many chunks of positions', variant: 'gemm', subgroups: false, chunkFloats: 300 },
];

describe('actgrad edge reduction: the f64 oracle', () => {
  it('matches the conv2d-built reference on every edge', () => {
    for (const c of CASES) {
      const p = problem(c.s, freshSeed());
      const ref = referenceEdges(p);
      ref.forEach((v, e) => expect(Math.abs(actgradEdgeEntry(p, e).value - v), `${c.name} edge ${e}`).toBeLessThan(1e-9 * (1 + v)));
    }
  });
});

describe('the device offers subgroups', () => {
  it('SwiftShader and the engine request the subgroups feature, so the subgroup path runs', async () => {
    const device = await testDevice();
    expect(device.features.has('subgroups')).toBe(true);
    const k = new Kernels(device, new BufferPool(device));
    expect(k.subgroups).toBe(true);
    expect(k.subgroupSize).toBeGreaterThan(0);
  });

  it('the split family takes four subgroups per workgroup, within 16..128, and 64 when the width is unknown', async () => {
    const device = await testDevice();
    const k = new Kernels(device, new BufferPool(device));
    const sizes = [0, 1, 4, 8, 16, 32, 64, 128].map((w) => {
      k.subgroupSize = w;
      return splitWorkgroupSize(k);
    });
    expect(sizes).toEqual([64, 16, 16, 32, 64, 128, 128, 128]);
  });
});

for (const f of FAMILIES) {
  describe(`actgrad edge family "${f.name}" vs CPU reference`, () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const device = await testDevice();
        const k = new Kernels(device, new BufferPool(device));
        k.subgroups = f.subgroups;
        if (f.subgroupSize !== undefined) k.subgroupSize = f.subgroupSize;
        const seed = freshSeed();
        const p = problem(c.s, seed);
        let got: Float32Array = new Float32Array();
        const savedChunk = gemmLimits.chunkFloats;
        gemmLimits.chunkFloats = f.chunkFloats ?? savedChunk;
        try {
          await expectNoGpuErrors(device, async () => {
            got = await runFamily(k, p, f.variant);
          });
        } finally {
          gemmLimits.chunkFloats = savedChunk;
        }
        const ref = referenceEdges(p);
        expect(got.length).toBe(ref.length);
        ref.forEach((v, e) => {
          const { scale } = actgradEdgeEntry(p, e);
          expect(Math.abs(got[e] - v), `${c.name} edge ${e} (seed ${seed})`).toBeLessThanOrEqual(1e-5 * scale + 1e-6);
        });
      });
    }
  });
}
