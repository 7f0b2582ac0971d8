// Scores every edge (kernel) and node of a model for a target over an image set, on the
// GPU: images stream through in batches, per-edge reductions are computed without storing
// any edge's map, scores accumulate in GPU buffers and are read back once at the end.
// Definitions: docs/saliency.md.

import type { Engine } from '../engine/engine';
import type { Dispatch } from '../engine/kernels';
import { targetLayer, type Target } from '../engine/targets';
import { buildGraph } from '../graph/build';
import type { KernelLayer, ModelGraph } from '../graph/types';
import { prunableEdges, relevantEdges } from './relevance';
import { keepCount, topEdges } from './ranking';
import type { ImageStream } from './imageStream';
import { actgradEdgeDispatches, actgradShapeOf } from './actgradEdges';

import type { Criterion } from './criteria';

export { CRITERIA, type Criterion } from './criteria';

export interface Scores {
  criterion: Criterion;
  /** One score per graph edge (kernels; junction edges 0), see KernelLayer.edgeStart. */
  edges: Float32Array;
  /** Node scores per kernel layer. */
  nodes: Map<string, Float32Array>;
  /** 1 for kernels on a path to the target. */
  relevant: Uint8Array;
  images: number;
  /** FORCE: kernels kept after each of its steps. */
  schedule?: number[];
}

/** The random criterion's seed when a query names none (the microscope's queries never do). */
export const DEFAULT_SEED = 1;

export interface QueryOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Seed of the random criterion (default DEFAULT_SEED). */
  seed?: number;
  /** Keep fraction FORCE prunes towards. */
  keep?: number;
  /** FORCE prunes linear layers' kernels too (default: convolution kernels only). */
  linear?: boolean;
  /** Images per batch (default: the engine's maximum). */
  batchSize?: number;
  /**
   * Images of the first batch, when fewer than batchSize (the rest follow in full batches): a
   * small first batch brings the first partial report sooner. The batches, and so the order of
   * summation, depend only on these two options, never on whether partials are reported.
   */
  firstBatch?: number;
  /**
   * Provisional scores while images stream: after the first batch, then at most every
   * `partialIntervalMs`, a read-back snapshot of the running sums over the images done so far
   * (actgrad, actgrad-mean and snip; the final scores are computed exactly as without it).
   */
  onPartial?: (scores: Scores, done: number, total: number) => unknown;
  /** Least time between two partial reports, ms (default 1000). */
  partialIntervalMs?: number;
}

export class QueryCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'QueryCancelled';
  }
}

function checkCancelled(signal?: AbortSignal) {
  if (signal?.aborted) throw new QueryCancelled();
}

/** The graph of the engine's model (built once per model). */
export function graphOf(engine: Engine): ModelGraph {
  return buildGraph(engine.model);
}

