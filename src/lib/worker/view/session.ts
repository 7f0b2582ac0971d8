// The microscope view's logic for one loaded model, free of Comlink and of the page: circuit
// queries with cached scores, node and edge inspection, ablation, preservation and layouts.
// The worker wraps it; tests drive it in Node with a real GPU device.

import type { Engine } from '../../engine/engine';
import type { Target } from '../../engine/targets';
import { nodeShape, shapeSize, type Model } from '../../model/types';
import { buildGraph, edgeWeights, type CircuitGraph } from '../../graph/build';
import { gridLayout, mdsLayout, sortedLayout } from '../../graph/layout';
import type { ImageSet as StoredImages } from '../../images/imageSet';
import { pixelImageSet, type ImageSet as ScoringSet } from '../../circuits/imageSet';
import { channelGraphOf, computeScores, layerMasks, CRITERIA, type Scores } from '../../circuits/saliency';
import { extractCircuit, type Circuit } from '../../circuits/circuit';
import { combineScores } from '../../circuits/contrast';
import { mapNodeOf } from '../../circuits/scoredLayers';
import { targetValues, compareValues } from '../../circuits/preservation';
import { buildGraphIndex, incomingEdges, kernelsToEdges, removalMask, type GraphIndex } from '../../circuits/graphIndex';
import {
  canonicalSet, canonicalTarget, imagesLabel, parseImages, parseTarget, setLabel, targetLabel, QuerySpecError,
  type ImageSetSpec, type ImageTerm,
} from '../../circuits/querySpec';
import { softmaxRows } from '../scores';
import type {
  AblationRequest, AblationResult, CircuitQuery, CircuitResult, EdgeInspection, ImageRef, KernelData, Layout, MapData,
  NodeInspection, PreservationResult,
} from '../protocol';
import { circuitInGraphOrder } from './circuitMap';
import { channelPlane, edgePreSum, kernelData, mapData, runDot } from './maps';
import { Lru } from './lru';

/** How a long call reports progress and learns it was cancelled. */
export interface RunOptions {
  signal?: AbortSignal;
  progress?: (phase: string, done: number, total: number) => void;
}

export interface SessionOptions {
  /** Scores kept in memory, one entry per (target, image set term, criterion). Default 16. */
  scoreCacheSize?: number;
  /** Scoring images per class for Class MDS (default 10: ten classes score in seconds). */
  mdsImagesPerClass?: number;
}

/** A circuit cut from (possibly cached) scores. */
interface CutCircuit {
  target: Target;
  terms: ImageTerm[];
  scores: Scores;
  circuit: Circuit;
  imageCount: number;
  cached: boolean;
}

interface CurrentImage {
  key: string;
  pixels: Float32Array;
  label: number | null;
  maps: Map<string, Float32Array>;
}

const now = () => performance.now();
const formatCount = (n: number) => n.toLocaleString('en-US');

export class MicroscopeSession {
  readonly graph: CircuitGraph;
  readonly index: GraphIndex;
  private readonly scoreCache: Lru<string, Scores>;
  private readonly originalValues = new Lru<string, Float64Array>(4);
  private readonly mdsImagesPerClass: number;
  private classImportance: { values: Float32Array; edges: Float32Array } | null = null;
  private current: CurrentImage | null = null;

  constructor(
    readonly engine: Engine,
    readonly images: StoredImages | null,
    options: SessionOptions = {},
  ) {
    const m = engine.model;
    if (images && (images.channels !== m.input.channels || images.height !== m.input.height || images.width !== m.input.width)) {
      throw new Error(
        `the image set has ${images.channels}x${images.height}x${images.width} images, the model "${m.name}" takes ${m.input.channels}x${m.input.height}x${m.input.width}`,
      );
    }
    this.graph = buildGraph(m);
    this.index = buildGraphIndex(m, this.graph, channelGraphOf(engine));
    this.scoreCache = new Lru(options.scoreCacheSize ?? 16);
    this.mdsImagesPerClass = options.mdsImagesPerClass ?? 10;
  }

