// The microscope view's logic for one loaded model, free of Comlink and of the page: circuit
// queries with cached scores, node and edge inspection, ablation, preservation and layouts, on
// the model's image set or one the visitor brings (useImages; queries then name its classes).
// The worker wraps it; tests drive it in Node with a real GPU device.

import type { Engine } from '../../engine/engine';
import type { Target } from '../../engine/targets';
import { nodeShape, type Model } from '../../model/types';
import { buildGraph } from '../../graph/build';
import type { ModelGraph } from '../../graph/types';
import { gridLayout, mdsLayout, sortedLayout } from '../../graph/layout';
import type { ImageSet } from '../../images/imageSet';
import { pixelImageStream, type ImageStream } from '../../circuits/imageStream';
import { computeScores, layerMasks, CRITERIA, QueryCancelled, type Scores } from '../../circuits/saliency';
import { extractCircuit, type Circuit } from '../../circuits/circuit';
import { combineScores } from '../../circuits/contrast';
import { badCurveKeeps, CURVE_KEEPS, preservation, preservationCurve, targetValues } from '../../circuits/preservation';
import { removalMask } from '../../circuits/removal';
import {
  canonicalSet, canonicalTarget, imagesLabel, parseImages, parseTarget, setLabel, targetLabel, QuerySpecError,
  type ImageSetSpec, type ImageTerm,
} from '../../circuits/querySpec';
import { softmaxRows } from '../scores';
import type {
  AblationRequest, AblationResult, CircuitQuery, CircuitResult, EdgeInspection, ImageRef, Layout, NodeInspection,
  PreservationCurveResult, PreservationResult,
} from '../protocol';
import { circuitInGraphOrder } from './circuitMap';
import { checkEdge, checkNode, Inspector } from './inspection';
import { CustomImages, normalizedImage, type NormalizedImage } from './imageRef';
import { targetValueOf } from './targetValue';
import { Lru } from './lru';
import { checkImageLimits, limitImages } from './imageCounts';
import { circuitReport, type CircuitReport } from './report';

/**
 * Images of a query's first batch: a first circuit is drawn after them (within seconds on a
 * software adapter), then full batches follow. Every query is batched so, with or without
 * provisional circuits, so both sum in the same order.
 */
const FIRST_BATCH = 16;

/** How a long call reports progress and learns it was cancelled. */
export interface RunOptions {
  signal?: AbortSignal;
  progress?: (phase: string, done: number, total: number) => void;
  /** Circuit queries only: provisional circuits while the scoring images stream (single image sets). */
  partial?: (result: CircuitResult) => unknown;
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

const now = () => performance.now();
const formatCount = (n: number) => n.toLocaleString('en-US');

export class MicroscopeSession {
  readonly graph: ModelGraph;
  private readonly scoreCache: Lru<string, Scores>;
  private readonly originalValues = new Lru<string, Float64Array>(4);
  private imageSet: ImageSet | null;
  /** Counts image sets used, so cached results and forward passes of an earlier set are never reused. */
  private imageSetNumber = 0;
  /** Per image of the set, the model class its loss is taken against (modelLabels); null until needed. */
  private lossLabels: Int32Array | null = null;
  private readonly mdsImagesPerClass: number;
  private classImportance: { values: Float32Array; edges: Float32Array } | null = null;
  private readonly inspector: Inspector;
  /** The visitor's images, registered once by their pixels and named by key afterwards. */
  private readonly customImages: CustomImages;

  constructor(
    readonly engine: Engine,
    images: ImageSet | null,
    options: SessionOptions = {},
  ) {
    const m = engine.model;
    checkImageGeometry(images, m);
    this.imageSet = images;
    this.graph = buildGraph(m);
    this.inspector = new Inspector(engine, this.graph);
    this.customImages = new CustomImages(m);
    this.scoreCache = new Lru(options.scoreCacheSize ?? 16);
    this.mdsImagesPerClass = options.mdsImagesPerClass ?? 10;
  }

  get model(): Model {
    return this.engine.model;
  }

  // ----------------------------------------------------------------- image sets

  /** The images circuits are scored on: the model's own, or the set given to useImages. */
  get images(): ImageSet | null {
    return this.imageSet;
  }

  /**
   * Scores circuits, layouts and preservation on another image set from now on (its classes are
   * what image-set queries name); everything cached from the previous set is forgotten. The set
   * must have the model's input geometry. Call it between jobs (the worker queues it).
   */
  useImages(images: ImageSet): void {
    checkImageGeometry(images, this.model);
    this.imageSet = images;
    this.imageSetNumber++;
    this.lossLabels = null;
    this.scoreCache.clear();
    this.originalValues.clear();
    this.classImportance = null;
  }

