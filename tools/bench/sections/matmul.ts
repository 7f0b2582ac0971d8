// Matmul section: the adapter's best-effort f32 GEMM rate (shaders/matmul/forward.wgsl),
// the yardstick for every other kernel. Tries tile and workgroup-size variants on the
// first size and the best few on the larger sizes; every result is checked on the CPU.

import type { BenchContext, BenchRow, BenchSection } from '../types';
import type { Dispatch } from '../../../src/lib/engine/kernels';
import { randomArray, upload, fillNaN, readBack, rng } from '../buffers';
import { checkSampled, sampleIndices, type SampledValue } from '../check';

interface Variant {
  /** Outputs per invocation: TILE x TILE. */
  tile: 4 | 8;
  wg: number;
}

const VARIANTS: Variant[] = [
  { tile: 4, wg: 64 },
  { tile: 8, wg: 16 },
  { tile: 8, wg: 64 },
  { tile: 8, wg: 128 },
];
const QUICK_VARIANTS: Variant[] = [
  { tile: 4, wg: 64 },
  { tile: 8, wg: 64 },
];
/** How many of the best variants on the first size are run on the larger sizes. */
const KEEP = 2;

function variantName(v: Variant): string {
  return `${v.tile}x${v.tile} wg${v.wg}`;
}

interface Problem {
  M: number; N: number; K: number;
  a: Float32Array; b: Float32Array;
  aBuf: GPUBuffer; bBuf: GPUBuffer; cBuf: GPUBuffer;
  expected: SampledValue[];
}

function makeProblem(ctx: BenchContext, M: number, N: number, K: number, seed: number, samples: number): Problem {
  if (N % 4 || K % 4) throw new Error(`matmul N and K must be multiples of 4 (got ${M}x${K} * ${K}x${N})`);
  const a = randomArray(M * K, seed);
  const b = randomArray(K * N, seed + 1);
  const aBuf = ctx.pool.acquire(a.byteLength, 'bench.matmul.a');
  const bBuf = ctx.pool.acquire(b.byteLength, 'bench.matmul.b');
  const cBuf = ctx.pool.acquire(M * N * 4, 'bench.matmul.c');
  upload(ctx.device, aBuf, a);
  upload(ctx.device, bBuf, b);
  // CPU values of a sample of C (f64).
  const expected = sampleIndices(M * N, samples, rng(seed + 2)).map((index) => {
    const i = Math.floor(index / N);
    const j = index % N;
    let value = 0;
    let absSum = 0;
    for (let k = 0; k < K; k++) {
      const t = a[i * K + k] * b[k * N + j];
      value += t;
      absSum += Math.abs(t);
    }
    return { index, value, absSum };
  });
  return { M, N, K, a, b, aBuf, bBuf, cBuf, expected };
}

function releaseProblem(ctx: BenchContext, p: Problem): void {
  for (const buf of [p.aBuf, p.bBuf, p.cBuf, ...ctx.kernels.takeOwned()]) ctx.pool.release(buf);
}

function matmulDispatch(ctx: BenchContext, p: Problem, v: Variant, label: string): Dispatch {
  const tiles = Math.ceil(p.M / v.tile) * Math.ceil(p.N / v.tile);
  return ctx.kernels.dispatch({
    label,
    shader: 'matmul/forward',
    defines: { TILE: v.tile },
    uniforms: [p.M, p.N, p.K],
    buffers: [p.aBuf, p.bBuf, p.cBuf],
    threads: [tiles],
    workgroupSize: v.wg,
    flops: 2 * p.M * p.N * p.K,
  });
}

/** Every variant on an awkward small shape (ragged edges), compared entry by entry. */
async function checkEdges(ctx: BenchContext, variants: Variant[]): Promise<void> {
  const p = makeProblem(ctx, 37, 20, 12, 7, 37 * 20);
  try {
    for (const v of variants) {
      const label = `matmul 37x12 * 12x20 ${variantName(v)}`;
      fillNaN(ctx.device, p.cBuf, p.M * p.N);
      await ctx.timer.measure([matmulDispatch(ctx, p, v, label)], 1, label);
      checkSampled(label, await readBack(ctx.device, p.cBuf, p.M * p.N), p.expected);
    }
  } finally {
    releaseProblem(ctx, p);
  }
}

async function measureSize(ctx: BenchContext, n: number, variants: Variant[], seed: number): Promise<BenchRow[]> {
  const { device, options } = ctx;
  const p = makeProblem(ctx, n, n, n, seed, options.samples);
  const rows: BenchRow[] = [];
  try {
    for (const v of variants) {
      const label = `matmul ${n} ${variantName(v)}`;
      const d = matmulDispatch(ctx, p, v, label);
      fillNaN(device, p.cBuf, n * n);
      const t = await ctx.timer.measure([d], options.runs, label);
      const check = checkSampled(label, await readBack(device, p.cBuf, n * n), p.expected);
      const gflops = d.flops / (t.ms * 1e6);
      ctx.log(`  ${label.padEnd(24)} ${gflops.toFixed(2).padStart(8)} GFLOP/s  (${t.ms.toFixed(1)} ms, ${t.source})`);
      rows.push({
        section: 'matmul',
        name: `matmul ${variantName(v)}`,
        pass: 'matmul',
        shape: `${n}x${n} * ${n}x${n}`,
        flops: d.flops,
        ms: t.ms,
        gflops,
        timing: t.source,
        maxRelError: check.maxRelError,
        checked: check.checked,
        extra: { M: n, N: n, K: n, tile: v.tile, wg: v.wg, samples: t.samples },
      });
    }
  } finally {
    releaseProblem(ctx, p);
  }
  return rows;
}

export const matmulSection: BenchSection = {
  name: 'matmul',
  description: 'dense f32 matmul C = A B (register-blocked, no shared memory): the best-rate yardstick',
  async run(ctx) {
    const variants = ctx.options.quick ? QUICK_VARIANTS : VARIANTS;
    await checkEdges(ctx, variants);
    const [first, ...rest] = ctx.options.matmulSizes;
    const rows = await measureSize(ctx, first, variants, 1);
    const keep = [...rows]
      .sort((x, y) => y.gflops - x.gflops)
      .slice(0, KEEP)
      .map((r) => ({ tile: r.extra!.tile, wg: r.extra!.wg }) as Variant);
    for (const n of rest) rows.push(...(await measureSize(ctx, n, keep, 10 + n)));
    ctx.bestMatmulGflops = Math.max(ctx.bestMatmulGflops, ...rows.map((r) => r.gflops));
    return rows;
  },
};