  get model(): Model {
    return this.engine.model;
  }

  // ----------------------------------------------------------------- image sets

  private requireImages(why: string): StoredImages {
    if (!this.images) throw new QuerySpecError('images', `${why} needs the model's image set, and model "${this.model.name}" has none (images.json)`);
    return this.images;
  }

  /** Image indices of a split, or every image when the set has no such split. */
  splitIndices(split: 'scoring' | 'evaluation'): number[] {
    const images = this.requireImages(`the ${split} split`);
    const s = images.splits[split];
    return s && s.length ? s : Array.from({ length: images.count }, (_, i) => i);
  }

  private indicesOf(set: ImageSetSpec, split: 'scoring' | 'evaluation'): number[] {
    const images = this.requireImages('an image set');
    if (set.kind === 'image') return [set.index];
    const pool = this.splitIndices(split);
    return set.kind === 'all' ? pool : pool.filter((i) => images.labels[i] === set.class);
  }

  private scoringSet(set: ImageSetSpec, indices: number[]): ScoringSet {
    const images = this.requireImages('an image set');
    const label = `${setLabel(set, this.model.classes)} (${formatCount(indices.length)} images)`;
    return pixelImageSet(label, this.model.input, images.pixels, indices, images.labels);
  }

  // ----------------------------------------------------------------- circuits

  private checkQuery(query: CircuitQuery): void {
    if (!query || typeof query !== 'object') throw new Error('the circuit query is missing');
    if (!(CRITERIA as string[]).includes(query.criterion)) throw new Error(`criterion "${String(query.criterion)}": expected one of ${CRITERIA.join(', ')}`);
    const cut = query.cut;
    if (!cut || (cut.kind !== 'keep' && cut.kind !== 'threshold')) throw new Error('the cut must be {kind: "keep" | "threshold", value}');
    if (cut.kind === 'keep' && !(cut.value > 0 && cut.value <= 1)) throw new Error(`keep ${cut.value}: expected a fraction in (0, 1]`);
    if (cut.kind === 'threshold' && !(cut.value >= 0 && cut.value <= 1)) throw new Error(`threshold ${cut.value}: expected a normalized score in [0, 1]`);
  }

  /** Scores of one term, from the cache or computed (the flag says which). */
  private async termScores(target: Target, term: ImageTerm, query: CircuitQuery, step: string, opts: RunOptions): Promise<{ scores: Scores; cached: boolean; count: number }> {
    const forceKeep = query.criterion === 'force' ? (query.cut.kind === 'keep' ? query.cut.value : 0.1) : null;
    const key = [this.model.name, query.criterion, canonicalTarget(target), canonicalSet(term.set), forceKeep ?? ''].join('|');
    const indices = this.indicesOf(term.set, 'scoring');
    const hit = this.scoreCache.get(key);
    if (hit) return { scores: hit, cached: true, count: indices.length };
    const set = this.scoringSet(term.set, indices);
    const needsImages = query.criterion !== 'magnitude' && query.criterion !== 'random';
    if (needsImages && set.count === 0) throw new QuerySpecError('images', `image set "${setLabel(term.set, this.model.classes)}" has no scoring images`);
    const phase = `Scoring ${set.label}${step}`;
    opts.progress?.(phase, 0, set.count);
    const scores = await computeScores(this.engine, target, set, query.criterion, {
      signal: opts.signal,
      keep: forceKeep ?? undefined,
      onProgress: (done, total) => opts.progress?.(phase, done, total),
    });
    this.scoreCache.set(key, scores);
    return { scores, cached: false, count: indices.length };
  }

