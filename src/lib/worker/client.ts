// The page's handle on the microscope worker: starts the module worker, wraps it with
// Comlink, and offers job helpers (progress callback + cancel) over the raw API.
import * as Comlink from 'comlink';
import { newJobId, type Progress } from './jobs';
import type {
  AblationRequest, AblationResult, CircuitGraph, CircuitQuery, CircuitResult, ClassifyResult, EdgeInspection, ImageRef, InitResult,
  Layout, LoadResult, MicroscopeApi, ModelFile, NodeInspection, Preprocessing, PreservationCurveResult, PreservationResult, VizFrame, VizRequest, VizResult,
} from './protocol';
import type { KernelData, OnnxExportResult, TopImagesResult, UseImagesResult } from './protocol';
import type { ImageSet } from '$lib/images/imageSet';

export { isCancelled } from './jobs';
export type { UseImagesResult };
export type {
  AblationRequest, AblationResult, CircuitGraph, CircuitQuery, CircuitResult, ClassifyResult, EdgeInspection, ImageRef,
  InitResult, KernelData, Layout, LoadResult, TopImage, TopImagesResult, MapData, ModelFile, ModelSummary, NodeInspection, Preprocessing, PreservationResult, Progress, VizFrame,
  VizRequest, VizResult,
} from './protocol';

/** A call running in the worker: its result, and a way to stop it. */
export interface RunningJob<T> {
  id: string;
  result: Promise<T>;
  cancel(): Promise<boolean>;
}

export class MicroscopeClient {
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<MicroscopeApi>;
  /** Settles (rejects) if the worker itself fails, e.g. its script could not load. */
  readonly crashed: Promise<never>;

  constructor() {
    this.worker = new Worker(new URL('./microscope.worker.ts', import.meta.url), { type: 'module', name: 'microscope' });
    this.api = Comlink.wrap<MicroscopeApi>(this.worker);
    this.crashed = new Promise<never>((_, reject) => {
      this.worker.addEventListener('error', (e) => {
        e.preventDefault();
        reject(new Error(`The microscope worker failed to start${e.message ? `: ${e.message}` : '.'}`));
      });
    });
    this.crashed.catch(() => {});
  }

  /** Races a worker call against a worker crash, so nothing waits forever. */
  private guard<T>(call: Promise<T>): Promise<T> {
    return Promise.race([call, this.crashed]);
  }

  init(): Promise<InitResult> {
    // Comlink's Remote type splits a union result into a union of promises; rejoin it.
    return this.guard(this.api.init() as Promise<InitResult>);
  }

  /** The precision of the engines later loads build (see MicroscopeApi.setPrecision). */
  setPrecision(precision: 'exact' | 'fast'): Promise<void> {
    return this.guard(this.api.setPrecision(precision));
  }

  loadModel(folderUrl: string, onProgress?: (p: Progress) => void): RunningJob<LoadResult> {
    const id = newJobId('load');
    const callback = onProgress ? Comlink.proxy(onProgress) : undefined;
    return {
      id,
      result: this.guard(this.api.loadModel(folderUrl, id, callback) as Promise<LoadResult>),
      cancel: () => this.api.cancel(id),
    };
  }

  /** Imports an ONNX file and builds its engine; its bytes are transferred (the page's buffer is emptied). */
  loadModelFile(file: ModelFile, prep: Preprocessing, onProgress?: (p: Progress) => void): RunningJob<LoadResult> {
    const id = newJobId('load');
    const callback = onProgress ? Comlink.proxy(onProgress) : undefined;
    return {
      id,
      result: this.guard(this.api.loadModelFile(Comlink.transfer(file, [file.bytes]), prep, id, callback) as Promise<LoadResult>),
      cancel: () => this.api.cancel(id),
    };
  }

  /** Classifies normalized NCHW images; the input buffer is transferred (do not reuse it). */
  classify(images: Float32Array, count: number, onProgress?: (p: Progress) => void): RunningJob<ClassifyResult> {
    const id = newJobId('classify');
    const callback = onProgress ? Comlink.proxy(onProgress) : undefined;
    return {
      id,
      result: this.guard(this.api.classify(Comlink.transfer(images, [images.buffer]), count, id, callback) as Promise<ClassifyResult>),
      cancel: () => this.api.cancel(id),
    };
  }

  /** Runs a long view call as a job: an id, its result, and cancel. */
  private job<T>(prefix: string, onProgress: ((p: Progress) => void) | undefined, call: (id: string, progress: ((p: Progress) => void) | undefined) => Promise<T>): RunningJob<T> {
    const id = newJobId(prefix);
    const callback = onProgress ? Comlink.proxy(onProgress) : undefined;
    return { id, result: this.guard(call(id, callback)), cancel: () => this.api.cancel(id) };
  }

