// Conv2d section: the engine's own dispatches (convForwardDispatch, convBackwardDispatch,
// convWeightGradDispatch) on AlexNet- and Fashion-MNIST-VGG-shaped layers, in GFLOP/s, once per
// kernel family, each result checked against the CPU on a sample of entries. The engine's tuner
// picks a family per pass on this adapter; its pick carries the plain layer name. With
// --precision=fast, forward and backward to input also run on f16-packed weights (rows marked
// "f16 weights"), checked against the CPU with the weights rounded to f16.

import type { BenchContext, BenchRow, BenchSection } from '../types';
import type { Dispatch } from '../../../src/lib/engine/kernels';
import type { ConvGeometry } from '../../../src/lib/ops/reference/conv2d';
import type { GpuBackwardBuffers, GpuLayerBuffers, GpuWeightGradBuffers } from '../../../src/lib/ops/types';
import { convForwardDispatch, convBackwardDispatch, convWeightGradDispatch, CONV_VARIANTS, DEFAULT_CONV_VARIANT, type ConvPass, type ConvVariant } from '../../../src/lib/ops/conv2d';
import { tuneConvShape } from '../../../src/lib/engine/tuningConv';
import { createHalfWeightBuffer, packHalfDispatch, type Precision } from '../../../src/lib/engine/halfWeights';
import { roundArrayToF16 } from '../../../src/lib/ops/reference/f16';
import { FileChoiceStore } from '../../../src/lib/engine/tuningFileStore';
import { randomArray, upload, fillNaN, readBack, rng } from '../buffers';
import { checkSampled, sampleIndices, REL_TOL, type SampledValue } from '../check';
import { forwardAt, gradInputAt, gradWeightAt, selfTest, type ConvProblem } from './convOracle';

export interface ConvLayer {
  name: string;
  /** Where the shape comes from. */
  origin: string;
  C: number; O: number; H: number; W: number;
  k: number; pad: number; stride: number;
  /** Starting batch (auto batch grows it until a run is long enough to time). */
  batch: number;
}

export const CONV_LAYERS: ConvLayer[] = [
  { name: 'conv2', origin: 'AlexNet conv2', C: 64, O: 192, H: 27, W: 27, k: 5, pad: 2, stride: 1, batch: 1 },
  { name: 'conv3', origin: 'AlexNet conv3', C: 192, O: 384, H: 13, W: 13, k: 3, pad: 1, stride: 1, batch: 1 },
  { name: 'conv4', origin: 'AlexNet conv4', C: 384, O: 256, H: 13, W: 13, k: 3, pad: 1, stride: 1, batch: 1 },
  { name: 'vgg', origin: 'Fashion-MNIST VGG conv 32->64', C: 32, O: 64, H: 14, W: 14, k: 3, pad: 1, stride: 1, batch: 8 },
];

/** The conv section's own options (options.ts): which kernel families, where the tuner's choices live. */
export interface ConvSectionOptions {
  convVariants?: string[];
  kernelChoices?: string;
  /** 'fast': also measure forward and backward to input on f16-packed weights. */
  precision?: Precision;
}

/** The tuner's name of each bench pass. */
const TUNED_PASS: Record<string, ConvPass> = { forward: 'forward', 'backward-input': 'backwardInput', 'backward-weight': 'backwardWeight' };

/** Median of the wall-clock samples: what the TF.js anchor (wall only) is compared with. */
function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Largest batch the auto batch may reach. */
const MAX_BATCH = 512;

function geometry(l: ConvLayer): ConvGeometry {
  return { kernel: [l.k, l.k], stride: [l.stride, l.stride], padding: [l.pad, l.pad], dilation: [1, 1], groups: 1 };
}

function outLen(n: number, l: ConvLayer): number {
  return Math.floor((n + 2 * l.pad - l.k) / l.stride) + 1;
}