  private async cutCircuit(query: CircuitQuery, opts: RunOptions): Promise<CutCircuit> {
    this.checkQuery(query);
    const model = this.model;
    const target = parseTarget(query.target, model);
    const terms = parseImages(query.images, model.classes, this.images?.count ?? 0);
    const parts: { weight: number; scores: Scores }[] = [];
    let cached = true;
    let imageCount = 0;
    for (const [i, term] of terms.entries()) {
      const step = terms.length > 1 ? ` (${i + 1} of ${terms.length})` : '';
      const r = await this.termScores(target, term, query, step, opts);
      parts.push({ weight: term.weight, scores: r.scores });
      cached &&= r.cached;
      imageCount += r.count;
    }
    const scores = combineTerms(parts);
    const cut = query.cut.kind === 'keep' ? { keep: query.cut.value } : { threshold: query.cut.value };
    const circuit = extractCircuit(model, this.index.channels, target, scores, { ...cut, perLayer: !!query.perLayer });
    return { target, terms, scores, circuit, imageCount, cached };
  }

  /** Scores (cached per target, set and criterion) and cuts a circuit, in graph order. */
  async circuit(query: CircuitQuery, opts: RunOptions = {}): Promise<CircuitResult> {
    const t0 = now();
    const c = await this.cutCircuit(query, opts);
    const mapped = circuitInGraphOrder(this.model, this.index, c.target, c.scores, c.circuit, !!query.perLayer);
    return {
      query: structuredClone(query),
      targetLabel: targetLabel(c.target, this.model.classes),
      imagesLabel: `${imagesLabel(c.terms, this.model.classes)} (${formatCount(c.imageCount)} images)`,
      imageCount: c.imageCount,
      ...mapped,
      kernelsKept: c.circuit.kernelsKept,
      kernelsRelevant: c.circuit.kernelsRelevant,
      sparsity: c.circuit.sparsity,
      layers: c.circuit.layers,
      ms: c.cached ? 0 : now() - t0,
      cached: c.cached,
      emptyReason: c.circuit.kernelsKept === 0 ? this.whyEmpty(query, c) : null,
    };
  }

  /** Words for an empty circuit: the first layer on the way that the cut left without kernels. */
  private whyEmpty(query: CircuitQuery, c: CutCircuit): string {
    const cut = query.cut.kind === 'keep' ? { keep: query.cut.value } : { threshold: query.cut.value };
    const raw = extractCircuit(this.model, this.index.channels, c.target, c.scores, { ...cut, perLayer: !!query.perLayer, effective: false });
    const what = query.cut.kind === 'keep' ? `the top ${+(query.cut.value * 100).toFixed(3)}% of kernels` : `the kernels scoring at least ${query.cut.value}`;
    const hint = query.perLayer ? 'keep more kernels' : 'keep more kernels, or normalize scores per layer';
    const gap = raw.layers.find((l) => l.kernelsRelevant > 0 && l.kernelsKept === 0);
    if (gap) return `${what} include no kernel of ${gap.layer}, so no path from the input reaches the target: ${hint}.`;
    return `${what} include kernels of every layer on the way, but they do not join into a path from the input to the target: ${hint}.`;
  }

  /** The kernel mask (channel-graph order) of a query's circuit, for masked runs. */
  async circuitMask(query: CircuitQuery, opts: RunOptions = {}): Promise<{ target: Target; kept: Uint8Array }> {
    const c = await this.cutCircuit(query, opts);
    return { target: c.target, kept: c.circuit.kept };
  }

  /** Preservation of the circuit's target on the evaluation images. */
  async preservation(query: CircuitQuery, opts: RunOptions = {}): Promise<PreservationResult> {
    const c = await this.cutCircuit(query, opts);
    const indices = this.splitIndices('evaluation');
    const set = this.scoringSet({ kind: 'all' }, indices);
    const key = canonicalTarget(c.target);
    let original = this.originalValues.get(key);
    if (!original) {
      original = await targetValues(this.engine, c.target, set, {
        signal: opts.signal, onProgress: (d, t) => opts.progress?.('Full network on the evaluation images', d, t),
      });
      this.originalValues.set(key, original);
    }
    this.engine.setEdgeMasks(layerMasks(this.index.channels, c.circuit.kept));
    let masked: Float64Array;
    try {
      masked = await targetValues(this.engine, c.target, set, {
        signal: opts.signal, onProgress: (d, t) => opts.progress?.('Circuit on the evaluation images', d, t),
      });
    } finally {
      this.engine.setEdgeMasks(null);
    }
    const p = compareValues(original, masked);
    return { r: p.r, meanAbsDiffOverStd: p.meanAbsDiffOverStd, collapsed: p.collapsed, images: set.count };
  }

