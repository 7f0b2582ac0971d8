// The microscope worker's API as the page sees it: plain, structured-clonable data only
// (no GPU objects, no engine classes). Expected failures come back as values, not throws.

import type { CircuitGraph } from '$lib/graph/types';
import type { ChannelFlow } from '$lib/ops/types';
import type { Cut, Criterion, Layout } from '$lib/state/url';
import type { LayerStats } from '$lib/circuits/circuit';
import type { VizSettings } from '$lib/featureviz/settings';
import type { ImageSet } from '$lib/images/imageSet';
import type { Preprocessing } from '$lib/model/onnx/import';

export interface InputSummary {
  name: string;
  channels: number;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

export interface LayerSummary {
  name: string;
  op: string;
  inputs: string[];
  /** Per-image output shape, [C, H, W] or [F]. */
  shape: number[];
  /** Parameter name -> shape. */
  params: Record<string, number[]>;
  /** The layer's attributes after validation (kernel, stride, padding, ...). */
  attrs: Record<string, unknown>;
  /** How its channels depend on its inputs' channels, and over which window (receptive fields). */
  flow: ChannelFlow;
}

export interface ModelSummary {
  name: string;
  description: string;
  input: InputSummary;
  classes: string[];
  layers: LayerSummary[];
  output: string;
  parameterCount: number;
  /** Largest batch the engine runs in one pass; classify() splits bigger ones. */
  maxBatch: number;
  /** How the engine stores conv weights: 'exact' (f32) or 'fast' (packed f16, f32 sums); see EngineOptions.precision. */
  precision: 'exact' | 'fast';
  /** Imported from an .onnx file (its circuits can be written back as one). */
  imported?: boolean;
}

/** A circuit written back into the model's .onnx file: kernels outside it zeroed. */
export type OnnxExportResult = { ok: true; bytes: ArrayBuffer; zeroed: number } | { ok: false; message: string };

export type InitResult =
  | { ok: true; adapter: string; software: boolean }
  | { ok: false; reason: 'no-webgpu'; message: string };

export type LoadFailure = {
  ok: false;
  /** format: a bad model file; size: a file beyond the loader's budgets or the GPU's limits; network: could not fetch; gpu: no device; engine: the engine refused it. */
  reason: 'format' | 'size' | 'network' | 'gpu' | 'engine';
  message: string;
};

/** A model file from the visitor's machine: its name (shown as the model's) and its bytes. */
export interface ModelFile {
  name: string;
  bytes: ArrayBuffer;
}

export type { Preprocessing };

export type LoadResult =
  | {
      ok: true;
      model: ModelSummary;
      /**
       * The image set circuits are scored on, as the worker loaded it (its pixels a copy that
       * crosses to the page, which shows them); null when the model folder has none or it did not load.
       */
      images: ImageSet | null;
      /** Why there is no image set (a message to show), or null. */
      imagesWarning: string | null;
      loadMs: number;
      warmupMs: number;
      /** GPU validation errors raised while building and warming up the engine. */
      gpuErrors: string[];
    }
  | LoadFailure;

/** The image set is the session's now, or why not (a message for the page). */
export type UseImagesResult = { ok: true; count: number; classes: string[] } | { ok: false; message: string };

export interface ClassifyResult {
  count: number;
  classes: number;
  /** [count, classes] raw scores. */
  logits: Float32Array;
  /** [count, classes] softmax of the logits. */
  probabilities: Float32Array;
  /** Time of the forward passes on the GPU, readback included, ms. */
  forwardMs: number;
  /** GPU validation errors raised by this call: when present, the numbers are not trustworthy. */
  gpuErrors: string[];
}

export type { Progress, ProgressFn } from './jobs';

export interface MicroscopeApi extends MicroscopeViewApi {
  /** Acquires the GPU device; call once before anything else. */
  init(): Promise<InitResult>;
  /** Fetches a model folder (URL ending in '/') and builds the engine for it; replaces any earlier model. */
  loadModel(folderUrl: string, jobId?: string, onProgress?: (p: import('./jobs').Progress) => unknown): Promise<LoadResult>;
  /**
   * Imports an ONNX file (its bytes, transferred) with the visitor's preprocessing and builds the
   * engine for it, as loadModel does; the model has no image set (imagesWarning says so). A file
   * the importer refuses fails with reason 'format'.
   */
  loadModelFile(file: ModelFile, prep: Preprocessing, jobId?: string, onProgress?: (p: import('./jobs').Progress) => unknown): Promise<LoadResult>;
  /**
   * How the engines built by later loads store conv weights: 'exact' (f32, the default) or 'fast'
   * (packed f16, f32 sums). The model loaded stays as it is: load it again to apply a change.
   */
  setPrecision(precision: 'exact' | 'fast'): Promise<void>;
  /** Classifies `count` normalized NCHW images of the loaded model's input size. */
  /** The loaded .onnx model with the kernels outside `kept` (one entry per graph edge) zeroed; only for imported models. */
  exportOnnx(kept: Uint8Array): Promise<OnnxExportResult>;
  classify(images: Float32Array, count: number, jobId?: string, onProgress?: (p: import('./jobs').Progress) => unknown): Promise<ClassifyResult>;
  /**
   * Scores circuits, layouts and preservation on another image set (the visitor's images, demo
   * photos, or the model's own again) of the loaded model's input size and channels; queries then
   * name its classes. Its pixels are transferred.
   */
  useImageSet(set: ImageSet): Promise<UseImagesResult>;
  /** Cancels a running job; false if it already finished. */
  cancel(jobId: string): Promise<boolean>;
  /** For tests: destroys the GPU device as a GPU reset would lose it (false if there is none); the next call recovers. */
  loseDeviceForTest(): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// The microscope view: graph, circuit queries, inspection, ablation, layouts and feature
// visualization. Graph edges and nodes are indexed as in graph/build.ts (CircuitGraph),
// the graph the page draws; the worker maps them to the engine's kernels.


export type { CircuitGraph, Cut, Criterion, Layout, LayerStats, VizSettings };

/**
 * An image to classify, inspect or ablate: one of the model's own images, or one the visitor
 * made, by the key addImage gave for its pixels (they cross to the worker once).
 */
export type ImageRef = { kind: 'set'; index: number } | { kind: 'custom'; key: string };

/**
 * What to ask for, in the URL's own syntax (src/lib/circuits/querySpec.ts parses it):
 * target 'loss' | 'logit:<class>' | 'prob:<class>' | 'node:<layer>:<channel>[:mean|:max]' |
 * 'node:<layer>:<channel>@<y>,<x>'; images 'all' | 'class:<name>' | 'image:<index>' | a contrast
 * such as 'Sandal - all'. Classes may be given by name or index.
 */
export interface CircuitQuery {
  target: string;
  images: string;
  criterion: Criterion;
  cut: Cut;
  perLayer?: boolean;
  /** Prune linear layers' kernels too (default: only convolution kernels, as seed 001 does). */
  linear?: boolean;
  /** At most this many scoring images per image-set term, evenly spread (the command line's --scoring-images); default all. */
  scoringImages?: number;
  /** Preservation on at most this many evaluation images, evenly spread (--eval-images); default all. */
  evaluationImages?: number;
}

export interface CircuitResult {
  query: CircuitQuery;
  /** Human-readable target and image set, e.g. "mean of conv2:12", "class Sandal − all (1,000 images)". */
  targetLabel: string;
  imagesLabel: string;
  imageCount: number;
  /** Per graph edge: score min-max normalized over relevant edges, in [0, 1]; 0 when not relevant. */
  edgeImportance: Float32Array;
  /** Per graph edge: the criterion's raw score; 0 when not relevant or not a kernel (add junctions). */
  edgeScores: Float32Array;
  /** Per graph edge: 1 when in the circuit (after the effective mask). */
  kept: Uint8Array;
  /** Per graph edge: 1 when the cut kept it, before the effective mask dropped dead ends. */
  keptBeforeEffective: Uint8Array;
  /** Per graph edge: 1 when it can reach the target at all. */
  relevant: Uint8Array;
  /** Per graph node: 1 when the circuit goes through it (the target's node included). */
  nodesKept: Uint8Array;
  /** Per graph node: the criterion's node score normalized to [0, 1]; 0 when it has none. */
  nodeImportance: Float32Array;
  /** Per graph node: the criterion's raw node score (filters on a path to the target); 0 otherwise. */
  nodeScores: Float32Array;
  /** Graph nodes the target reads (one for a feature, one class unit for a logit, all outputs for the loss). */
  targetNodes: number[];
  /** Kept and relevant kernels of the layers the cut prunes (conv layers; linear ones too with linear=1). */
  kernelsKept: number;
  kernelsRelevant: number;
  sparsity: number;
  layers: LayerStats[];
  /** FORCE: kernels kept after each of its steps; null for other criteria. */
  forceSchedule: number[] | null;
  /** The target does not change on these images: every kernel scores the same, the circuit is empty. */
  dead: boolean;
  /** Time in the worker, ms; 0 when the scores came from the cache. */
  ms: number;
  cached: boolean;
  /**
   * When the circuit came out empty, why (e.g. the cut kept no kernel of some layer on the way,
   * so no path reaches the target) and what to try; null otherwise.
   */
  emptyReason: string | null;
  /**
   * A first answer while images still stream: the circuit of the first `images` of `total`
   * scoring images, refined until the final result (which has no such field) replaces it.
   */
  provisional?: { images: number; total: number };
}

/** A 2D map for display: row-major height x width values. */
export interface MapData {
  data: Float32Array;
  height: number;
  width: number;
  min: number;
  max: number;
  /** The model node whose output this map is (for receptive fields). */
  node: string;
}

export interface KernelData {
  /** Row-major height x width weights (a linear edge's run, shaped as its source map). */
  weights: Float32Array;
  height: number;
  width: number;
  maxAbs: number;
}

export interface NodeInspection {
  node: number;
  layer: string;
  channel: number;
  /** "conv2:12", or the class name for an output unit, or "input:0". */
  label: string;
  /** The filter's map on the image (after its nonlinearity); the image channel for input nodes. */
  map: MapData;
  /** Mean of the map. */
  mean: number;
  /** Every incoming edge with its kernel (the page ranks them by the circuit's scores). */
  incoming: { edge: number; source: number; kernel: KernelData }[];
}

export interface EdgeInspection {
  edge: number;
  source: number;
  target: number;
  kernel: KernelData;
  /** The source node's map, the edge's pre-sum contribution a_{o<-i}, and the target node's map. */
  input: MapData;
  preSum: MapData;
  output: MapData;
}

export interface AblationRequest {
  image: ImageRef;
  /** Graph edges and nodes to remove (a node removes every kernel into it). */
  removedEdges: number[];
  removedNodes: number[];
  /** A target in CircuitQuery syntax whose value is reported before and after. */
  target: string;
}

export interface AblationResult {
  classes: number;
  /** Softmax probabilities of the full network and of the ablated one. */
  original: Float32Array;
  ablated: Float32Array;
  targetOriginal: number;
  targetAblated: number;
}

export interface PreservationResult {
  /** Pearson r of the circuit's target values against the full network's over held-out images (0 on collapse). */
  r: number;
  meanAbsDiffOverStd: number;
  collapsed: boolean;
  images: number;
}

/** Preservation r against keep fraction for one criterion (the keep axis increasing). */
export interface PreservationCurveResult {
  criterion: CircuitQuery['criterion'];
  /** Held-out images each point is computed on. */
  images: number;
  points: { keep: number; r: number; meanAbsDiffOverStd: number; collapsed: boolean }[];
}

export interface VizRequest {
  /** A graph node, a graph edge, or an objective string (src/lib/featureviz/objectives.ts syntax). */
  unit: { kind: 'node'; node: number } | { kind: 'edge'; edge: number } | { kind: 'objective'; objective: string };
  settings?: Partial<VizSettings>;
  /** When given, the visualization runs through this circuit's masked network ("what the circuit sees"). */
  circuit?: CircuitQuery;
}

export interface VizFrame {
  step: number;
  steps: number;
  objective: number;
  /** The current image in display space, RGBA, width x height. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface VizResult {
  /** The final image: RGBA for display, and its objective value. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  objective: number;
  objectiveString: string;
  settings: VizSettings;
  ms: number;
  /** True when it came from the IndexedDB cache. */
  cached: boolean;
}

/** One image of the set ranked by a unit's mean activation, with the unit's map on it. */
export interface TopImage {
  /** Index in the session's image set. */
  index: number;
  /** The unit's mean activation on it (after its nonlinearity). */
  mean: number;
  /** Its class name. */
  label: string;
  map: MapData;
}

/** The images of the set that drive a unit most (descending) and least (ascending). */
export interface TopImagesResult {
  node: number;
  /** The model node whose channel was averaged, and the channel. */
  mapNode: string;
  channel: number;
  imageCount: number;
  top: TopImage[];
  bottom: TopImage[];
  ms: number;
  /** The per-image means came from the cache (same set, same layer). */
  cached: boolean;
}

export type JobProgress = (p: import('./jobs').Progress) => unknown;

/** The view methods the worker adds to MicroscopeApi (all need a loaded model). */
export interface MicroscopeViewApi {
  /** The graph of the loaded model (nodes = filters, edges = kernels). */
  graph(): Promise<CircuitGraph>;
  /** Scores and cuts a circuit; scores are cached per (target, images, criterion), so a new cut is instant. */
  /** `onPartial` receives provisional circuits (first answer, then refinements) before the final result. */
  circuit(query: CircuitQuery, jobId?: string, onProgress?: JobProgress, onPartial?: (partial: CircuitResult) => unknown): Promise<CircuitResult>;
  /**
   * Keeps the visitor's image (normalized CHW, the model's input size) in the worker and returns
   * its key for {kind: 'custom', key}; the worker keeps the last few, and a forgotten key is an error.
   */
  addImage(pixels: Float32Array): Promise<string>;
  /** Classifies one image; classifying, inspecting and ablating the same image share one forward pass. */
  classifyImage(image: ImageRef): Promise<ClassifyResult>;
  inspectNode(node: number, image: ImageRef): Promise<NodeInspection>;
  inspectEdge(edge: number, image: ImageRef): Promise<EdgeInspection>;
  ablate(request: AblationRequest): Promise<AblationResult>;
  /** Preservation of a circuit's target on the held-out (evaluation) images. */
  preservation(query: CircuitQuery, jobId?: string, onProgress?: JobProgress): Promise<PreservationResult>;
  /** Preservation at each keep fraction (increasing; default 1% to 100%) of the query's circuit, its scores computed once. */
  preservationCurve(query: CircuitQuery, keeps?: number[], jobId?: string, onProgress?: JobProgress): Promise<PreservationCurveResult>;
  /** Node positions (x, y per graph node) for a layout; 'mds' computes class-wise importances first (cached). */
  layout(layout: Layout, nodeImportance?: Float32Array | null, jobId?: string, onProgress?: JobProgress): Promise<Float32Array>;
  /** A feature visualization; frames stream to onFrame while it optimizes. */
  visualize(request: VizRequest, jobId?: string, onProgress?: JobProgress, onFrame?: (frame: VizFrame) => unknown): Promise<VizResult>;
  /** The weights of these graph edges, shaped for display (the circuit diagram's heatmaps). */
  kernels(edges: number[]): Promise<KernelData[]>;
  /** The set's images that drive a node most and least (default 6 and 3), each with the node's map on it; per-image means cached per set and layer. */
  topImages(node: number, count?: { top: number; bottom: number }, jobId?: string, onProgress?: JobProgress): Promise<TopImagesResult>;
}