function shapeString(l: ConvLayer): string {
  return `${l.C}->${l.O} ${l.k}x${l.k} p${l.pad}${l.stride > 1 ? ` s${l.stride}` : ''} on ${l.H}x${l.W}`;
}

/** The buffers and dispatches of one layer at one batch size. */
class LayerSetup {
  /** What the results are checked against: the weights rounded to f16 when the kernels read f16. */
  readonly problem: ConvProblem;
  /** The same problem with the f32 weights. */
  readonly f32Problem: ConvProblem;
  readonly x: GPUBuffer; readonly w: GPUBuffer; readonly bias: GPUBuffer; readonly y: GPUBuffer;
  readonly dy: GPUBuffer; readonly dx: GPUBuffer; readonly dw: GPUBuffer;
  readonly passes: { pass: string; dispatches: Dispatch[]; out: GPUBuffer; outLen: number; at: (p: ConvProblem, i: number) => SampledValue }[];
  private readonly ctx: BenchContext;
  private readonly owned: GPUBuffer[];

  /** With `half`, only forward and backward to input, reading the weights packed as f16 (checked against f16-rounded weights). */
  constructor(ctx: BenchContext, l: ConvLayer, batch: number, seed: number, variant: ConvVariant = DEFAULT_CONV_VARIANT, half = false) {
    this.ctx = ctx;
    const { device, kernels: k, pool } = ctx;
    const g = geometry(l);
    const OH = outLen(l.H, l), OW = outLen(l.W, l);
    const N = batch;
    const xLen = N * l.C * l.H * l.W, yLen = N * l.O * OH * OW, wLen = l.O * l.C * l.k * l.k;
    this.problem = {
      N, C: l.C, H: l.H, W: l.W, O: l.O, OH, OW, g,
      x: randomArray(xLen, seed),
      w: randomArray(wLen, seed + 1, 1 / Math.sqrt(l.C * l.k * l.k)),
      bias: randomArray(l.O, seed + 2, 0.1),
      dy: randomArray(yLen, seed + 3),
    };
    const name = `bench.${l.name}`;
    this.x = pool.acquire(xLen * 4, `${name}.x`);
    this.w = pool.acquire(wLen * 4, `${name}.w`);
    this.bias = pool.acquire(l.O * 4, `${name}.bias`);
    this.y = pool.acquire(yLen * 4, `${name}.y`);
    this.dy = pool.acquire(yLen * 4, `${name}.dy`);
    this.dx = pool.acquire(xLen * 4, `${name}.dx`);
    this.dw = pool.acquire(wLen * 4, `${name}.dw`);
    upload(device, this.x, this.problem.x);
    upload(device, this.w, this.problem.w);
    upload(device, this.bias, this.problem.bias!);
    upload(device, this.dy, this.problem.dy);

    const halfWeight = half ? createHalfWeightBuffer(device, wLen, name) : undefined;
    this.f32Problem = this.problem;
    if (halfWeight) {
      k.run([packHalfDispatch(k, this.w, halfWeight, wLen, name)], `${name}.packF16`);
      this.problem = { ...this.problem, w: roundArrayToF16(this.problem.w) };
    }
    const layer: GpuLayerBuffers = {
      name, batch: N, inputs: [this.x], inputShapes: [[l.C, l.H, l.W]], output: this.y, outShape: [l.O, OH, OW],
      params: { weight: this.w, bias: this.bias }, aux: {}, ...(halfWeight ? { halfWeight } : {}),
    };
    const back: GpuBackwardBuffers = { ...layer, gradOutput: this.dy, gradInputs: [this.dx], accumulate: [false] };
    const wgrad: GpuWeightGradBuffers = { ...layer, gradOutput: this.dy, gradParams: { weight: this.dw }, perImage: false };
    this.passes = [
      { pass: 'forward', dispatches: convForwardDispatch(k, layer, g, name, variant), out: this.y, outLen: yLen, at: forwardAt },
      { pass: 'backward-input', dispatches: convBackwardDispatch(k, back, g, name, variant), out: this.dx, outLen: xLen, at: gradInputAt },
      ...(half ? [] : [{ pass: 'backward-weight', dispatches: convWeightGradDispatch(k, wgrad, g, name, variant), out: this.dw, outLen: wLen, at: gradWeightAt }]),
    ];
    this.owned = [this.x, this.w, this.bias, this.y, this.dy, this.dx, this.dw, ...k.takeOwned()];
    this.halfWeight = halfWeight;
  }