  // ----------------------------------------------------------------- one image

  /** The normalized pixels (and label) of an image reference; a clear error for bad ones. */
  imageOf(ref: ImageRef): { key: string; pixels: Float32Array; label: number | null } {
    const { channels, height, width, mean, std } = this.model.input;
    const per = channels * height * width;
    if (ref?.kind === 'set') {
      const images = this.requireImages('an image from the set');
      if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= images.count) {
        throw new RangeError(`image ${ref.index} does not exist: the set has ${images.count} images (0..${images.count - 1})`);
      }
      const raw = images.pixels.subarray(ref.index * per, (ref.index + 1) * per);
      const pixels = new Float32Array(per);
      const plane = height * width;
      for (let t = 0; t < per; t++) {
        const c = Math.floor(t / plane);
        pixels[t] = (raw[t] / 255 - mean[c]) / std[c];
      }
      return { key: `set:${ref.index}`, pixels, label: images.labels[ref.index] };
    }
    if (ref?.kind === 'custom') {
      const p = ref.pixels;
      if (!(p instanceof Float32Array) || p.length !== per) {
        throw new RangeError(`a custom image must be ${channels}x${height}x${width} = ${per} normalized values, got ${p instanceof Float32Array ? p.length : typeof p}`);
      }
      let hash = 2166136261;
      const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
      for (let i = 0; i < bits.length; i++) {
        if (!Number.isFinite(p[i])) throw new RangeError(`a custom image has a non-finite value at ${i}`);
        hash = Math.imul(hash ^ bits[i], 16777619) >>> 0;
      }
      return { key: `custom:${hash.toString(16)}:${p.length}`, pixels: Float32Array.from(p), label: null };
    }
    throw new TypeError('an image is {kind: "set", index} or {kind: "custom", pixels}');
  }

  /** One image's activations at the given nodes; the current image's read-backs are kept. */
  private async activations(ref: ImageRef, nodes: string[]): Promise<Map<string, Float32Array>> {
    const img = this.imageOf(ref);
    if (this.current?.key !== img.key) this.current = { ...img, maps: new Map() };
    const cur = this.current;
    const missing = [...new Set(nodes)].filter((n) => !cur.maps.has(n));
    if (missing.length) {
      if (missing.includes(this.model.input.name)) cur.maps.set(this.model.input.name, cur.pixels);
      const rest = missing.filter((n) => n !== this.model.input.name);
      if (rest.length) {
        this.engine.forward(cur.pixels, 1);
        for (const n of rest) cur.maps.set(n, await this.engine.read(n));
      }
    }
    return new Map(nodes.map((n) => [n, cur.maps.get(n)!]));
  }

  checkNode(node: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.graph.nodeCount) throw new RangeError(`node ${node} does not exist (the graph has ${this.graph.nodeCount} nodes)`);
  }

  checkEdge(edge: number): void {
    if (!Number.isInteger(edge) || edge < 0 || edge >= this.graph.edgeCount) throw new RangeError(`edge ${edge} does not exist (the graph has ${this.graph.edgeCount} edges)`);
  }

  /** The model node whose output shows a graph node (after its nonlinearity), and its channel. */
  nodeMapSource(node: number): { name: string; channel: number } {
    const gl = this.graph.layers[this.graph.nodeLayer[node]];
    const channel = this.graph.nodeChannel[node];
    if (gl.op === 'input') return { name: this.model.input.name, channel };
    return { name: mapNodeOf(this.model, gl.name), channel };
  }

  private nodeLabel(node: number): string {
    const gl = this.graph.layers[this.graph.nodeLayer[node]];
    const c = this.graph.nodeChannel[node];
    if (gl.modelLayer >= 0 && this.model.layers[gl.modelLayer].name === this.model.output) return this.model.classes[c] ?? `${gl.name}:${c}`;
    return `${gl.name}:${c}`;
  }

  private planeOf(values: Map<string, Float32Array>, name: string, channel: number): MapData {
    const p = channelPlane(values.get(name)!, nodeShape(this.model, name), channel);
    return mapData(p.data, p.height, p.width, name);
  }

  /** The weights of a graph edge shaped for display. */
  kernelOf(edge: number): KernelData {
    const gl = this.graph.layers[this.graph.edgeLayer[edge]];
    const w = edgeWeights(this.model, this.graph, edge);
    if (gl.op === 'conv2d') {
      const s = this.model.layers[gl.modelLayer].paramShapes.weight;
      return kernelData(w, s[2], s[3]);
    }
    if (gl.op === 'linear') {
      const s = this.index.scoredOfLayer[this.graph.edgeLayer[edge]]!;
      return w.length === s.taps ? kernelData(w, s.inMap[1], s.inMap[2]) : kernelData(w, 1, w.length);
    }
    return kernelData(w, 1, 1);
  }

  async inspectNode(node: number, image: ImageRef): Promise<NodeInspection> {
    this.checkNode(node);
    const src = this.nodeMapSource(node);
    const values = await this.activations(image, [src.name]);
    const map = this.planeOf(values, src.name, src.channel);
    let sum = 0;
    for (const v of map.data) sum += v;
    const incoming = [...incomingEdges(this.index, node)].map((e) => ({ edge: e, source: this.graph.edgeSource[e], kernel: this.kernelOf(e) }));
    return {
      node,
      layer: this.graph.layers[this.graph.nodeLayer[node]].name,
      channel: this.graph.nodeChannel[node],
      label: this.nodeLabel(node),
      map,
      mean: map.data.length ? sum / map.data.length : 0,
      incoming,
    };
  }

  /**
   * An edge on one image: the map the kernel reads (the layer's actual input channel, e.g.
   * the pooled map), its pre-sum contribution, and the target node's map.
   */
  async inspectEdge(edge: number, image: ImageRef): Promise<EdgeInspection> {
    this.checkEdge(edge);
    const { graph, model } = this;
    const gl = graph.layers[graph.edgeLayer[edge]];
    const layer = model.layers[gl.modelLayer];
    const o = graph.edgeOut[edge];
    const i = graph.edgeIn[edge];
    const target = graph.edgeTarget[edge];
    const out = this.nodeMapSource(target);
    const kernel = this.kernelOf(edge);
    let input: MapData;
    let preSum: MapData;
    if (gl.op === 'conv2d') {
      const s = this.index.scoredOfLayer[graph.edgeLayer[edge]]!;
      const inName = layer.inputs[0];
      const channel = Math.floor(o / (s.rows / s.groups)) * s.cols + i;
      const values = await this.activations(image, [inName, out.name]);
      input = this.planeOf(values, inName, channel);
      const data = edgePreSum(input.data, input.height, input.width, kernel.weights, s.geometry, s.outMap[1], s.outMap[2]);
      preSum = mapData(data, s.outMap[1], s.outMap[2], layer.name);
      return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
    }
    if (gl.op === 'linear') {
      const s = this.index.scoredOfLayer[graph.edgeLayer[edge]]!;
      const inName = layer.inputs[0];
      const values = await this.activations(image, [inName, out.name]);
      const a = gl.inputStarts![i];
      const b = gl.inputStarts![i + 1];
      const run = values.get(inName)!.slice(a, b);
      const shaped = run.length === s.taps ? [s.inMap[1], s.inMap[2]] : [1, run.length];
      input = mapData(run, shaped[0], shaped[1], run.length === s.taps ? linearSourceNode(model, inName) : inName);
      preSum = mapData(new Float32Array([runDot(kernel.weights, run)]), 1, 1, layer.name);
      return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
    }
    // An add junction: the addend passes through unchanged.
    const addend = layer.inputs[i];
    const values = await this.activations(image, [addend, out.name]);
    input = this.planeOf(values, addend, o);
    preSum = mapData(input.data.slice(), input.height, input.width, layer.name);
    return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
  }

  // ----------------------------------------------------------------- ablation

  /** Logits and the target layer's output for one image through the network as masked now. */
  private async run(pixels: Float32Array, layer: string): Promise<{ logits: Float32Array; y: Float32Array }> {
    this.engine.forward(pixels, 1);
    const logits = await this.engine.read(this.model.output);
    return { logits, y: layer === this.model.output ? logits : await this.engine.read(layer) };
  }

  /**
   * Removes kernels (and every kernel into removed nodes), runs the image, restores the
   * network. A custom image has no label: the loss is taken against the full network's class.
   */
  async ablate(request: AblationRequest): Promise<AblationResult> {
    const model = this.model;
    const target = parseTarget(request?.target, model);
    const mask = removalMask(this.index, request.removedEdges ?? [], request.removedNodes ?? []);
    const img = this.imageOf(request.image);
    const classes = model.classes.length;
    const layer = 'layer' in target ? target.layer : model.output;
    const shape = nodeShape(model, layer);
    const before = await this.run(img.pixels, layer);
    let label = img.label;
    if (label === null) {
      label = 0;
      for (let c = 1; c < classes; c++) if (before.logits[c] > before.logits[label]) label = c;
    }
    const masks = layerMasks(this.index.channels, mask);
    for (const [name, m] of masks) if (m.mask.every((v) => v === 1)) masks.delete(name);
    this.engine.setEdgeMasks(masks);
    let after: { logits: Float32Array; y: Float32Array };
    try {
      after = await this.run(img.pixels, layer);
    } finally {
      this.engine.setEdgeMasks(null);
    }
    return {
      classes,
      original: softmaxRows(before.logits, 1, classes),
      ablated: softmaxRows(after.logits, 1, classes),
      targetOriginal: targetValueOf(target, before.y, shape, label),
      targetAblated: targetValueOf(target, after.y, shape, label),
    };
  }

  // ----------------------------------------------------------------- layouts

  /**
   * Class MDS's inputs: per graph node and class, the mean actgrad node score for the loss over
   * up to mdsImagesPerClass scoring images of that class; and per graph edge the mean of the
   * classes' edge scores (the loss circuit over those images). Cached for the session.
   */
  async classImportances(opts: RunOptions = {}): Promise<{ values: Float32Array; edges: Float32Array }> {
    if (this.classImportance) return this.classImportance;
    const classes = this.model.classes.length;
    const values = new Float32Array(this.graph.nodeCount * classes);
    const kernels = new Float32Array(this.index.channels.edgeCount);
    let counted = 0;
    for (let c = 0; c < classes; c++) {
      opts.progress?.('Class importance', c, classes);
      const indices = this.indicesOf({ kind: 'class', class: c }, 'scoring').slice(0, this.mdsImagesPerClass);
      if (!indices.length) continue;
      const scores = await computeScores(this.engine, { kind: 'loss' }, this.scoringSet({ kind: 'class', class: c }, indices), 'actgrad', { signal: opts.signal });
      this.graph.layers.forEach((gl, li) => {
        const s = this.index.scoredOfLayer[li];
        const v = s ? scores.nodes.get(s.name) : undefined;
        if (v) for (let k = 0; k < gl.nodeCount; k++) values[(gl.nodeStart + k) * classes + c] = v[k];
      });
      for (let e = 0; e < kernels.length; e++) kernels[e] += scores.edges[e];
      counted++;
    }
    opts.progress?.('Class importance', classes, classes);
    if (counted) for (let e = 0; e < kernels.length; e++) kernels[e] /= counted;
    this.classImportance = { values, edges: kernelsToEdges(this.index, kernels) };
    return this.classImportance;
  }

  /** x, y per graph node. */
  async layout(layout: Layout, nodeImportance: Float32Array | null = null, opts: RunOptions = {}): Promise<Float32Array> {
    if (layout === 'grid') return gridLayout(this.graph);
    if (layout === 'sorted') {
      if (nodeImportance && nodeImportance.length !== this.graph.nodeCount) {
        throw new RangeError(`node importance has ${nodeImportance.length} values, the graph has ${this.graph.nodeCount} nodes`);
      }
      return sortedLayout(this.graph, nodeImportance ?? new Float32Array(this.graph.nodeCount));
    }
    if (layout === 'mds') {
      const ci = await this.classImportances(opts);
      return mdsLayout(this.graph, ci.values, this.model.classes.length, { edgeImportance: ci.edges });
    }
    throw new RangeError(`layout "${String(layout)}": expected grid, sorted or mds`);
  }
}

