// The GPU engine: uploads a model's weights once, runs forward passes over batches of
// images keeping every node's activations on the GPU, backpropagates a target to every
// upstream layer and the input, and reads back only what is asked for.

import type { Model } from '../model/types';
import { shapeSize, nodeShape } from '../model/types';
import { BufferPool } from './bufferPool';
import { Kernels, type Dispatch } from './kernels';
import { Plan, type WeightGradMode } from './plan';
import { targetLayer, type Target } from './targets';
import { adapterKey, type TuningOptions } from './tuning';
import { tuneConvShape, modelConvShapes } from './tuningConv';
import { HALF_WEIGHT_OPS, checkPrecision, createHalfWeightBuffer, fitsHalf, packHalfDispatch, type Precision } from './halfWeights';

export type { Precision } from './halfWeights';

export interface EngineOptions {
  /** Upper bound on images per batch (the adapter's limits may lower it). */
  maxBatch?: number;
  /** GPU memory the engine may use for one batch's buffers, in bytes. */
  memoryBudget?: number;
  /**
   * 'exact' (default): conv and linear layers read f32 weights. 'fast': they also keep the
   * weights as packed f16 (converted on the GPU when uploaded or masked) that forward and
   * backward to input read, accumulating in f32; kernel gradients, activations and every
   * other reader of the weights (saliency) stay f32 (docs/benchmarks.md, Precision).
   */
  precision?: Precision;
}

/** Which cached backward plan the last backward pass used. */
type BackwardKey = { layer: string; weightGrads: WeightGradMode; redirect: boolean };

const TARGET_MODE: Record<Target['kind'], number> = {
  featureMean: 0, direction: 0, featureMax: 1, featureAt: 2, classLogit: 2, classProbability: 3, loss: 4,
};

export class Engine {
  readonly device: GPUDevice;
  readonly model: Model;
  readonly kernels: Kernels;
  readonly pool: BufferPool;
  readonly maxBatch: number;
  readonly precision: Precision;
  private readonly params = new Map<string, Record<string, GPUBuffer>>();
  /** Unmasked weights of layers that have had an edge mask. */
  private readonly originals = new Map<string, GPUBuffer>();
  /** f16-packed copies of conv and linear weights (precision 'fast'), repacked when the weights change. */
  private readonly halfWeights = new Map<string, GPUBuffer>();
  private readonly plans = new Map<number, Plan>();
  private current: Plan | null = null;
  private count = 0;
  private lastBackward: { plan: Plan; key: BackwardKey; values: GPUBuffer | null } | null = null;
  private labels: GPUBuffer | null = null;
  private destroyed = false;

  private constructor(device: GPUDevice, model: Model, options: EngineOptions) {
    this.precision = checkPrecision(options.precision ?? 'exact');
    this.device = device;
    this.model = model;
    this.pool = new BufferPool(device);
    this.kernels = new Kernels(device, this.pool);
    for (const l of model.layers) {
      const bufs: Record<string, GPUBuffer> = {};
      for (const [p, data] of Object.entries(l.params)) {
        const b = device.createBuffer({
          label: `${l.name}.${p}`,
          size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
        });
        device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
        bufs[p] = b;
      }
      this.params.set(l.name, bufs);
    }
    if (this.precision === 'fast') {
      for (const l of model.layers) {
        if (HALF_WEIGHT_OPS.has(l.op) && l.params.weight && fitsHalf(l.params.weight)) {
          this.halfWeights.set(l.name, createHalfWeightBuffer(device, l.params.weight.length, l.name));
        }
      }
      this.repackHalfWeights([...this.halfWeights.keys()]);
    }
    this.maxBatch = this.batchLimit(options);
  }

  /** Converts the named layers' current f32 weights into their f16 copies (on the GPU, queued after earlier writes). */
  private repackHalfWeights(layers: Iterable<string>): void {
    const dispatches: Dispatch[] = [];
    for (const layer of layers) {
      const half = this.halfWeights.get(layer);
      if (!half) continue;
      const count = this.model.layers.find((l) => l.name === layer)!.params.weight.length;
      dispatches.push(packHalfDispatch(this.kernels, this.weightBuffer(layer), half, count, layer));
    }
    this.kernels.run(dispatches, 'pack f16 weights');
    for (const b of this.kernels.takeOwned()) this.pool.release(b);
  }

