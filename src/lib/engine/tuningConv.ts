// Tunes the conv kernel families (ops/conv2d.ts) of one layer shape: for each pass it builds
// every family's dispatch on random data of the actual shape, checks sampled entries against an
// f64 CPU reference, times the ones that pass (tuning.ts) and records the choice in Kernels.

import type { Kernels, Dispatch } from './kernels';
import type { ConvGeometry } from '../ops/reference/conv2d';
import {
  CONV_VARIANTS, defaultConvVariant, convShapeClass, convForwardDispatch, convBackwardDispatch, convWeightGradDispatch,
  type ConvPass, type ConvVariant,
} from '../ops/conv2d';
import { nodeShape, type Model } from '../model/types';
import { chooseVariant, type TuningOptions, type TuningResult } from './tuning';
import { createHalfWeightBuffer, packHalfDispatch } from './halfWeights';
import { roundArrayToF16 } from '../ops/reference/f16';

/** One conv (or linear-as-1x1-conv) layer at one batch size. */
export interface ConvShape {
  batch: number;
  inShape: [number, number, number];
  outShape: [number, number, number];
  g: ConvGeometry;
}

const PASSES: ConvPass[] = ['forward', 'backwardInput', 'backwardWeight'];
/** Entries of each result compared with the CPU. */
const SAMPLES = 48;

/** Problem data: x, w, dy as f32 (what the GPU sees; w rounded to f16 when the passes read f16 weights). */
interface Problem extends ConvShape {
  x: Float32Array<ArrayBuffer>; w: Float32Array<ArrayBuffer>; dy: Float32Array<ArrayBuffer>;
}

function randomData(n: number, seed: number): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

/** One entry of a pass's result in f64, and the sum of its terms' magnitudes (the error scale). */
export function convEntry(p: Problem, pass: ConvPass, i: number): { value: number; scale: number } {
  const [C, H, W] = p.inShape;
  const [O, OH, OW] = p.outShape;
  const { kernel: [KH, KW], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups } = p.g;
  const cinG = C / groups, coutG = O / groups;
  let value = 0, scale = 0;
  const add = (a: number, b: number) => { value += a * b; scale += Math.abs(a * b); };
  if (pass === 'forward') {
    const ow = i % OW, oh = Math.floor(i / OW) % OH, o = Math.floor(i / (OW * OH)) % O, n = Math.floor(i / (OW * OH * O));
    const grp = Math.floor(o / coutG);
    for (let ci = 0; ci < cinG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      add(p.x[((n * C + grp * cinG + ci) * H + ih) * W + iw], p.w[((o * cinG + ci) * KH + kh) * KW + kw]);
    }
  } else if (pass === 'backwardInput') {
    const iw = i % W, ih = Math.floor(i / W) % H, c = Math.floor(i / (W * H)) % C, n = Math.floor(i / (W * H * C));
    const grp = Math.floor(c / cinG), ci = c % cinG;
    for (let ol = 0; ol < coutG; ol++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const th = ih + ph - kh * dh, tw = iw + pw - kw * dw;
      if (th < 0 || tw < 0 || th % sh || tw % sw || th / sh >= OH || tw / sw >= OW) continue;
      const o = grp * coutG + ol;
      add(p.dy[((n * O + o) * OH + th / sh) * OW + tw / sw], p.w[((o * cinG + ci) * KH + kh) * KW + kw]);
    }
  } else {
    const kw = i % KW, kh = Math.floor(i / KW) % KH, ci = Math.floor(i / (KW * KH)) % cinG, o = Math.floor(i / (KW * KH * cinG));
    const c = Math.floor(o / coutG) * cinG + ci;
    for (let n = 0; n < p.batch; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      add(p.dy[((n * O + o) * OH + oh) * OW + ow], p.x[((n * C + c) * H + ih) * W + iw]);
    }
  }
  return { value, scale };
}

/** The GPU buffers of one problem, and the dispatches of one pass in one family. */
class ConvBench {
  readonly bufs: Record<'x' | 'w' | 'dy' | 'y' | 'dx' | 'dw', GPUBuffer>;
  /** The weights packed as f16 (tuning for precision 'fast'), read by forward and backward to input. */
  readonly half: GPUBuffer | undefined;
  constructor(private readonly k: Kernels, readonly p: Problem, half: boolean) {
    const [C, H, W] = p.inShape, [O, OH, OW] = p.outShape;
    const len = { x: p.batch * C * H * W, w: O * (C / p.g.groups) * p.g.kernel[0] * p.g.kernel[1], dy: p.batch * O * OH * OW };
    const acquire = (n: number, name: string) => k.pool.acquire(n * 4, `tuning.${name}`);
    this.bufs = {
      x: acquire(len.x, 'x'), w: acquire(len.w, 'w'), dy: acquire(len.dy, 'dy'),
      y: acquire(len.dy, 'y'), dx: acquire(len.x, 'dx'), dw: acquire(len.w, 'dw'),
    };
    k.device.queue.writeBuffer(this.bufs.x, 0, p.x);
    k.device.queue.writeBuffer(this.bufs.w, 0, p.w);
    k.device.queue.writeBuffer(this.bufs.dy, 0, p.dy);
    if (half) {
      this.half = createHalfWeightBuffer(k.device, len.w, 'tuning');
      k.run([packHalfDispatch(k, this.bufs.w, this.half, len.w, 'tuning')], 'tuning.packF16');
    }
  }