/** Contrast terms combined per edge and node, clipped at 0 (a single plain term as it is). */
export function combineTerms(parts: { weight: number; scores: Scores }[]): Scores {
  if (parts.length === 1 && parts[0].weight === 1) return parts[0].scores;
  const first = parts[0].scores;
  const edges = combineScores(parts.map((p) => ({ weight: p.weight, values: p.scores.edges })));
  const nodes = new Map<string, Float32Array>();
  for (const name of first.nodes.keys()) nodes.set(name, combineScores(parts.map((p) => ({ weight: p.weight, values: p.scores.nodes.get(name)! }))));
  return { ...first, edges, nodes, images: parts.reduce((a, p) => a + p.scores.images, 0) };
}

/** The 3D map a linear layer reads through flatten and dropout, or its direct input. */
function linearSourceNode(model: Model, name: string): string {
  for (;;) {
    const l = model.layers.find((x) => x.name === name);
    if (l?.op === 'dropout') {
      name = l.inputs[0];
      continue;
    }
    if (l?.op === 'flatten' && nodeShape(model, l.inputs[0]).length === 3) return l.inputs[0];
    return name;
  }
}

/** A target's value for one image from its layer's output `y` (one image, `shape`). */
export function targetValueOf(target: Target, y: Float32Array, shape: number[], label: number | null): number {
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  if (y.length !== shapeSize(shape)) throw new RangeError(`expected ${shapeSize(shape)} values, got ${y.length}`);
  switch (target.kind) {
    case 'featureMean': {
      let s = 0;
      for (let q = 0; q < plane; q++) s += y[target.channel * plane + q];
      return s / plane;
    }
    case 'featureMax': {
      let m = -Infinity;
      for (let q = 0; q < plane; q++) m = Math.max(m, y[target.channel * plane + q]);
      return m;
    }
    case 'featureAt':
      return y[target.channel * plane + target.y * (shape[2] ?? 1) + target.x];
    case 'direction': {
      let s = 0;
      for (let c = 0; c < target.weights.length; c++) for (let q = 0; q < plane; q++) s += target.weights[c] * y[c * plane + q];
      return s / plane;
    }
    case 'classLogit':
      return y[target.class];
    case 'classProbability':
    case 'loss': {
      let m = -Infinity;
      for (const v of y) m = Math.max(m, v);
      let s = 0;
      for (const v of y) s += Math.exp(v - m);
      const c = target.kind === 'loss' ? (label ?? 0) : target.class;
      return target.kind === 'loss' ? Math.log(s) + m - y[c] : Math.exp(y[c] - m) / s;
    }
  }
}