  static create(device: GPUDevice, model: Model, options: EngineOptions = {}): Engine {
    return new Engine(device, model, options);
  }

  /**
   * Chooses each conv and linear layer's kernel family for this adapter by measurement at
   * `batch` images (default: the largest batch), or takes the stored choice. Call it before the
   * first batch: plans already built keep the families they were built with.
   */
  async tune(opts: Omit<TuningOptions, 'adapterKey'> & { adapterKey?: string; batch?: number }): Promise<void> {
    const info = (this.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const options = { ...opts, adapterKey: opts.adapterKey ?? adapterKey(info) };
    for (const shape of modelConvShapes(this.model, opts.batch ?? this.maxBatch)) {
      await tuneConvShape(this.kernels, shape, options);
      // Precision 'fast': the passes that read f16 weights have their own choice.
      if (this.precision === 'fast') await tuneConvShape(this.kernels, shape, options, undefined, true);
    }
  }

  /** Largest batch whose buffers fit the budget and whose biggest buffer fits the adapter. */
  private batchLimit(options: EngineOptions): number {
    const limits = this.device.limits;
    let perImage = 0;
    let largest = 0;
    const nodes = [this.model.input.name, ...this.model.layers.map((l) => l.name)];
    for (const n of nodes) {
      const bytes = shapeSize(nodeShape(this.model, n)) * 4;
      perImage += 3 * bytes; // activation, gradient, aux or scratch
      largest = Math.max(largest, bytes);
    }
    const budget = options.memoryBudget ?? Math.min(1 << 30, limits.maxBufferSize * 2);
    const bySize = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / largest);
    const byBudget = Math.floor(budget / perImage);
    const limit = Math.min(options.maxBatch ?? 128, bySize, byBudget, limits.maxComputeWorkgroupsPerDimension);
    if (limit < 1) throw new Error(`model "${this.model.name}" does not fit this GPU even one image at a time`);
    return limit;
  }

  private plan(batch: number): Plan {
    if (this.destroyed) throw new Error('engine destroyed');
    if (!Number.isInteger(batch) || batch < 1 || batch > this.maxBatch)
      throw new Error(`batch of ${batch} images: must be 1..${this.maxBatch}`);
    let p = this.plans.get(batch);
    if (!p) {
      // Keep at most two batch sizes (a stream's full batches and its last one).
      if (this.plans.size >= 2) {
        for (const [b, old] of this.plans) {
          if (old !== this.current) {
            old.release();
            this.plans.delete(b);
            if (this.lastBackward?.plan === old) this.dropBackward();
            break;
          }
        }
      }
      p = new Plan(this.kernels, this.model, batch, this.params, this.halfWeights);
      this.plans.set(batch, p);
    }
    return p;
  }

  private forwards = 0;

  /**
   * Runs the network on `count` normalized NCHW images; activations stay on the GPU.
   * With `until`, layers after that node (in model order) are skipped: their values are stale.
   */
  forward(images: Float32Array, count: number, until?: string): void {
    const { channels, height, width } = this.model.input;
    const per = channels * height * width;
    if (images.length < count * per) throw new Error(`expected ${count} images of ${per} values, got ${images.length} values`);
    const plan = this.plan(count);
    this.device.queue.writeBuffer(plan.activations.get(this.model.input.name)!, 0, images.buffer, images.byteOffset, count * per * 4);
    const end = until === undefined || until === this.model.input.name ? (until ? 0 : plan.forwardDispatches.length) : plan.forwardEnds.get(until);
    if (end === undefined) throw new Error(`no node named "${until}"`);
    this.kernels.run(plan.forwardDispatches.slice(0, end), 'forward');
    this.current = plan;
    this.count = count;
    this.forwards++;
    this.dropBackward();
  }

  /** Forward passes run so far: activations on the GPU belong to the pass of this number. */
  get forwardGeneration(): number {
    return this.forwards;
  }