/** Mulberry32: the seeded generator of the random criterion. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LayerAccumulators {
  layer: KernelLayer;
  edges: GPUBuffer;
  nodes: GPUBuffer;
}

function actgradEdgeLayerDispatches(engine: Engine, s: KernelLayer, target: GPUBuffer): Dispatch[] {
  const layer = engine.model.layers[s.modelLayer];
  const shape = actgradShapeOf(s, engine.batchSize);
  const bufs = { x: engine.activationBuffer(layer.inputs[0]), w: engine.weightBuffer(s.name), g: engine.gradBuffer(s.name)!, target };
  return actgradEdgeDispatches(engine.kernels, shape, bufs, s.name);
}

function weightEdgeDispatch(engine: Engine, s: KernelLayer, mode: number, target: GPUBuffer, grads: GPUBuffer | null): Dispatch {
  const edges = s.rows * s.cols;
  return engine.kernels.dispatch({
    label: `${s.name}.weightEdges`, shader: 'saliency/weight_edges', defines: { MODE: `${mode}u` },
    uniforms: [edges, s.taps, grads ? engine.batchSize : 0, s.outMap[1] * s.outMap[2], mode === 2 ? 0 : 1],
    buffers: [engine.originalWeightBuffer(s.name), grads ?? engine.kernels.empty, target],
    threads: [edges],
  });
}

function nodeDispatch(engine: Engine, s: KernelLayer, absInside: boolean, target: GPUBuffer): Dispatch | null {
  const dh = engine.gradBuffer(s.mapNode);
  if (!dh) return null;
  const shape = engine.model.layers.find((l) => l.name === s.mapNode)!.shape;
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  return engine.kernels.dispatch({
    label: `${s.name}.nodeScores`, shader: 'saliency/node_maps', defines: { ABS_INSIDE: absInside },
    uniforms: [engine.batchSize, s.rows, plane, 1],
    buffers: [engine.activationBuffer(s.mapNode), dh, target],
    threads: [s.rows * 64],
  });
}

async function readAll(engine: Engine, bufs: LayerAccumulators[]): Promise<{ edges: Float32Array[]; nodes: Float32Array[] }> {
  const device = engine.device;
  const total = bufs.reduce((a, b) => a + b.layer.rows * b.layer.cols + b.layer.rows, 0);
  const staging = device.createBuffer({ label: 'scores.readback', size: Math.max(16, total * 4), usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder({ label: 'scores.readback' });
  let off = 0;
  for (const b of bufs) {
    const e = b.layer.rows * b.layer.cols * 4;
    enc.copyBufferToBuffer(b.edges, 0, staging, off, e);
    off += e;
    enc.copyBufferToBuffer(b.nodes, 0, staging, off, b.layer.rows * 4);
    off += b.layer.rows * 4;
  }
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const all = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  const edges: Float32Array[] = [];
  const nodes: Float32Array[] = [];
  off = 0;
  for (const b of bufs) {
    edges.push(all.slice(off, off + b.layer.rows * b.layer.cols));
    off += b.layer.rows * b.layer.cols;
    nodes.push(all.slice(off, off + b.layer.rows));
    off += b.layer.rows;
  }
  return { edges, nodes };
}

/** Scores of a gradient criterion (actgrad, actgrad-mean, snip) summed over the set, divided by d. */
async function gradientScores(
  engine: Engine, target: Target, set: ImageStream, criterion: Criterion, g: ModelGraph, opts: QueryOptions,
  onSnapshot?: (parts: { edges: Float32Array[]; nodes: Float32Array[] }, done: number) => unknown,
) {
  const k = engine.kernels;
  const accs: LayerAccumulators[] = g.kernelLayers.map((layer) => {
    const edges = engine.pool.acquire(layer.rows * layer.cols * 4, `${layer.name}.edgeScores`);
    const nodes = engine.pool.acquire(layer.rows * 4, `${layer.name}.nodeScores`);
    return { layer, edges, nodes };
  });
  const zero = engine.device.createCommandEncoder({ label: 'scores.clear' });
  for (const a of accs) {
    zero.clearBuffer(a.edges);
    zero.clearBuffer(a.nodes);
  }
  engine.device.queue.submit([zero.finish()]);
  const batchSize = Math.min(opts.batchSize ?? engine.maxBatch, engine.maxBatch);
  const perImage = criterion === 'snip' || criterion === 'actgrad-mean';
  const snapshots = new SnapshotClock(opts.partialIntervalMs ?? 1000);
  try {
    const first = Math.max(1, Math.min(batchSize, opts.firstBatch ?? batchSize));
    for (let start = 0; start < set.count; start += start === 0 ? first : batchSize) {
      checkCancelled(opts.signal);
      const n = Math.min(start === 0 ? first : batchSize, set.count - start);
      engine.forward(set.images(start, n), n, targetLayer(target, engine.model.output));
      const labels = set.labels ? Array.from({ length: n }, (_, i) => set.labels![start + i]) : undefined;
      engine.backward(target, { labels, weightGrads: perImage ? 'perImage' : 'none' });
      const dispatches: Dispatch[] = [];
      for (const a of accs) {
        if (!engine.gradBuffer(a.layer.name)) continue;
        if (criterion === 'actgrad') dispatches.push(...actgradEdgeLayerDispatches(engine, a.layer, a.edges));
        else dispatches.push(weightEdgeDispatch(engine, a.layer, criterion === 'snip' ? 0 : 1, a.edges, engine.paramGradBuffer(a.layer.name, 'weight')));
        if (criterion === 'actgrad' || criterion === 'actgrad-mean') {
          const d = nodeDispatch(engine, a.layer, criterion === 'actgrad', a.nodes);
          if (d) dispatches.push(d);
        }
      }
      k.run(dispatches, `scores ${start}`);
      for (const b of k.takeOwned()) engine.pool.release(b);
      // Wait for the batch so progress is honest and work does not pile up.
      await engine.device.queue.onSubmittedWorkDone();
      opts.onProgress?.(start + n, set.count);
      if (onSnapshot && start + n < set.count && snapshots.due()) await onSnapshot(await readAll(engine, accs), start + n);
    }
    return await readAll(engine, accs);
  } finally {
    for (const a of accs) {
      engine.pool.release(a.edges);
      engine.pool.release(a.nodes);
    }
  }
}