  private readonly halfWeight?: GPUBuffer;

  release(): void {
    for (const b of this.owned) this.ctx.pool.release(b);
    this.halfWeight?.destroy();
    this.ctx.pool.trim();
  }
}

/**
 * Builds the layer at a batch whose forward run takes at least minMs (unless the batch is
 * fixed). The forward pass's first run doubles as warm-up; its wall ms is returned.
 */
async function setupLayer(ctx: BenchContext, l: ConvLayer, seed: number): Promise<{ setup: LayerSetup; warmupMs: number }> {
  const fixed = ctx.options.batch > 0;
  let batch = fixed ? ctx.options.batch : l.batch;
  for (;;) {
    const setup = new LayerSetup(ctx, l, batch, seed);
    // Compiles on first use, so it can overstate the first size tried; pipelines are cached after.
    const ms = (await ctx.timer.once(setup.passes[0].dispatches, `${l.name} warm-up`)).wall;
    if (fixed || batch >= MAX_BATCH || ms >= ctx.options.minMs) return { setup, warmupMs: ms };
    setup.release();
    // Aim at twice the minimum so the timed runs land safely above it.
    batch = Math.min(MAX_BATCH, Math.max(batch * 2, Math.ceil((batch * 2 * ctx.options.minMs) / Math.max(ms, 0.5))));
  }
}

/** The engine's tuner on this layer at the bench batch: its pick per pass (stored in the choices file). */
async function tunedFamilies(ctx: BenchContext, l: ConvLayer, batch: number, store: FileChoiceStore, variants: ConvVariant[]): Promise<Record<ConvPass, string>> {
  const OH = outLen(l.H, l), OW = outLen(l.W, l);
  const shape = { batch, inShape: [l.C, l.H, l.W] as [number, number, number], outShape: [l.O, OH, OW] as [number, number, number], g: geometry(l) };
  const results = await tuneConvShape(ctx.kernels, shape, { store, adapterKey: ctx.adapterDescription, minRuns: ctx.options.quick ? 2 : 3 }, variants);
  const picks = {} as Record<ConvPass, string>;
  for (const [pass, r] of Object.entries(results) as [ConvPass, (typeof results)[ConvPass]][]) {
    picks[pass] = r.choice ?? DEFAULT_CONV_VARIANT;
    const how = r.cached ? 'stored choice' : Object.entries(r.ms).map(([v, ms]) => `${v} ${ms.toFixed(1)} ms`).join(', ') + (r.failed.length ? `; failed check: ${r.failed.join(', ')}` : '');
    ctx.log(`  ${l.name} tuner: ${pass} -> ${picks[pass]} (${how})`);
  }
  return picks;
}