  /**
   * Like forward(), with the normalized images already on the GPU: `count` NCHW images are
   * copied from `images` (e.g. the output of a shader) into the plan's input; nothing is read
   * back or uploaded from the CPU.
   */
  forwardFrom(images: GPUBuffer, count: number, until?: string): void {
    const { channels, height, width } = this.model.input;
    const bytes = count * channels * height * width * 4;
    if (images.size < bytes) throw new Error(`expected ${count} images of ${bytes / count} bytes in a GPU buffer of ${images.size} bytes`);
    const plan = this.plan(count);
    const end = until === undefined || until === this.model.input.name ? (until ? 0 : plan.forwardDispatches.length) : plan.forwardEnds.get(until);
    if (end === undefined) throw new Error(`no node named "${until}"`);
    const encoder = this.device.createCommandEncoder({ label: 'forward from buffer' });
    encoder.copyBufferToBuffer(images, 0, plan.activations.get(this.model.input.name)!, 0, bytes);
    this.kernels.encode(encoder, plan.forwardDispatches.slice(0, end), 'forward');
    this.device.queue.submit([encoder.finish()]);
    this.current = plan;
    this.count = count;
    this.forwards++;
    this.dropBackward();
  }

  /** The dispatches of the current plan's forward pass (for benchmarks). */
  get forwardDispatches(): Dispatch[] {
    return this.requirePlan().forwardDispatches;
  }

  private requirePlan(): Plan {
    if (!this.current) throw new Error('run forward() first');
    return this.current;
  }

  /**
   * Backpropagates the target (summed over the batch's images) from its layer to every
   * upstream node and the input. `labels` are needed for the loss. Per-image parameter
   * gradients are kept when weightGrads is 'perImage'.
   */
  backward(target: Target, options: { labels?: ArrayLike<number>; weightGrads?: WeightGradMode; redirectRelu?: boolean } = {}): void {
    const plan = this.requirePlan();
    const layer = targetLayer(target, this.model.output);
    const weightGrads = options.weightGrads ?? 'sum';
    const redirect = options.redirectRelu ?? false;
    const bp = plan.backward(layer, weightGrads, redirect);
    const shape = nodeShape(this.model, layer);
    const [channels, plane] = shape.length === 3 ? [shape[0], shape[1] * shape[2]] : [shape[0], 1];
    let channel = 0;
    let position = 0;
    const weights = new Float32Array(channels);
    switch (target.kind) {
      case 'featureMean': case 'featureMax':
        channel = target.channel;
        weights[channel] = 1;
        break;
      case 'featureAt':
        channel = target.channel;
        position = target.y * shape[2] + target.x;
        if (target.y < 0 || target.x < 0 || target.y >= shape[1] || target.x >= shape[2])
          throw new Error(`position (${target.y}, ${target.x}) is outside ${layer}'s ${shape[1]}x${shape[2]} map`);
        break;
      case 'direction':
        if (target.weights.length !== channels) throw new Error(`a direction in ${layer} needs ${channels} weights`);
        weights.set(target.weights);
        break;
      case 'classLogit': case 'classProbability':
        channel = target.class;
        break;
    }
    if (channel < 0 || channel >= channels) throw new Error(`channel ${channel} is outside ${layer}'s ${channels} channels`);
    const k = this.kernels;
    const weightBuf = k.scratch(weights.byteLength, 'target.weights');
    this.device.queue.writeBuffer(weightBuf, 0, weights);
    if (!this.labels) this.labels = this.pool.acquire(this.maxBatch * 4, 'labels');
    if (target.kind === 'loss') {
      if (!options.labels || options.labels.length < this.count) throw new Error('the loss needs a label for every image');
      const labels = Uint32Array.from({ length: this.count }, (_, i) => options.labels![i]);
      if (labels.some((l) => l >= this.model.classes.length)) throw new Error('a label is outside the model\'s classes');
      this.device.queue.writeBuffer(this.labels, 0, labels);
    }
    const values = k.scratch(plan.batch * 4, 'target.values');
    const seed = k.dispatch({
      label: `target.${target.kind}`,
      shader: 'target/seed',
      defines: { MODE: `${TARGET_MODE[target.kind]}u` },
      uniforms: [plan.batch, channels, plane, this.count, channel, position],
      buffers: [plan.activations.get(layer)!, weightBuf, this.labels, bp.grads.get(layer)!, values],
      threads: [plan.batch * 64],
    });
    this.kernels.run([seed, ...bp.dispatches], 'backward');
    for (const b of k.takeOwned()) {
      if (b !== values) this.releaseLater(b);
    }
    this.dropBackward();
    this.lastBackward = { plan, key: { layer: layer, weightGrads, redirect }, values };
  }

