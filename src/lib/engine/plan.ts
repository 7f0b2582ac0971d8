// A plan runs one model at one batch size: it owns every node's activation buffer, the
// ops' aux buffers, and the forward dispatches with their bind groups, built once and
// replayed for every batch. Backward plans (per target layer and gradient options) hang
// off it and are cached too.

import type { Model, Layer } from '../model/types';
import { shapeSize } from '../model/types';
import type { GpuLayerBuffers } from '../ops/types';
import { opDescriptor } from '../ops/registry';
import type { Kernels, Dispatch } from './kernels';

export type WeightGradMode = 'none' | 'sum' | 'perImage';

export interface BackwardPlan {
  targetLayer: string;
  weightGrads: WeightGradMode;
  /** Whether ReLUs pass the redirected gradient (feature visualization's first steps). */
  redirectRelu: boolean;
  /** dF/d(output) buffers of the nodes upstream of the target (and the input). */
  grads: Map<string, GPUBuffer>;
  /** Parameter gradients: key "layer.param"; [batch, ...] when per image. */
  paramGrads: Map<string, GPUBuffer>;
  dispatches: Dispatch[];
  /** Index in `dispatches` where each layer's own backward begins (its gradient is complete there). */
  layerStarts: Map<string, number>;
  owned: GPUBuffer[];
}

export class Plan {
  readonly batch: number;
  readonly model: Model;
  readonly activations = new Map<string, GPUBuffer>();
  readonly layerBuffers = new Map<string, GpuLayerBuffers>();
  readonly forwardDispatches: Dispatch[];
  /** Number of forward dispatches up to and including each layer (model order). */
  readonly forwardEnds = new Map<string, number>();
  private readonly owned: GPUBuffer[] = [];
  private readonly backwards = new Map<string, BackwardPlan>();
  private readonly k: Kernels;
  private readonly paramBuffers: Map<string, Record<string, GPUBuffer>>;

  /** `halfWeights`: the f16-packed weights of layers whose conv kernels read them (precision 'fast'). */
  constructor(
    k: Kernels, model: Model, batch: number, paramBuffers: Map<string, Record<string, GPUBuffer>>,
    halfWeights: ReadonlyMap<string, GPUBuffer> = new Map(),
  ) {
    this.k = k;
    this.model = model;
    this.batch = batch;
    this.paramBuffers = paramBuffers;
    const { input } = model;
    const inBytes = batch * input.channels * input.height * input.width * 4;
    this.activations.set(input.name, this.alloc(inBytes, `${input.name}.activation`));
    const shapes = new Map<string, number[]>([[input.name, [input.channels, input.height, input.width]]]);
    for (const l of model.layers) {
      shapes.set(l.name, l.shape);
      const d = opDescriptor(l.op)!;
      const output = d.aliasesInput
        ? this.activations.get(l.inputs[0])!
        : this.alloc(batch * shapeSize(l.shape) * 4, `${l.name}.activation`);
      this.activations.set(l.name, output);
      const inputShapes = l.inputs.map((i) => shapes.get(i)!);
      const aux: Record<string, GPUBuffer> = {};
      for (const [name, perImage] of Object.entries(d.auxSizes?.(inputShapes, l.shape, l.attrs) ?? {})) {
        aux[name] = this.alloc(batch * perImage * 4, `${l.name}.${name}`);
      }
      this.layerBuffers.set(l.name, {
        name: l.name,
        batch,
        inputs: l.inputs.map((i) => this.activations.get(i)!),
        inputShapes,
        output,
        outShape: l.shape,
        params: paramBuffers.get(l.name) ?? {},
        ...(halfWeights.has(l.name) ? { halfWeight: halfWeights.get(l.name)! } : {}),
        aux,
      });
    }
    this.forwardDispatches = [];
    for (const l of model.layers) {
      this.forwardDispatches.push(...opDescriptor(l.op)!.gpuForward(k, this.layerBuffers.get(l.name)!, l.attrs));
      this.forwardEnds.set(l.name, this.forwardDispatches.length);
    }
    this.owned.push(...k.takeOwned());
  }

  private alloc(bytes: number, label: string): GPUBuffer {
    const b = this.k.pool.acquire(bytes, label);
    this.owned.push(b);
    return b;
  }

