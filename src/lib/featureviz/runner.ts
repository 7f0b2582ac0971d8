// One batch of feature visualizations on the GPU: parameters (pixels or scaled Fourier
// coefficients) -> colour mix + sigmoid -> random affine transform + normalization -> the
// engine's forward -> objective terms and their seed gradients -> the engine's backward ->
// the adjoints back to the parameters -> Adam. Dispatches are built once per run; per step
// only the transform draws and Adam's step factors are uploaded.

import type { Engine } from '../engine/engine';
import type { Dispatch, UniformValue } from '../engine/kernels';
import { f32, i32, DEFAULT_WORKGROUP } from '../engine/kernels';
import { nodeShape, shapeSize, type Model } from '../model/types';
import { polishStepsOf, type VizSettings } from './settings';
import type { CompiledObjectives } from './terms';
import { spectrumScale, spectrumWidth, twiddles } from './fft';
import { colourMix } from './colour';
import { adjointReach, drawTransforms, IDENTITY, transformMagnitudes } from './transforms';
import { diversity } from './diversity';
import { seededUniform } from '../circuits/saliency';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
/** Lucid's initial spread of the parameters (pixel_image and fft_image, sd = 0.01). */
const INIT_SD = 0.01;

/** Seeded standard normal draws (Box-Muller over the project's seeded uniform generator). */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const a = Math.max(u(), 1e-12), b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}