  /**
   * Backpropagates a given gradient dF/d(layer output) of the current batch ([count, ...shape]
   * values, from the CPU or a GPU buffer) to every upstream node and the input: the generic
   * entry for objectives the built-in targets do not cover (sums, products, per-image
   * objectives). Parameter gradients are not computed unless asked for. No target values.
   * `redirectRelu` makes every ReLU pass the redirected gradient (feature visualization).
   */
  backwardFrom(layer: string, grad: Float32Array | GPUBuffer, options: { weightGrads?: WeightGradMode; redirectRelu?: boolean } = {}): void {
    const plan = this.requirePlan();
    if (!this.model.layers.some((l) => l.name === layer)) throw new Error(`no layer named "${layer}" in model "${this.model.name}"`);
    const weightGrads = options.weightGrads ?? 'none';
    const redirect = options.redirectRelu ?? false;
    const bp = plan.backward(layer, weightGrads, redirect);
    const bytes = this.count * shapeSize(nodeShape(this.model, layer)) * 4;
    const target = bp.grads.get(layer)!;
    const encoder = this.device.createCommandEncoder({ label: `backward from ${layer}` });
    if (grad instanceof Float32Array) {
      if (grad.length !== bytes / 4) throw new Error(`gradient at ${layer}: expected ${bytes / 4} values for ${this.count} images, got ${grad.length}`);
      this.device.queue.writeBuffer(target, 0, grad.buffer, grad.byteOffset, bytes);
    } else {
      if (grad.size < bytes) throw new Error(`gradient at ${layer}: expected ${bytes} bytes, the buffer has ${grad.size}`);
      encoder.copyBufferToBuffer(grad, 0, target, 0, bytes);
    }
    this.kernels.encode(encoder, bp.dispatches, 'backward');
    this.device.queue.submit([encoder.finish()]);
    this.dropBackward();
    this.lastBackward = { plan, key: { layer: layer, weightGrads, redirect }, values: null };
  }

  /**
   * One backward pass seeded at several layers: dF/d(layer output) given for each (GPU
   * buffers, [count, ...shape]); each seed is added to its layer's gradient once every
   * consumer has contributed, just before that layer's own backward. Starts from the last
   * seeded layer in model order; every other seeded layer must be upstream of it.
   */
  backwardFromMany(seeds: Map<string, GPUBuffer>, options: { weightGrads?: WeightGradMode; redirectRelu?: boolean } = {}): void {
    const plan = this.requirePlan();
    const order = new Map(this.model.layers.map((l, i) => [l.name, i]));
    for (const n of seeds.keys()) if (!order.has(n)) throw new Error(`no layer named "${n}" in model "${this.model.name}"`);
    if (seeds.size === 0) throw new Error('backwardFromMany needs at least one seed');
    const layers = [...seeds.keys()].sort((a, b) => order.get(a)! - order.get(b)!);
    const last = layers[layers.length - 1];
    const weightGrads = options.weightGrads ?? 'none';
    const redirect = options.redirectRelu ?? false;
    const bp = plan.backward(last, weightGrads, redirect);
    const k = this.kernels;
    const bytesOf = (n: string) => this.count * shapeSize(nodeShape(this.model, n)) * 4;
    const inserts: { at: number; d: Dispatch }[] = [];
    for (const n of layers.slice(0, -1)) {
      const at = bp.layerStarts.get(n);
      const grad = bp.grads.get(n);
      if (at === undefined || !grad) throw new Error(`layer "${n}" is not upstream of "${last}": seed them separately (backwardFrom)`);
      const seed = seeds.get(n)!;
      const count = bytesOf(n) / 4;
      if (seed.size < count * 4) throw new Error(`gradient at ${n}: expected ${count * 4} bytes, the buffer has ${seed.size}`);
      inserts.push({ at, d: k.dispatch({ label: `${n}.addSeed`, shader: 'featureviz/add', uniforms: [count], buffers: [seed, grad], threads: [count] }) });
    }
    const top = seeds.get(last)!;
    if (top.size < bytesOf(last)) throw new Error(`gradient at ${last}: expected ${bytesOf(last)} bytes, the buffer has ${top.size}`);
    const dispatches: Dispatch[] = [];
    inserts.sort((a, b) => a.at - b.at);
    let j = 0;
    bp.dispatches.forEach((d, i) => {
      while (j < inserts.length && inserts[j].at === i) dispatches.push(inserts[j++].d);
      dispatches.push(d);
    });
    const encoder = this.device.createCommandEncoder({ label: `backward from ${layers.join(', ')}` });
    encoder.copyBufferToBuffer(top, 0, bp.grads.get(last)!, 0, bytesOf(last));
    k.encode(encoder, dispatches, 'backward');
    this.device.queue.submit([encoder.finish()]);
    for (const b of k.takeOwned()) this.releaseLater(b);
    this.dropBackward();
    this.lastBackward = { plan, key: { layer: last, weightGrads, redirect }, values: null };
  }