/** When a partial snapshot is due: the first time asked, then once `intervalMs` has passed since the last. */
class SnapshotClock {
  private last = -Infinity;
  constructor(private readonly intervalMs: number) {}

  due(): boolean {
    const t = performance.now();
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}

async function magnitudeScores(engine: Engine, g: ModelGraph) {
  const k = engine.kernels;
  const accs = g.kernelLayers.map((layer) => ({
    layer,
    edges: engine.pool.acquire(layer.rows * layer.cols * 4, `${layer.name}.edgeScores`),
    nodes: engine.pool.acquire(layer.rows * 4, `${layer.name}.nodeScores`),
  }));
  k.run(accs.map((a) => {
    const d = weightEdgeDispatch(engine, a.layer, 2, a.edges, null);
    return d;
  }));
  // Magnitude does not accumulate: the shader's accumulate flag reads the cleared buffer.
  for (const b of k.takeOwned()) engine.pool.release(b);
  try {
    return await readAll(engine, accs);
  } finally {
    for (const a of accs) {
      engine.pool.release(a.edges);
      engine.pool.release(a.nodes);
    }
  }
}

function assemble(criterion: Criterion, g: ModelGraph, relevant: Uint8Array, parts: { edges: Float32Array[]; nodes: Float32Array[] }, d: number, useNodeMaps: boolean): Scores {
  const edges = new Float32Array(g.edgeCount);
  const nodes = new Map<string, Float32Array>();
  g.kernelLayers.forEach((s, li) => {
    const e = parts.edges[li];
    // actgrad's shader sums over positions; the mean over the layer's m positions is taken here.
    const scale = criterion === 'actgrad' ? d * s.outMap[1] * s.outMap[2] : d;
    for (let t = 0; t < e.length; t++) edges[s.edgeStart + t] = relevant[s.edgeStart + t] ? e[t] / scale : 0;
    const n = new Float32Array(s.rows);
    if (useNodeMaps) {
      for (let o = 0; o < s.rows; o++) n[o] = parts.nodes[li][o] / d;
    } else {
      // Weight-based criteria: a node scores the mean of its incoming kernels, so layers of different width compare.
      for (let o = 0; o < s.rows; o++) {
        let sum = 0;
        for (let j = 0; j < s.cols; j++) sum += edges[s.edgeStart + o * s.cols + j];
        n[o] = sum / s.cols;
      }
    }
    nodes.set(s.name, n);
  });
  return { criterion, edges, nodes, relevant, images: d };
}


/**
 * FORCE: iterative SNIP with the current mask applied, pruned kernels free to come back. Step t
 * keeps k_t = ceil(exp((t/T) log k + (1 - t/T) log N)) of the N relevant prunable kernels.
 */
async function forceScores(engine: Engine, target: Target, set: ImageStream, g: ModelGraph, relevant: Uint8Array, opts: QueryOptions): Promise<Scores> {
  const keep = opts.keep ?? 0.1;
  if (!(keep > 0 && keep <= 1)) throw new Error(`FORCE needs a keep fraction in (0, 1], got ${keep}`);
  const prunable = prunableEdges(g, relevant, !!opts.linear);
  const N = prunable.reduce((a, v) => a + v, 0);
  const k = keepCount(keep, N);
  const T = 10;
  const mask = new Float32Array(g.edgeCount).fill(1);
  const schedule: number[] = [];
  let scores: Scores | null = null;
  try {
    for (let t = 1; t <= T; t++) {
      const step = await gradientScores(engine, target, set, 'snip', g, {
        ...opts,
        onProgress: (done, total) => opts.onProgress?.((t - 1) * total + done, T * total),
      });
      scores = assemble('force', g, relevant, step, set.count, false);
      const kt = Math.min(N, Math.max(1, Math.ceil(Math.exp((t / T) * Math.log(k) + (1 - t / T) * Math.log(N)) - 1e-9)));
      schedule.push(kt);
      const top = topEdges(scores.edges, prunable, kt);
      for (let e = 0; e < mask.length; e++) if (prunable[e]) mask[e] = 0;
      for (const e of top) mask[e] = 1;
      if (t < T) engine.setEdgeMasks(layerMasks(g, mask));
    }
  } finally {
    engine.setEdgeMasks(null);
  }
  return { ...scores!, schedule };
}

/** Per-layer views of a global edge mask, in the form Engine.setEdgeMasks takes. */
export function layerMasks(g: ModelGraph, mask: Float32Array | Uint8Array): Map<string, { mask: Float32Array; taps: number }> {
  const out = new Map<string, { mask: Float32Array; taps: number }>();
  for (const s of g.kernelLayers) {
    out.set(s.name, { mask: Float32Array.from(mask.subarray(s.edgeStart, s.edgeStart + s.rows * s.cols)), taps: s.taps });
  }
  return out;
}

/** Edge and node scores of `criterion` for `target` over `set`. */
export async function computeScores(engine: Engine, target: Target, set: ImageStream, criterion: Criterion, opts: QueryOptions = {}): Promise<Scores> {
  const g = graphOf(engine);
  const relevant = relevantEdges(engine.model, g, target);
  const needsImages = criterion !== 'magnitude' && criterion !== 'random';
  if (needsImages && set.count === 0) throw new Error(`the image set "${set.label}" is empty`);
  if (target.kind === 'loss' && needsImages && !set.labels) throw new Error('the loss target needs labelled images');
  switch (criterion) {
    case 'actgrad':
    case 'actgrad-mean':
    case 'snip': {
      const nodeMaps = criterion !== 'snip';
      // A snapshot is the running sums divided by the images done so far: the mean over those images.
      const snapshot = opts.onPartial
        ? (parts: { edges: Float32Array[]; nodes: Float32Array[] }, done: number) => opts.onPartial!(assemble(criterion, g, relevant, parts, done, nodeMaps), done, set.count)
        : undefined;
      return assemble(criterion, g, relevant, await gradientScores(engine, target, set, criterion, g, opts, snapshot), set.count, nodeMaps);
    }
    case 'force':
      return forceScores(engine, target, set, g, relevant, opts);
    case 'magnitude':
      return assemble(criterion, g, relevant, await magnitudeScores(engine, g), 1, false);
    case 'random': {
      const r = seededUniform(opts.seed ?? DEFAULT_SEED);
      const edges = g.kernelLayers.map((s) => Float32Array.from({ length: s.rows * s.cols }, () => r()));
      return assemble(criterion, g, relevant, { edges, nodes: g.kernelLayers.map((s) => new Float32Array(s.rows)) }, 1, false);
    }
  }
}