export async function readGpu(device: GPUDevice, buf: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ label: 'featureviz.readback', size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder({ label: 'featureviz.readback' });
  enc.copyBufferToBuffer(buf, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** GPU evaluation of compiled objectives on a batch of normalized images already in the engine. */
export class ObjectiveEvaluator {
  private readonly engine: Engine;
  readonly compiled: CompiledObjectives;
  readonly batch: number;
  private readonly owned: GPUBuffer[] = [];
  private readonly copies = new Map<string, GPUBuffer>();
  readonly seeds = new Map<string, GPUBuffer>();
  private readonly divGrad = new Map<string, GPUBuffer>();
  readonly values: GPUBuffer;
  readonly coef: GPUBuffer;
  readonly total: GPUBuffer;
  private readonly valueDispatches: Dispatch[] = [];
  private readonly seedDispatches: Dispatch[] = [];
  private readonly divAdd: Dispatch[] = [];
  /** Seeds that no shader writes first (cleared before accumulating). */
  private readonly clearFirst = new Set<string>();

  constructor(engine: Engine, compiled: CompiledObjectives, batch: number) {
    this.engine = engine;
    this.compiled = compiled;
    this.batch = batch;
    const k = engine.kernels;
    const model = engine.model;
    const terms = Math.max(1, compiled.terms);
    this.values = this.alloc(terms * batch * 4, 'featureviz.values');
    this.coef = this.alloc(terms * batch * 4, 'featureviz.coef');
    this.total = this.alloc(batch * 4, 'featureviz.total');
    const nodeBytes = (n: string) => batch * shapeSize(nodeShape(model, n)) * 4;
    const copyOf = (n: string) => {
      let b = this.copies.get(n);
      if (!b) this.copies.set(n, (b = this.alloc(nodeBytes(n), `featureviz.${n}.copy`)));
      return b;
    };
    for (const n of compiled.seedNodes) this.seeds.set(n, this.alloc(nodeBytes(n), `featureviz.${n}.seed`));
    const seeded = new Set<string>();
    for (const g of compiled.linear) {
      const w = this.upload(g.weights, `featureviz.${g.node}.weights`);
      const u: UniformValue[] = [batch, g.size, g.count, g.first];
      this.valueDispatches.push(k.dispatch({ label: 'featureviz.termValues', shader: 'featureviz/term_values', uniforms: u, buffers: [copyOf(g.node), w, this.values], threads: [g.count * batch] }));
      this.seedDispatches.push(k.dispatch({ label: 'featureviz.termSeed', shader: 'featureviz/term_seed', uniforms: u, buffers: [this.coef, w, this.seeds.get(g.node)!], threads: [batch * g.size] }));
      seeded.add(g.node);
    }
    if (compiled.prob) {
      const out = model.output;
      const classes = this.upload(compiled.prob.classes, 'featureviz.probClasses');
      const size = shapeSize(nodeShape(model, out));
      const u: UniformValue[] = [batch, size, compiled.prob.classes.length, compiled.prob.first];
      const buffers = [copyOf(out), classes, this.coef, this.values, this.seeds.get(out)!];
      this.valueDispatches.push(k.dispatch({ label: 'featureviz.probValues', shader: 'featureviz/prob_terms', defines: { MODE: '0u' }, uniforms: u, buffers, threads: [batch] }));
      this.seedDispatches.push(k.dispatch({ label: 'featureviz.probSeed', shader: 'featureviz/prob_terms', defines: { MODE: '1u' }, uniforms: u, buffers, threads: [batch] }));
      if (!seeded.has(out)) this.clearFirst.add(out);
      seeded.add(out);
    }
    if (compiled.monomials > 0) {
      const table = this.upload(compiled.table, 'featureviz.table');
      const weights = this.upload(compiled.monomialWeights, 'featureviz.monomialWeights');
      this.valueDispatches.push(k.dispatch({
        label: 'featureviz.polynomial', shader: 'featureviz/polynomial', uniforms: [batch, compiled.terms, compiled.monomials],
        buffers: [this.values, table, weights, this.coef, this.total], threads: [batch],
      }));
    }
    for (const d of compiled.diversity) {
      if (!seeded.has(d.node)) this.clearFirst.add(d.node);
      if (!this.divGrad.has(d.node)) {
        const g = this.alloc(nodeBytes(d.node), `featureviz.${d.node}.diversityGrad`);
        this.divGrad.set(d.node, g);
        const count = nodeBytes(d.node) / 4;
        this.divAdd.push(k.dispatch({ label: 'featureviz.addDiversity', shader: 'featureviz/add', uniforms: [count], buffers: [g, this.seeds.get(d.node)!], threads: [count] }));
      }
    }
    this.owned.push(...k.takeOwned());
  }

  private alloc(bytes: number, label: string): GPUBuffer {
    const b = this.engine.pool.acquire(bytes, label);
    this.owned.push(b);
    return b;
  }

  private upload(data: Float32Array | Uint32Array, label: string): GPUBuffer {
    const b = this.alloc(data.byteLength, label);
    this.engine.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  /**
   * After a forward pass of `batch` images: term values, the per-image polynomial and the
   * seeds of every seed node. Returns the diversity value (0 without diversity terms).
   */
  async evaluate(withSeeds: boolean): Promise<number> {
    const { engine, batch } = this;
    const device = engine.device;
    const enc = device.createCommandEncoder({ label: 'featureviz.objective' });
    for (const [n, b] of this.copies) enc.copyBufferToBuffer(engine.activationBuffer(n), 0, b, 0, batch * shapeSize(nodeShape(engine.model, n)) * 4);
    if (this.compiled.monomials === 0) enc.clearBuffer(this.total, 0, batch * 4);
    if (withSeeds) for (const n of this.clearFirst) enc.clearBuffer(this.seeds.get(n)!, 0, batch * shapeSize(nodeShape(engine.model, n)) * 4);
    engine.kernels.encode(enc, withSeeds ? [...this.valueDispatches, ...this.seedDispatches] : this.valueDispatches, 'featureviz.objective');
    device.queue.submit([enc.finish()]);
    let value = 0;
    if (this.compiled.diversity.length) {
      const grads = new Map<string, Float64Array>();
      for (const d of this.compiled.diversity) {
        const shape = nodeShape(engine.model, d.node);
        const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
        const y = await engine.read(d.node);
        const r = diversity(y, batch, shape[0], plane);
        value += d.weight * r.value;
        if (withSeeds) {
          const g = grads.get(d.node) ?? new Float64Array(r.grad.length);
          for (let i = 0; i < g.length; i++) g[i] += d.weight * r.grad[i];
          grads.set(d.node, g);
        }
      }
      if (withSeeds) {
        for (const [n, g] of grads) device.queue.writeBuffer(this.divGrad.get(n)!, 0, Float32Array.from(g));
        engine.kernels.run(this.divAdd, 'featureviz.diversity');
      }
    }
    return value;
  }

  /** Per-image values of the polynomial (diversity not included). */
  readTotals(): Promise<Float32Array> {
    return readGpu(this.engine.device, this.total, this.batch * 4);
  }

  release(): void {
    for (const b of this.owned) this.engine.pool.release(b);
    this.owned.length = 0;
  }
}

/** The adjoint's window (affine_adjoint's reach): it covers the largest scale and rotation that can be drawn. */
function widestAdjointReach(magnitudes: ReturnType<typeof transformMagnitudes>): number {
  const maxScale = Math.max(...magnitudes.scales);
  const maxAngle = (Math.min(45, Math.max(...magnitudes.angles.map(Math.abs))) * Math.PI) / 180;
  const r = maxScale * (Math.cos(maxAngle) + Math.sin(maxAngle));
  return adjointReach(Float32Array.from([0, 0, 0, 0, 0, 0, r, 0, 0, 0, r, 0]), 1);
}

/** Of two nodes of the model, the one later in its layer order. */
function laterNode(model: Model, a: string, b: string): string {
  const order = (n: string) => model.layers.findIndex((l) => l.name === n);
  return order(b) > order(a) ? b : a;
}

/** The optimization of one batch: `stepOnce` per step, then `finalValues` on the untransformed image. */
export class VizRunner {
  private readonly engine: Engine;
  private readonly settings: VizSettings;
  readonly batch: number;
  readonly evaluator: ObjectiveEvaluator;
  /** The warm-up objective of the first warmupSteps steps (warmup.ts), if it differs. */
  private readonly warmup: ObjectiveEvaluator | null;
  /** Where the forward pass can stop during warm-up steps: the later of both objectives' last nodes. */
  private readonly warmupUntil: string;
  private readonly owned: GPUBuffer[] = [];
  readonly pixels: GPUBuffer;
  private readonly xf: GPUBuffer;
  private readonly step: GPUBuffer;
  private readonly netIn: GPUBuffer;
  private readonly gIn: GPUBuffer;
  private readonly gTmp: GPUBuffer;
  /** The ordinary input gradient during redirected ReLU steps. */
  private readonly gOrdinary: GPUBuffer;
  private readonly keepOrdinary: Dispatch;
  /** Per image: the true objective's gradient where it is nonzero, else the warm-up's. */
  private readonly keepAlive: Dispatch;
  private readonly history: GPUBuffer;
  private readonly front: Dispatch[];
  private readonly back: Dispatch[];
  private readonly addGrad: Dispatch;
  private readonly backFft: Dispatch | null;
  private readonly magnitudes: ReturnType<typeof transformMagnitudes>;
  /** Per image: its transform draws (streams.ts). */
  private readonly rands: (() => number)[];
  private readonly imageBytes: number;
  /** Whether one backward pass can carry every seed node's gradient (else one pass per node). */
  private onePass = true;

  /** `streams`: one random-stream seed per image (streams.ts imageStreamSeeds). */
  constructor(engine: Engine, compiled: CompiledObjectives, batch: number, settings: VizSettings, streams: Uint32Array, warmup: CompiledObjectives | null = null) {
    if (streams.length !== batch) throw new RangeError(`${streams.length} random streams for a batch of ${batch}`);
    this.engine = engine;
    this.settings = settings;
    this.batch = batch;
    const { channels: C, height: H, width: W, mean, std } = engine.model.input;
    const k = engine.kernels;
    const count = batch * C * H * W;
    this.imageBytes = count * 4;
    this.rands = Array.from(streams, (s) => seededUniform((s ^ 0x9e3779b9) >>> 0));
    const fft = settings.param === 'fft';
    const wf = spectrumWidth(W);
    const thetaCount = fft ? batch * C * H * wf * 2 : count;
    const { theta, m, v } = this.initialParameters(thetaCount, streams);
    const raw = fft ? this.alloc(count * 4, 'featureviz.raw') : theta;
    this.pixels = this.alloc(count * 4, 'featureviz.pixels');
    this.netIn = this.alloc(count * 4, 'featureviz.input');
    this.gIn = this.alloc(count * 4, 'featureviz.gradInput');
    this.gTmp = this.alloc(count * 4, 'featureviz.gradTmp');
    this.gOrdinary = this.alloc(count * 4, 'featureviz.gradOrdinary');
    const gPix = this.alloc(count * 4, 'featureviz.gradPixels');
    const gRaw = this.alloc(count * 4, 'featureviz.gradRaw');
    const gTheta = fft ? this.alloc(thetaCount * 4, 'featureviz.gradTheta') : gRaw;
    this.xf = this.alloc(batch * 12 * 4, 'featureviz.transforms');
    this.step = this.alloc(16, 'featureviz.adam.step');
    this.history = this.alloc(Math.max(1, settings.steps + 1) * batch * 4, 'featureviz.history');
    const mix = this.upload(Float32Array.from(colourMix(C, settings.decorrelate)), 'featureviz.mix');
    const norm = this.upload(Float32Array.from([...mean, ...std]), 'featureviz.norm');
    const magnitudes = transformMagnitudes(H, W);
    this.magnitudes = magnitudes;
    this.front = [];
    if (fft) {
      const scale = this.upload(Float32Array.from(spectrumScale(H, W)), 'featureviz.spectrumScale');
      const tw = this.upload(Float32Array.from(twiddles(H, W)), 'featureviz.twiddles');
      this.front.push(k.dispatch({ label: 'featureviz.irfft', shader: 'featureviz/irfft_forward', uniforms: [batch * C, H, W, wf], buffers: [theta, scale, tw, raw], threads: [count] }));
      this.back = [];
      this.backFft = k.dispatch({ label: 'featureviz.irfftAdjoint', shader: 'featureviz/irfft_adjoint', uniforms: [batch * C, H, W, wf], buffers: [gRaw, scale, tw, gTheta], threads: [batch * C * H * wf] });
    } else {
      this.back = [];
      this.backFft = null;
    }
    this.front.push(
      k.dispatch({ label: 'featureviz.toPixels', shader: 'featureviz/to_pixels', uniforms: [batch, C, H * W], buffers: [raw, mix, this.pixels], threads: [count] }),
      k.dispatch({ label: 'featureviz.affine', shader: 'featureviz/affine_forward', uniforms: [batch, C, H, W, f32(magnitudes.fill)], buffers: [this.pixels, this.xf, norm, this.netIn], threads: [count] }),
    );
    const reach = widestAdjointReach(magnitudes);
    this.back.push(
      k.dispatch({ label: 'featureviz.affineAdjoint', shader: 'featureviz/affine_adjoint', uniforms: [batch, C, H, W, i32(reach)], buffers: [this.gIn, this.xf, norm, gPix], threads: [count] }),
      k.dispatch({ label: 'featureviz.toPixelsAdjoint', shader: 'featureviz/to_pixels_adjoint', uniforms: [batch, C, H * W], buffers: [gPix, this.pixels, mix, gRaw], threads: [count] }),
    );
    if (this.backFft) this.back.push(this.backFft);
    this.back.push(k.dispatch({ label: 'featureviz.adam', shader: 'featureviz/adam', uniforms: [thetaCount, f32(BETA1), f32(BETA2), f32(EPS)], buffers: [gTheta, this.step, theta, m, v], threads: [thetaCount] }));
    this.addGrad = k.dispatch({ label: 'featureviz.addGrad', shader: 'featureviz/add', uniforms: [count], buffers: [this.gTmp, this.gIn], threads: [count] });
    this.owned.push(...k.takeOwned());
    this.evaluator = new ObjectiveEvaluator(engine, compiled, batch);
    this.warmup = warmup && settings.warmupSteps > 0 ? new ObjectiveEvaluator(engine, warmup, batch) : null;
    this.warmupUntil = laterNode(engine.model, compiled.until, this.warmup?.compiled.until ?? compiled.until);
    this.keepOrdinary = this.keepGradientDispatch(true);
    this.keepAlive = this.keepGradientDispatch(false);
    this.owned.push(...k.takeOwned());
  }

  /**
   * The parameters, Lucid's small random start (image-major: image n's come from its own
   * stream), and Adam's moments, zeroed.
   */
  private initialParameters(thetaCount: number, streams: Uint32Array): { theta: GPUBuffer; m: GPUBuffer; v: GPUBuffer } {
    const device = this.engine.device;
    const theta = this.alloc(thetaCount * 4, 'featureviz.theta');
    const init = new Float32Array(thetaCount), per = thetaCount / this.batch;
    streams.forEach((s, n) => {
      const normal = seededNormal(s);
      for (let i = 0; i < per; i++) init[n * per + i] = INIT_SD * normal();
    });
    device.queue.writeBuffer(theta, 0, init);
    const m = this.alloc(thetaCount * 4, 'featureviz.adam.m');
    const v = this.alloc(thetaCount * 4, 'featureviz.adam.v');
    const enc = device.createCommandEncoder({ label: 'featureviz.init' });
    enc.clearBuffer(m, 0, thetaCount * 4);
    enc.clearBuffer(v, 0, thetaCount * 4);
    device.queue.submit([enc.finish()]);
    return { theta, m, v };
  }

  /**
   * Per image, keeps the ordinary input gradient (gOrdinary) in gIn where it is nonzero (and,
   * when `positive`, the objective is above 0); else leaves gIn's second gradient.
   */
  private keepGradientDispatch(positive: boolean): Dispatch {
    const { channels: C, height: H, width: W } = this.engine.model.input;
    return this.engine.kernels.dispatch({
      label: 'featureviz.keepOrdinary', shader: 'featureviz/keep_ordinary', defines: { POSITIVE: positive },
      uniforms: [this.batch, C * H * W], buffers: [this.gOrdinary, this.evaluator.total, this.gIn], threads: [this.batch * DEFAULT_WORKGROUP],
    });
  }
  private alloc(bytes: number, label: string): GPUBuffer {
    const b = this.engine.pool.acquire(bytes, label);
    this.owned.push(b);
    return b;
  }

  private upload(data: Float32Array, label: string): GPUBuffer {
    const b = this.alloc(data.byteLength, label);
    this.engine.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  private writeTransforms(identity: boolean): void {
    const { height: H, width: W } = this.engine.model.input;
    const xf = Float32Array.from({ length: this.batch * 12 }, (_, i) => IDENTITY[i % 12]);
    if (!identity && this.settings.transforms) this.rands.forEach((rand, n) => xf.set(drawTransforms(rand, 1, H, W, this.magnitudes), n * 12));
    this.engine.device.queue.writeBuffer(this.xf, 0, xf);
  }

  /**
   * Pixels and network input of the current parameters, forward, the objective (with its
   * seeds when `seeds`) and, with `warmup`, the warm-up objective's seeds. Returns the
   * objective's diversity part.
   */
  private async forward(identity: boolean, seeds: boolean, warmup: ObjectiveEvaluator | null = null): Promise<number> {
    const { engine } = this;
    this.writeTransforms(identity);
    engine.kernels.run(this.front, 'featureviz.front');
    engine.forwardFrom(this.netIn, this.batch, warmup ? this.warmupUntil : this.evaluator.compiled.until);
    const div = await this.evaluator.evaluate(seeds);
    if (warmup) await warmup.evaluate(true);
    return div;
  }

  /** dF/d(network input) of the current forward pass into gIn, through ordinary or redirected ReLUs. */
  private inputGradient(redirectRelu: boolean, from: ObjectiveEvaluator): void {
    const { engine } = this;
    const device = engine.device;
    const input = engine.model.input.name;
    // A seed at the input itself (a kernel reading the input) is already dF/d(input): no backward pass.
    const nodes = from.compiled.seedNodes.filter((n) => n !== input);
    const inputSeed = nodes.length < from.compiled.seedNodes.length ? from.seeds.get(input)! : null;
    if (nodes.length > 1 && this.onePass) {
      // One backward pass seeded at every node (they are all upstream of the last one).
      try {
        engine.backwardFromMany(new Map(nodes.map((n) => [n, from.seeds.get(n)!])), { redirectRelu });
      } catch (e) {
        if (!/not upstream/.test((e as Error).message)) throw e;
        this.onePass = false;
      }
      if (this.onePass) {
        const enc = device.createCommandEncoder({ label: 'featureviz.gradInput' });
        enc.copyBufferToBuffer(engine.gradBuffer(input)!, 0, this.gIn, 0, this.imageBytes);
        device.queue.submit([enc.finish()]);
      }
    }
    for (let i = 0; i < nodes.length && !(nodes.length > 1 && this.onePass); i++) {
      engine.backwardFrom(nodes[i], from.seeds.get(nodes[i])!, { redirectRelu });
      const enc = device.createCommandEncoder({ label: 'featureviz.gradInput' });
      enc.copyBufferToBuffer(engine.gradBuffer(input)!, 0, i === 0 ? this.gIn : this.gTmp, 0, this.imageBytes);
      if (i > 0) engine.kernels.encode(enc, [this.addGrad], 'featureviz.addGrad');
      device.queue.submit([enc.finish()]);
    }
    if (inputSeed) {
      const enc = device.createCommandEncoder({ label: 'featureviz.inputSeed' });
      enc.copyBufferToBuffer(inputSeed, 0, nodes.length ? this.gTmp : this.gIn, 0, this.imageBytes);
      if (nodes.length) engine.kernels.encode(enc, [this.addGrad], 'featureviz.addGrad');
      device.queue.submit([enc.finish()]);
    }
  }

  /** One optimization step t (1-based). Returns the diversity part of the objective. */
  async stepOnce(t: number): Promise<number> {
    const { engine, batch } = this;
    const device = engine.device;
    const warmup = t <= this.settings.warmupSteps ? this.warmup : null;
    const redirect = t <= this.settings.redirectSteps;
    const polish = t > this.settings.steps - polishStepsOf(this.settings);
    const div = await this.forward(polish, true, warmup);
    this.inputGradient(false, this.evaluator);
    if (warmup || redirect) {
      // Warm-up and redirected ReLU steps (settings.ts), two backward passes: per image, the
      // true objective's ordinary gradient where it is nonzero, else the warm-up objective's
      // (through redirected ReLUs during redirect steps); with redirection alone, the ordinary
      // gradient where it is nonzero and the objective above 0, else the redirected one.
      const enc = device.createCommandEncoder({ label: 'featureviz.keepOrdinary' });
      enc.copyBufferToBuffer(this.gIn, 0, this.gOrdinary, 0, this.imageBytes);
      device.queue.submit([enc.finish()]);
      this.inputGradient(redirect, warmup ?? this.evaluator);
      engine.kernels.run([warmup ? this.keepAlive : this.keepOrdinary], 'featureviz.keepOrdinary');
    }
    const lr = this.settings.lr;
    device.queue.writeBuffer(this.step, 0, Float32Array.from([lr / (1 - BETA1 ** t), 1 / (1 - BETA2 ** t)]));
    const enc = device.createCommandEncoder({ label: 'featureviz.back' });
    enc.copyBufferToBuffer(this.evaluator.total, 0, this.history, (t - 1) * batch * 4, batch * 4);
    engine.kernels.encode(enc, this.back, 'featureviz.back');
    device.queue.submit([enc.finish()]);
    return div;
  }

  /** The objective per image on the untransformed current image (diversity added to each). */
  async finalValues(): Promise<Float64Array> {
    const div = await this.forward(true, false);
    const totals = await this.evaluator.readTotals();
    return Float64Array.from(totals, (v) => v + div);
  }

  /** Mean objective per step (transformed images), steps 1..n, plus per-step diversity parts. */
  async readHistory(steps: number, diversityParts: number[]): Promise<number[]> {
    if (steps === 0) return [];
    const h = await readGpu(this.engine.device, this.history, steps * this.batch * 4);
    return Array.from({ length: steps }, (_, s) => {
      let sum = 0;
      for (let n = 0; n < this.batch; n++) sum += h[s * this.batch + n];
      return sum / this.batch + (diversityParts[s] ?? 0);
    });
  }

  readPixels(): Promise<Float32Array> {
    return readGpu(this.engine.device, this.pixels, this.imageBytes);
  }

  release(): void {
    this.evaluator.release();
    this.warmup?.release();
    for (const b of this.owned) this.engine.pool.release(b);
    this.owned.length = 0;
  }
}