  /** Forgets the last backward pass (its results belong to a batch no longer current). */
  private dropBackward(): void {
    if (this.lastBackward?.values) this.pool.release(this.lastBackward.values);
    this.lastBackward = null;
  }

  private releaseLater(b: GPUBuffer): void {
    // Buffers used by submitted work can be reused by later submissions (queue order).
    this.pool.release(b);
  }

  private async readBuffer(buf: GPUBuffer, bytes: number, offset = 0): Promise<Float32Array> {
    const staging = this.device.createBuffer({ label: 'readback', size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(buf, offset, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** A node's activations for the current batch: [count, ...shape]. */
  async read(node: string): Promise<Float32Array> {
    const plan = this.requirePlan();
    const buf = plan.activations.get(node);
    if (!buf) throw new Error(`no node named "${node}"`);
    return this.readBuffer(buf, this.count * shapeSize(nodeShape(this.model, node)) * 4);
  }

  private requireBackward() {
    if (!this.lastBackward || this.lastBackward.plan !== this.current) throw new Error('run backward() first');
    const { layer, weightGrads, redirect } = this.lastBackward.key;
    return this.requirePlan().backward(layer, weightGrads, redirect);
  }

  /** dF/d(node output) for the current batch (the input included); null if not upstream. */
  async readGrad(node: string): Promise<Float32Array | null> {
    const bp = this.requireBackward();
    const buf = bp.grads.get(node);
    if (!buf) return null;
    return this.readBuffer(buf, this.count * shapeSize(nodeShape(this.model, node)) * 4);
  }

  /** dF/d(param) summed over the batch, or [count, ...] per image. */
  async readParamGrad(layer: string, param: string): Promise<Float32Array> {
    const bp = this.requireBackward();
    const buf = bp.paramGrads.get(`${layer}.${param}`);
    if (!buf) throw new Error(`no gradient for ${layer}.${param} (weightGrads was "${bp.weightGrads}")`);
    const len = this.model.layers.find((l) => l.name === layer)!.params[param].length;
    return this.readBuffer(buf, len * 4 * (bp.weightGrads === 'perImage' ? this.count : 1));
  }

  /** The target's value for each image of the current batch. */
  async readTargetValues(): Promise<Float32Array> {
    this.requireBackward();
    if (!this.lastBackward!.values) throw new Error('the last backward pass started from a given gradient (backwardFrom): it has no target values');
    return this.readBuffer(this.lastBackward!.values, this.count * 4);
  }

  /** Class logits of any number of images, in batches: [count, classes]. */
  async logits(images: Float32Array, count: number): Promise<Float32Array> {
    const { channels, height, width } = this.model.input;
    const per = channels * height * width;
    const classes = this.model.classes.length;
    const out = new Float32Array(count * classes);
    for (let start = 0; start < count; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, count - start);
      this.forward(images.subarray(start * per, (start + n) * per), n);
      out.set(await this.read(this.model.output), start * classes);
    }
    return out;
  }

  /** Images in the current batch. */
  get batchSize(): number {
    return this.count;
  }

  /** The current batch's activation buffer of a node (for GPU-side consumers such as saliency). */
  activationBuffer(node: string): GPUBuffer {
    const buf = this.requirePlan().activations.get(node);
    if (!buf) throw new Error(`no node named "${node}"`);
    return buf;
  }

  /** The last backward pass's gradient buffer at a node's output, or null if not upstream. */
  gradBuffer(node: string): GPUBuffer | null {
    return this.requireBackward().grads.get(node) ?? null;
  }

  /** The last backward pass's parameter-gradient buffer (per image when so requested). */
  paramGradBuffer(layer: string, param: string): GPUBuffer | null {
    return this.requireBackward().paramGrads.get(`${layer}.${param}`) ?? null;
  }

  /** The weights a layer runs with (masked when an edge mask is set). */
  weightBuffer(layer: string): GPUBuffer {
    const b = this.params.get(layer)?.weight;
    if (!b) throw new Error(`layer "${layer}" has no weight`);
    return b;
  }

  /** A layer's own (unmasked) weights. */
  originalWeightBuffer(layer: string): GPUBuffer {
    return this.originals.get(layer) ?? this.weightBuffer(layer);
  }

  /**
   * Runs the network with edges removed: for each layer named, `mask[e]` (one value per
   * kernel: weights.length / taps entries) multiplies every weight of kernel e. Layers not
   * named run with their own weights; `null` restores every layer.
   */
  setEdgeMasks(masks: Map<string, { mask: Float32Array; taps: number }> | null): void {
    const k = this.kernels;
    const encoder = this.device.createCommandEncoder({ label: 'edge masks' });
    const dispatches: Dispatch[] = [];
    for (const [layer, original] of this.originals) {
      if (!masks?.has(layer)) encoder.copyBufferToBuffer(original, 0, this.weightBuffer(layer), 0, original.size);
    }
    for (const [layer, { mask, taps }] of masks ?? []) {
      const weights = this.model.layers.find((l) => l.name === layer)?.params.weight;
      if (!weights) throw new Error(`layer "${layer}" has no weight to mask`);
      if (mask.length * taps !== weights.length) throw new Error(`mask for "${layer}" has ${mask.length} entries, expected ${weights.length / taps}`);
      let original = this.originals.get(layer);
      if (!original) {
        const current = this.weightBuffer(layer);
        original = this.device.createBuffer({ label: `${layer}.weight.original`, size: current.size, usage: current.usage });
        this.device.queue.writeBuffer(original, 0, weights.buffer, weights.byteOffset, weights.byteLength);
        this.originals.set(layer, original);
      }
      const maskBuf = k.scratch(mask.byteLength, `${layer}.mask`);
      this.device.queue.writeBuffer(maskBuf, 0, mask.buffer, mask.byteOffset, mask.byteLength);
      dispatches.push(
        k.dispatch({
          label: `${layer}.applyMask`, shader: 'saliency/mask_weights', uniforms: [weights.length, taps],
          buffers: [original, maskBuf, this.weightBuffer(layer)], threads: [weights.length],
        }),
      );
    }
    this.device.queue.submit([encoder.finish()]);
    k.run(dispatches, 'edge masks');
    for (const b of k.takeOwned()) this.pool.release(b);
    this.repackHalfWeights(new Set([...this.originals.keys(), ...(masks?.keys() ?? [])]));
  }

  /** GPU bytes held: weights plus the pool's buffers. */
  get gpuBytes(): number {
    let w = 0;
    for (const r of this.params.values()) for (const b of Object.values(r)) w += b.size;
    for (const b of this.originals.values()) w += b.size;
    for (const b of this.halfWeights.values()) w += b.size;
    return w + this.pool.allocatedBytes;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.plans.values()) p.release();
    this.plans.clear();
    for (const r of this.params.values()) for (const b of Object.values(r)) b.destroy();
    for (const b of this.originals.values()) b.destroy();
    for (const b of this.halfWeights.values()) b.destroy();
    this.pool.trim();
    this.kernels.empty.destroy();
  }
}