  /** The class names image-set queries use: the set's own, the model's when there is no set. */
  private get imageClasses(): string[] {
    return this.imageSet?.classes ?? this.model.classes;
  }

  /** The model class of each class of the set, by name (case-insensitive); -1 for a class the model lacks. */
  private modelClassOfSetClass(): number[] {
    const names = this.model.classes.map((c) => c.toLowerCase());
    return this.imageClasses.map((c) => names.indexOf(c.toLowerCase()));
  }

  /**
   * The class each image's loss is taken against: its own class when the model has a class of
   * that name (always, for the model's own images), else the network's prediction for it
   * (computed once per set, on first need: the visitor's "dog" photos for a model without dogs).
   */
  private async modelLabels(opts: RunOptions): Promise<Int32Array> {
    if (this.lossLabels) return this.lossLabels;
    const images = this.requireImages('the loss target');
    const map = this.modelClassOfSetClass();
    const labels = Int32Array.from(images.labels, (l) => map[l] ?? -1);
    const missing: number[] = [];
    labels.forEach((l, i) => l < 0 && missing.push(i));
    if (missing.length) {
      const phase = 'Predicting classes for the loss (your classes are not the model\'s)';
      const classes = this.model.classes.length;
      const batch = this.engine.maxBatch;
      for (let start = 0; start < missing.length; start += batch) {
        if (opts.signal?.aborted) throw new QueryCancelled();
        opts.progress?.(phase, start, missing.length);
        const part = missing.slice(start, start + batch);
        const stream = pixelImageStream('', this.model.input, images.pixels, part);
        const logits = await this.engine.logits(stream.images(0, part.length), part.length);
        part.forEach((image, k) => {
          let best = 0;
          for (let c = 1; c < classes; c++) if (logits[k * classes + c] > logits[k * classes + best]) best = c;
          labels[image] = best;
        });
      }
      opts.progress?.(phase, missing.length, missing.length);
    }
    if (this.imageSet === images) this.lossLabels = labels;
    return labels;
  }

  /** Labels an image stream needs for a target: the model classes of the loss, none otherwise. */
  private async labelsFor(target: Target, opts: RunOptions): Promise<Int32Array | undefined> {
    return target.kind === 'loss' ? this.modelLabels(opts) : undefined;
  }