  /**
   * The backward plan from `targetLayer` to every upstream node and the input; with
   * `redirectRelu` every ReLU uses the redirected gradient (shaders/relu/activation.wgsl).
   */
  backward(targetLayer: string, weightGrads: WeightGradMode, redirectRelu = false): BackwardPlan {
    const key = `${targetLayer}|${weightGrads}|${redirectRelu ? 'redirect' : 'plain'}`;
    let bp = this.backwards.get(key);
    if (!bp) {
      bp = this.buildBackward(targetLayer, weightGrads, redirectRelu);
      this.backwards.set(key, bp);
    }
    return bp;
  }

  private buildBackward(targetLayer: string, weightGrads: WeightGradMode, redirectRelu: boolean): BackwardPlan {
    const { model, k, batch } = this;
    const byName = new Map<string, Layer>(model.layers.map((l) => [l.name, l]));
    if (!byName.has(targetLayer)) throw new Error(`no layer named "${targetLayer}" in model "${model.name}"`);
    // Nodes with a path to the target.
    const relevant = new Set<string>();
    const stack = [targetLayer];
    while (stack.length) {
      const n = stack.pop()!;
      if (relevant.has(n)) continue;
      relevant.add(n);
      for (const i of byName.get(n)?.inputs ?? []) stack.push(i);
    }
    const owned: GPUBuffer[] = [];
    const grads = new Map<string, GPUBuffer>();
    const gradOf = (name: string) => {
      let g = grads.get(name);
      if (!g) {
        const act = this.activations.get(name)!;
        g = k.pool.acquire(act.size, `${name}.grad`);
        owned.push(g);
        grads.set(name, g);
      }
      return g;
    };
    gradOf(targetLayer);
    const written = new Set<string>([targetLayer]);
    const paramGrads = new Map<string, GPUBuffer>();
    const dispatches: Dispatch[] = [];
    const order = model.layers.filter((l) => relevant.has(l.name)).reverse();
    const layerStarts = new Map<string, number>();
    for (const l of order) {
      layerStarts.set(l.name, dispatches.length);
      const d = opDescriptor(l.op)!;
      const lb = this.layerBuffers.get(l.name)!;
      const gradInputs = l.inputs.map((i) => gradOf(i));
      const accumulate = l.inputs.map((i) => written.has(i));
      // An op reading the same input twice accumulates into it after its first write.
      const seen = new Set<string>();
      l.inputs.forEach((i, j) => {
        if (seen.has(i)) accumulate[j] = true;
        seen.add(i);
      });
      const attrs = redirectRelu && opDescriptor(l.op)?.redirectsGradient ? { ...l.attrs, redirect: true } : l.attrs;
      dispatches.push(...d.gpuBackward(k, { ...lb, gradOutput: grads.get(l.name)!, gradInputs, accumulate }, attrs));
      l.inputs.forEach((i) => written.add(i));
      const wanted = weightGrads === 'sum' || (weightGrads === 'perImage' && d.perImageWeightGrads);
      if (wanted && d.gpuWeightGrads && Object.keys(lb.params).length > 0) {
        const gp: Record<string, GPUBuffer> = {};
        for (const [p, buf] of Object.entries(lb.params)) {
          if (p === 'runningMean' || p === 'runningVar') continue;
          const g = k.pool.acquire(buf.size * (weightGrads === 'perImage' ? batch : 1), `${l.name}.${p}.grad`);
          owned.push(g);
          gp[p] = g;
          paramGrads.set(`${l.name}.${p}`, g);
        }
        dispatches.push(
          ...d.gpuWeightGrads(k, { ...lb, gradOutput: grads.get(l.name)!, gradParams: gp, perImage: weightGrads === 'perImage' }, l.attrs),
        );
      }
    }
    owned.push(...k.takeOwned());
    return { targetLayer, weightGrads, redirectRelu, grads, paramGrads, dispatches, layerStarts, owned };
  }

  /** Bytes of GPU memory this plan holds (activations, aux, cached backward plans). */
  get bytes(): number {
    let b = 0;
    for (const x of this.owned) b += x.size;
    for (const bp of this.backwards.values()) for (const x of bp.owned) b += x.size;
    return b;
  }

  release(): void {
    for (const b of this.owned) this.k.pool.release(b);
    for (const bp of this.backwards.values()) for (const b of bp.owned) this.k.pool.release(b);
    this.owned.length = 0;
    this.backwards.clear();
  }
}