  dispatches(pass: ConvPass, v: ConvVariant): { list: Dispatch[]; out: GPUBuffer; outLen: number } {
    const { k, p, bufs } = this;
    const layer = {
      name: `tuning.${v}`, batch: p.batch, inputs: [bufs.x], inputShapes: [p.inShape], output: bufs.y, outShape: p.outShape,
      params: { weight: bufs.w }, aux: {}, halfWeight: this.half,
    };
    if (pass === 'forward') return { list: convForwardDispatch(k, layer, p.g, layer.name, v), out: bufs.y, outLen: p.dy.length };
    if (pass === 'backwardInput') {
      const list = convBackwardDispatch(k, { ...layer, gradOutput: bufs.dy, gradInputs: [bufs.dx], accumulate: [false] }, p.g, layer.name, v);
      return { list, out: bufs.dx, outLen: p.x.length };
    }
    const list = convWeightGradDispatch(k, { ...layer, gradOutput: bufs.dy, gradParams: { weight: bufs.dw }, perImage: false }, p.g, layer.name, v);
    return { list, out: bufs.dw, outLen: p.w.length };
  }

  /** Returns the buffers and frees the pool's idle ones: tuning must not keep memory the plans need. */
  release(): void {
    for (const b of [...Object.values(this.bufs), ...this.k.takeOwned()]) this.k.pool.release(b);
    this.half?.destroy();
    this.k.pool.trim();
  }
}

async function readBack(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Float32Array> {
  const st = device.createBuffer({ label: 'tuning.readback', size: n * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder({ label: 'tuning.readback' });
  enc.copyBufferToBuffer(buf, 0, st, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(st.getMappedRange().slice(0));
  st.unmap();
  st.destroy();
  return out;
}

/** Sampled entries of `got` agree with the f64 reference within f32 rounding of their terms. */
function agrees(p: Problem, pass: ConvPass, got: Float32Array, seed: number): boolean {
  const n = got.length;
  for (let s = 0; s < SAMPLES; s++) {
    const i = s === 0 ? n - 1 : (Math.imul(seed + s, 2654435761) >>> 0) % n;
    const { value, scale } = convEntry(p, pass, i);
    if (!(Math.abs(got[i] - value) <= 1e-5 * scale + 1e-6)) return false;
  }
  return true;
}

/**
 * Chooses a family (of `variants`, default all) for each pass of one layer shape and records it in
 * `k.variantChoices`. With `half` (precision 'fast'), forward and backward to input read f16-packed
 * weights, are checked against the oracle on the f16-rounded weights and keep their own choice;
 * the kernel gradient, which does not read the weights, is left to the f32 tuning.
 */
export async function tuneConvShape(
  k: Kernels, shape: ConvShape, opts: TuningOptions, variants: readonly ConvVariant[] = CONV_VARIANTS, half = false,
): Promise<Partial<Record<ConvPass, TuningResult>>> {
  const [C, H, W] = shape.inShape, [O, OH, OW] = shape.outShape;
  const wLen = O * (C / shape.g.groups) * shape.g.kernel[0] * shape.g.kernel[1];
  const w = randomData(wLen, 2);
  const p: Problem = {
    ...shape,
    x: randomData(shape.batch * C * H * W, 1), w: half ? roundArrayToF16(w) : w, dy: randomData(shape.batch * O * OH * OW, 3),
  };
  const bench = new ConvBench(k, p, half);
  const results: Partial<Record<ConvPass, TuningResult>> = {};
  try {
    for (const pass of half ? PASSES.filter((q) => q !== 'backwardWeight') : PASSES) {
      const candidates = variants.map((v) => {
        const d = bench.dispatches(pass, v);
        const run = async () => {
          k.run(d.list, `tuning.${pass}.${v}`);
          await k.device.queue.onSubmittedWorkDone();
        };
        const check = async () => {
          k.device.queue.writeBuffer(d.out, 0, new Float32Array(d.outLen).fill(NaN));
          await run();
          return agrees(p, pass, await readBack(k.device, d.out, d.outLen), 17);
        };
        return { name: v, run, check };
      });
      const key = convShapeClass(pass, shape.batch, shape.inShape, shape.outShape, shape.g, half);
      const preferred = defaultConvVariant(pass, shape.batch, shape.inShape, shape.outShape, shape.g);
      const r = await chooseVariant(key, candidates, { preferred: variants.includes(preferred) ? preferred : variants[0], ...opts });
      results[pass] = r;
      if (r.choice) k.variantChoices.set(key, r.choice);
    }
  } finally {
    bench.release();
  }
  return results;
}

/** The conv shapes of a model's conv2d and linear layers (linear as a 1x1 conv), one per shape class. */
export function modelConvShapes(model: Model, batch: number): ConvShape[] {
  const shapes = new Map<string, ConvShape>();
  for (const l of model.layers) {
    let shape: ConvShape | null = null;
    if (l.op === 'conv2d') {
      const [C, H, W] = nodeShape(model, l.inputs[0]);
      const [O, OH, OW] = l.shape;
      shape = { batch, inShape: [C, H, W], outShape: [O, OH, OW], g: l.attrs as unknown as ConvGeometry };
    } else if (l.op === 'linear') {
      const F = nodeShape(model, l.inputs[0]).reduce((a, b) => a * b, 1);
      const g: ConvGeometry = { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
      shape = { batch, inShape: [F, 1, 1], outShape: [l.shape[0], 1, 1], g };
    }
    if (shape) shapes.set(convShapeClass('forward', batch, shape.inShape, shape.outShape, shape.g), shape);
  }
  return [...shapes.values()];
}