/** One family's three passes on a prepared layer: timed, checked, as rows. */
async function measureFamily(
  ctx: BenchContext, l: ConvLayer, s: LayerSetup, seed: number, variant: string, picks: Record<ConvPass, string>, warmupMs?: number, half = false,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [pi, p] of s.passes.entries()) {
    const chosen = picks[TUNED_PASS[p.pass]] === variant;
    const name = half ? `${l.name} [${chosen ? '' : `${variant}, `}f16 weights]` : chosen ? l.name : `${l.name} [${variant}]`;
    const label = `${name} ${p.pass}`;
    fillNaN(ctx.device, p.out, p.outLen);
    const t = await ctx.timer.measure(p.dispatches, ctx.options.runs, label, pi === 0 ? warmupMs : undefined);
    const gpu = await readBack(ctx.device, p.out, p.outLen);
    const expected = sampleIndices(p.outLen, ctx.options.samples, rng(seed + 10 + pi)).map((i) => p.at(s.problem, i));
    const check = checkSampled(`${label} (${shapeString(l)}, batch ${s.problem.N})`, gpu, expected);
    // f16 rows: also how far from the f32 weights' result (at most 2^-11 of the terms' scale from rounding)
    const vsF32 = half ? checkSampled(`${label} vs f32 weights`, gpu, expected.map((e) => p.at(s.f32Problem, e.index)), 2 ** -11 + REL_TOL) : null;
    const flops = p.dispatches.reduce((a, d) => a + d.flops, 0);
    const gflops = flops / (t.ms * 1e6);
    ctx.log(`  ${label.padEnd(32)} ${gflops.toFixed(2).padStart(8)} GFLOP/s  (batch ${s.problem.N}, ${t.ms.toFixed(1)} ms, ${t.source})`);
    rows.push({
      section: 'conv', name, pass: p.pass, shape: shapeString(l), batch: s.problem.N, flops, ms: t.ms, gflops, timing: t.source,
      maxRelError: check.maxRelError, checked: check.checked,
      extra: { origin: l.origin, variant, tunerChoice: chosen, precision: half ? 'fast' : 'exact', ...(vsF32 ? { maxRelErrorVsF32: vsF32.maxRelError } : {}), dispatches: p.dispatches.map((d) => d.label), samples: t.samples, wallMs: medianOf(t.wallSamples) },
    });
  }
  return rows;
}

/** f32 ms / f16-weight ms of forward and backward to input for one layer and family. */
function logHalfSpeedups(ctx: BenchContext, rows: BenchRow[], layer: string, variant: string): void {
  const mine = rows.filter((r) => (r.name === layer || r.name.startsWith(`${layer} [`)) && r.extra?.variant === variant);
  for (const pass of ['forward', 'backward-input']) {
    const exact = mine.find((r) => r.pass === pass && r.extra?.precision === 'exact');
    const fast = mine.find((r) => r.pass === pass && r.extra?.precision === 'fast');
    if (exact && fast) ctx.log(`  ${`${layer} ${pass} [${variant}]`.padEnd(32)} f16 weights: ${(exact.ms / fast.ms).toFixed(2)}x the f32 speed`);
  }
}

export const convSection: BenchSection = {
  name: 'conv',
  description: "conv2d forward, gradient to input and gradient to kernels with the engine's dispatches, per kernel family",
  async run(ctx) {
    selfTest();
    const own = ctx.options as typeof ctx.options & ConvSectionOptions;
    // Quick runs (CI) compare the default with one tiled family; full runs try them all.
    const variants = (own.convVariants ?? (ctx.options.quick ? ['blocked', 'gemm'] : [...CONV_VARIANTS])) as ConvVariant[];
    const store = new FileChoiceStore(own.kernelChoices ?? 'bench-results/kernel-choices.json');
    const rows: BenchRow[] = [];
    const layers = ctx.options.layers.map((n) => CONV_LAYERS.find((l) => l.name === n)!);
    for (const [li, l] of layers.entries()) {
      const seed = 1000 * (li + 1);
      const { setup: first, warmupMs } = await setupLayer(ctx, l, seed);
      const batch = first.problem.N;
      first.release();
      const picks = await tunedFamilies(ctx, l, batch, store, variants);
      for (const variant of variants) {
        for (const half of own.precision === 'fast' ? [false, true] : [false]) {
          const s = new LayerSetup(ctx, l, batch, seed, variant, half);
          try {
            const warm = variant === DEFAULT_CONV_VARIANT && !half ? warmupMs : undefined;
            rows.push(...(await measureFamily(ctx, l, s, seed, variant, picks, warm, half)));
          } finally {
            s.release();
          }
        }
        if (own.precision === 'fast') logHalfSpeedups(ctx, rows, l.name, variant);
      }
    }
    return rows;
  },
};