  /** The loaded model's graph (nodes = filters, edges = kernels). */
  graph(): Promise<CircuitGraph> {
    return this.guard(this.api.graph() as Promise<CircuitGraph>);
  }

  /** A circuit query; rejects with an Error naming a bad target or image set. */
  circuit(query: CircuitQuery, onProgress?: (p: Progress) => void, onPartial?: (partial: CircuitResult) => void): RunningJob<CircuitResult> {
    const partial = onPartial ? Comlink.proxy(onPartial) : undefined;
    return this.job('circuit', onProgress, (id, cb) => this.api.circuit(query, id, cb, partial) as Promise<CircuitResult>);
  }

  /** Preservation of a circuit's target on the held-out images. */
  preservation(query: CircuitQuery, onProgress?: (p: Progress) => void): RunningJob<PreservationResult> {
    return this.job('preservation', onProgress, (id, cb) => this.api.preservation(query, id, cb) as Promise<PreservationResult>);
  }

  /** Preservation at several keep fractions (default 1% to 100%) of a query's circuit, its scores computed once. */
  preservationCurve(query: CircuitQuery, keeps?: number[], onProgress?: (p: Progress) => void): RunningJob<PreservationCurveResult> {
    return this.job('preservation-curve', onProgress, (id, cb) => this.api.preservationCurve(query, keeps, id, cb) as Promise<PreservationCurveResult>);
  }

  /** Node positions (x, y per node); 'mds' computes class importances first (cached in the worker). */
  layout(layout: Layout, nodeImportance?: Float32Array | null, onProgress?: (p: Progress) => void): RunningJob<Float32Array> {
    return this.job('layout', onProgress, (id, cb) => this.api.layout(layout, nodeImportance ?? null, id, cb) as Promise<Float32Array>);
  }

  /** A feature visualization; frames (RGBA) arrive at onFrame while it optimizes. */
  visualize(request: VizRequest, onFrame?: (frame: VizFrame) => void, onProgress?: (p: Progress) => void): RunningJob<VizResult> {
    const frames = onFrame ? Comlink.proxy(onFrame) : undefined;
    return this.job('visualize', onProgress, (id, cb) => this.api.visualize(request, id, cb, frames) as Promise<VizResult>);
  }

  /** The weights of these graph edges, shaped for display. */
  kernels(edges: number[]): Promise<KernelData[]> {
    return this.guard(this.api.kernels(edges) as Promise<KernelData[]>);
  }

  /** The set's images that drive a node most and least, with its map on each; a job (progress, cancel). */
  topImages(node: number, count?: { top: number; bottom: number }, onProgress?: (p: Progress) => void): RunningJob<TopImagesResult> {
    return this.job('top-images', onProgress, (id, cb) => this.api.topImages(node, count, id, cb) as Promise<TopImagesResult>);
  }

  /** Keeps the visitor's normalized image in the worker (the buffer is transferred: do not reuse it); its key names it afterwards. */
  addImage(pixels: Float32Array): Promise<string> {
    return this.guard(this.api.addImage(Comlink.transfer(pixels, [pixels.buffer])));
  }

  /** Classifies one image by reference (it shares a forward pass with inspecting and ablating it). */
  classifyImage(image: ImageRef): Promise<ClassifyResult> {
    return this.guard(this.api.classifyImage(image) as Promise<ClassifyResult>);
  }

  inspectNode(node: number, image: ImageRef): Promise<NodeInspection> {
    return this.guard(this.api.inspectNode(node, image) as Promise<NodeInspection>);
  }

  inspectEdge(edge: number, image: ImageRef): Promise<EdgeInspection> {
    return this.guard(this.api.inspectEdge(edge, image) as Promise<EdgeInspection>);
  }

  /** Removes edges and nodes for one image, reports before/after, and restores the network. */
  ablate(request: AblationRequest): Promise<AblationResult> {
    return this.guard(this.api.ablate(request) as Promise<AblationResult>);
  }

  /**
   * Scores circuits on this image set from now on (the loaded model's input size and channels). A
   * copy of its pixels is transferred, so the page keeps the set it shows.
   */
  useImageSet(set: ImageSet): Promise<UseImagesResult> {
    const copy = { ...set, pixels: set.pixels.slice() };
    return this.guard(this.api.useImageSet(Comlink.transfer(copy, [copy.pixels.buffer])) as Promise<UseImagesResult>);
  }

  /** The loaded .onnx model with the kernels outside the circuit zeroed (a copy of `kept` goes to the worker). */
  exportOnnx(kept: Uint8Array): Promise<OnnxExportResult> {
    return this.guard(this.api.exportOnnx(kept.slice()) as Promise<OnnxExportResult>);
  }

  /** For tests: loses the GPU device as a GPU reset would; the worker recovers on the next call. */
  loseDeviceForTest(): Promise<boolean> {
    return this.guard(this.api.loseDeviceForTest());
  }

  terminate(): void {
    this.api[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}