  private requireImages(why: string): ImageSet {
    if (!this.imageSet) throw new QuerySpecError('images', `${why} needs the model's image set, and model "${this.model.name}" has none (images.json): bring your own images`);
    return this.imageSet;
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

  /** The images of a set as a stream; `labels` (model classes, per image of the whole set) for the loss. */
  private scoringSet(set: ImageSetSpec, indices: number[], labels?: ArrayLike<number>): ImageStream {
    const images = this.requireImages('an image set');
    const label = `${setLabel(set, this.imageClasses)} (${formatCount(indices.length)} images)`;
    return pixelImageStream(label, this.model.input, images.pixels, indices, labels);
  }

  // ----------------------------------------------------------------- circuits

  private checkQuery(query: CircuitQuery): void {
    if (!query || typeof query !== 'object') throw new Error('the circuit query is missing');
    if (!(CRITERIA as string[]).includes(query.criterion)) throw new Error(`criterion "${String(query.criterion)}": expected one of ${CRITERIA.join(', ')}`);
    const cut = query.cut;
    if (!cut || (cut.kind !== 'keep' && cut.kind !== 'threshold')) throw new Error('the cut must be {kind: "keep" | "threshold", value}');
    if (cut.kind === 'keep' && !(cut.value > 0 && cut.value <= 1)) throw new Error(`keep ${cut.value}: expected a fraction in (0, 1]`);
    if (cut.kind === 'threshold' && !(cut.value >= 0 && cut.value <= 1)) throw new Error(`threshold ${cut.value}: expected a normalized score in [0, 1]`);
    checkImageLimits(query);
  }

  /** Scores of one term, from the cache or computed (the flag says which). */
  private async termScores(
    target: Target, term: ImageTerm, query: CircuitQuery, step: string, opts: RunOptions,
    onPartial?: (scores: Scores, done: number, total: number) => unknown,
  ): Promise<{ scores: Scores; cached: boolean; count: number }> {
    const forceKeep = query.criterion === 'force' ? (query.cut.kind === 'keep' ? query.cut.value : 0.1) : null;
    // FORCE's scores depend on the cut it prunes towards: the keep fraction and what it may prune.
    const forceCut = forceKeep === null ? '' : `${forceKeep}|${query.linear ? 'linear' : 'conv'}`;
    const key = [this.model.name, this.imageSetNumber, query.criterion, canonicalTarget(target), canonicalSet(term.set), forceCut, query.scoringImages ?? ''].join('|');
    const indices = limitImages(this.indicesOf(term.set, 'scoring'), query.scoringImages);
    const hit = this.scoreCache.get(key);
    if (hit) return { scores: hit, cached: true, count: indices.length };
    const needsImages = query.criterion !== 'magnitude' && query.criterion !== 'random';
    const set = this.scoringSet(term.set, indices, needsImages && indices.length ? await this.labelsFor(target, opts) : undefined);
    if (needsImages && set.count === 0) throw new QuerySpecError('images', `image set "${setLabel(term.set, this.imageClasses)}" has no scoring images`);
    const phase = `Scoring ${set.label}${step}`;
    opts.progress?.(phase, 0, set.count);
    const scores = await computeScores(this.engine, target, set, query.criterion, {
      signal: opts.signal,
      keep: forceKeep ?? undefined,
      linear: !!query.linear,
      onProgress: (done, total) => opts.progress?.(phase, done, total),
      firstBatch: FIRST_BATCH,
      onPartial: onPartial ? (s, done, total) => onPartial(s, done, total) : undefined,
    });
    this.scoreCache.set(key, scores);
    return { scores, cached: false, count: indices.length };
  }

  private async cutCircuit(query: CircuitQuery, opts: RunOptions, onPartial?: (c: CutCircuit, done: number, total: number) => unknown): Promise<CutCircuit> {
    this.checkQuery(query);
    const model = this.model;
    const target = parseTarget(query.target, model);
    this.requireImages('a circuit query');
    const terms = parseImages(query.images, this.imageClasses, this.images?.count ?? 0);
    const parts: { weight: number; scores: Scores }[] = [];
    let cached = true;
    let imageCount = 0;
    // A provisional circuit is the one set's scores so far (a contrast's terms are not combined early).
    const partialOf = onPartial && terms.length === 1
      ? (s: Scores, done: number, total: number) => onPartial(this.cut(query, target, terms, combineTerms([{ weight: terms[0].weight, scores: s }]), done, false), done, total)
      : undefined;
    for (const [i, term] of terms.entries()) {
      const step = terms.length > 1 ? ` (${i + 1} of ${terms.length})` : '';
      const r = await this.termScores(target, term, query, step, opts, partialOf);
      parts.push({ weight: term.weight, scores: r.scores });
      cached &&= r.cached;
      imageCount += r.count;
    }
    return this.cut(query, target, terms, combineTerms(parts), imageCount, cached);
  }

  private cut(query: CircuitQuery, target: Target, terms: ImageTerm[], scores: Scores, imageCount: number, cached: boolean): CutCircuit {
    const cut = query.cut.kind === 'keep' ? { keep: query.cut.value } : { threshold: query.cut.value };
    const circuit = extractCircuit(this.model, this.graph, target, scores, { ...cut, perLayer: !!query.perLayer, linear: !!query.linear });
    return { target, terms, scores, circuit, imageCount, cached };
  }

  /** Scores (cached per target, set and criterion) and cuts a circuit, in graph order; `opts.partial` gets provisional ones on the way. */
  async circuit(query: CircuitQuery, opts: RunOptions = {}): Promise<CircuitResult> {
    const t0 = now();
    const partial = opts.partial;
    const c = await this.cutCircuit(query, opts, partial
      ? (p, done, total) => partial({ ...this.circuitResult(query, p, t0), provisional: { images: done, total } })
      : undefined);
    return this.circuitResult(query, c, t0);
  }

  private circuitResult(query: CircuitQuery, c: CutCircuit, t0: number): CircuitResult {
    const mapped = circuitInGraphOrder(this.model, this.graph, c.target, c.scores, c.circuit, !!query.perLayer);
    return {
      query: structuredClone(query),
      targetLabel: targetLabel(c.target, this.model.classes, this.model),
      imagesLabel: `${imagesLabel(c.terms, this.imageClasses)} (${formatCount(c.imageCount)} images)`,
      imageCount: c.imageCount,
      ...mapped,
      kernelsKept: c.circuit.kernelsKept,
      kernelsRelevant: c.circuit.kernelsRelevant,
      sparsity: c.circuit.sparsity,
      layers: c.circuit.layers,
      forceSchedule: c.scores.schedule ?? null,
      dead: c.circuit.dead,
      ms: c.cached ? 0 : now() - t0,
      cached: c.cached,
      emptyReason: c.circuit.kernelsKept === 0 ? this.whyEmpty(query, c) : null,
    };
  }

  /** Words for an empty circuit: the first layer on the way that the cut left without kernels. */
  private whyEmpty(query: CircuitQuery, c: CutCircuit): string {
    const cut = query.cut.kind === 'keep' ? { keep: query.cut.value } : { threshold: query.cut.value };
    if (c.circuit.dead) return `the target does not change on these images (${c.imageCount} images): every kernel scores the same, so no kernel matters to it. Pick other images or another target.`;
    const raw = extractCircuit(this.model, this.graph, c.target, c.scores, { ...cut, perLayer: !!query.perLayer, linear: !!query.linear, effective: false });
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

  /** The evaluation images of a query as a stream, and the full network's target values on them (cached). */
  private async evaluationValues(target: Target, query: CircuitQuery, opts: RunOptions): Promise<{ set: ImageStream; original: Float64Array }> {
    const indices = limitImages(this.splitIndices('evaluation'), query.evaluationImages);
    const set = this.scoringSet({ kind: 'all' }, indices, await this.labelsFor(target, opts));
    const key = `${canonicalTarget(target)}|${indices.length}`;
    let original = this.originalValues.get(key);
    if (!original) {
      original = await targetValues(this.engine, target, set, {
        signal: opts.signal, onProgress: (d, t) => opts.progress?.('Full network on the evaluation images', d, t),
      });
      this.originalValues.set(key, original);
    }
    return { set, original };
  }

  /** Preservation of the circuit's target on the evaluation images. */
  async preservation(query: CircuitQuery, opts: RunOptions = {}): Promise<PreservationResult> {
    const c = await this.cutCircuit(query, opts);
    const { set, original } = await this.evaluationValues(c.target, query, opts);
    const p = await preservation(this.engine, c.target, c.circuit.kept, set, {
      signal: opts.signal, original, onProgress: (d, t) => opts.progress?.('Circuit on the evaluation images', d, t),
    });
    return { r: p.r, meanAbsDiffOverStd: p.meanAbsDiffOverStd, collapsed: p.collapsed, images: set.count };
  }

  /**
   * Preservation at each keep fraction (increasing; default CURVE_KEEPS) of the query's circuit on
   * the evaluation images: the scores are computed once and cut at each keep (FORCE, whose scores
   * depend on the keep it prunes towards, is scored for each), the full network run once.
   */
  async preservationCurve(query: CircuitQuery, keeps: readonly number[] = CURVE_KEEPS, opts: RunOptions = {}): Promise<PreservationCurveResult> {
    const bad = badCurveKeeps(keeps);
    if (bad) throw new Error(`preservation curve: ${bad}`);
    const atKeep = (keep: number): CircuitQuery => ({ ...query, cut: { kind: 'keep', value: keep } });
    const first = await this.cutCircuit(atKeep(keeps[0]), opts);
    const { set, original } = await this.evaluationValues(first.target, query, opts);
    const phase = `Preservation at ${keeps.length} keep fractions`;
    const points = await preservationCurve(this.engine, first.target, keeps, async (keep) => (await this.cutCircuit(atKeep(keep), opts)).circuit.kept, set, {
      signal: opts.signal, original, onProgress: (d, t) => opts.progress?.(phase, d, t),
    });
    return { criterion: query.criterion, images: set.count, points: points.map((p) => ({ keep: p.keep, r: p.r, meanAbsDiffOverStd: p.meanAbsDiffOverStd, collapsed: p.collapsed })) };
  }

  /** The circuit's complete record (report.ts), with its preservation when asked; `url` is its page link. */
  async report(query: CircuitQuery, opts: RunOptions & { preservation?: boolean; url?: string } = {}): Promise<CircuitReport> {
    const result = await this.circuit(query, opts);
    const preservation = opts.preservation ? await this.preservation(query, opts) : null;
    return circuitReport(this.model, this.graph, result, preservation, opts.url);
  }

  // ----------------------------------------------------------------- one image

  /**
   * The normalized pixels (and label) of an image reference; a clear error for bad ones. An image
   * of the set is known by its set too (its forward pass is not another set's image), and its
   * label is the model's class of that name, or none (ablation then takes the predicted class).
   */
  imageOf(ref: ImageRef): NormalizedImage {
    const img = normalizedImage(this.model, this.images, this.customImages, ref);
    if (ref?.kind !== 'set' || img.label === null) return img;
    const label = this.modelClassOfSetClass()[img.label] ?? -1;
    return { ...img, key: `${img.key}@${this.imageSetNumber}`, label: label >= 0 ? label : null };
  }

  /** Keeps a custom image (normalized CHW pixels, checked) and returns the key that names it: {kind: 'custom', key}. */
  addImage(pixels: Float32Array): string {
    return this.customImages.add(pixels);
  }

  /** One image's logits from its (shared) forward pass, and the time that pass took (ms). */
  async classify(image: ImageRef): Promise<{ logits: Float32Array; forwardMs: number }> {
    const r = await this.inspector.logits(this.imageOf(image));
    return { logits: r.logits.slice(), forwardMs: r.forwardMs };
  }

  checkNode(node: number): void {
    checkNode(this.graph, node);
  }

  checkEdge(edge: number): void {
    checkEdge(this.graph, edge);
  }

  async inspectNode(node: number, image: ImageRef): Promise<NodeInspection> {
    return this.inspector.inspectNode(node, this.imageOf(image));
  }

  /**
   * An edge on one image: the map the kernel reads (the layer's actual input channel, e.g.
   * the pooled map), its pre-sum contribution, and the target node's map.
   */
  async inspectEdge(edge: number, image: ImageRef): Promise<EdgeInspection> {
    return this.inspector.inspectEdge(edge, this.imageOf(image));
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
    const mask = removalMask(this.graph, request.removedEdges ?? [], request.removedNodes ?? []);
    const img = this.imageOf(request.image);
    const classes = model.classes.length;
    const layer = 'layer' in target ? target.layer : model.output;
    const shape = nodeShape(model, layer);
    // The full network's values come from the image's shared forward pass; only the ablated one runs here.
    const full = await this.inspector.activations(img, [model.output, layer]);
    const before = { logits: full.get(model.output)!, y: full.get(layer)! };
    let label = img.label;
    if (label === null) {
      label = 0;
      for (let c = 1; c < classes; c++) if (before.logits[c] > before.logits[label]) label = c;
    }
    const masks = layerMasks(this.graph, mask);
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
   * Class MDS's inputs: per graph node and class of the image set, the mean actgrad node score for
   * the loss over up to mdsImagesPerClass scoring images of that class; and per graph edge the
   * mean of the classes' edge scores (the loss circuit over those images). Cached per image set.
   */
  async classImportances(opts: RunOptions = {}): Promise<{ values: Float32Array; edges: Float32Array }> {
    if (this.classImportance) return this.classImportance;
    const classes = this.imageClasses.length;
    const labels = await this.modelLabels(opts);
    const values = new Float32Array(this.graph.nodeCount * classes);
    const kernels = new Float32Array(this.graph.edgeCount);
    let counted = 0;
    for (let c = 0; c < classes; c++) {
      opts.progress?.('Class importance', c, classes);
      const indices = this.indicesOf({ kind: 'class', class: c }, 'scoring').slice(0, this.mdsImagesPerClass);
      if (!indices.length) continue;
      const scores = await computeScores(this.engine, { kind: 'loss' }, this.scoringSet({ kind: 'class', class: c }, indices, labels), 'actgrad', { signal: opts.signal });
      this.graph.layers.forEach((gl, li) => {
        const s = this.graph.kernelLayerOf[li];
        const v = s ? scores.nodes.get(s.name) : undefined;
        if (v) for (let k = 0; k < gl.nodeCount; k++) values[(gl.nodeStart + k) * classes + c] = v[k];
      });
      for (let e = 0; e < kernels.length; e++) kernels[e] += scores.edges[e];
      counted++;
    }
    opts.progress?.('Class importance', classes, classes);
    if (counted) for (let e = 0; e < kernels.length; e++) kernels[e] /= counted;
    this.classImportance = { values, edges: kernels };
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
      return mdsLayout(this.graph, ci.values, this.imageClasses.length, { edgeImportance: ci.edges });
    }
    throw new RangeError(`layout "${String(layout)}": expected grid, sorted or mds`);
  }
}

/** An image set's images must be the model's input size and channels. */
function checkImageGeometry(images: ImageSet | null, m: Model): void {
  if (images && (images.channels !== m.input.channels || images.height !== m.input.height || images.width !== m.input.width)) {
    throw new Error(
      `the image set has ${images.channels}x${images.height}x${images.width} images, the model "${m.name}" takes ${m.input.channels}x${m.input.height}x${m.input.width}`,
    );
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
