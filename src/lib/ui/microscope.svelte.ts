// Page state of the microscope: worker start-up, model loading with progress (the worker
// downloads the image set and sends it along), the selected sample (or the visitor's own
// image), its GPU prediction and timings. Components read these runes; worker traffic goes
// through this class or its client.
import { MicroscopeClient, isCancelled, type ImageRef, type LoadResult, type ModelFile, type ModelSummary, type Preprocessing, type Progress } from '$lib/worker/client';
import { imagePixels, samplesPerClass, type ImageSet } from '$lib/images/imageSet';
import { normalizeBatch, type PreparedImage } from '$lib/images/preprocess';
import { argmaxRow, topK, type Ranked } from '$lib/worker/scores';

export type Phase = 'idle' | 'starting' | 'no-webgpu' | 'loading' | 'ready' | 'failed';

export interface Prediction {
  image: number;
  ranked: Ranked[];
  forwardMs: number;
  roundTripMs: number;
}

/** The visitor's own image (uploaded or drawn) at the model's input size: its pixels, its normalized input, a caption. */
export interface CustomImage extends PreparedImage {
  label: string;
}

/** Where a model loads from: a folder URL (ending in '/'), or an ONNX file's bytes with the visitor's preprocessing. */
export type ModelSource = { kind: 'folder'; url: string } | { kind: 'file'; file: ModelFile; prep: Preprocessing };

/** Index used in Prediction.image for the custom image. */
export const CUSTOM_IMAGE = -1;

export interface LoadError {
  title: string;
  message: string;
  /** Which model and where from, for the reader. */
  context?: string;
}

const SAMPLES_PER_CLASS = 4;
const TOP_K = 5;

const LOAD_FAILURE_TITLES: Record<Extract<LoadResult, { ok: false }>['reason'], string> = {
  format: 'This model file is not valid',
  size: 'This model is too large to open',
  network: 'The model could not be downloaded',
  gpu: 'The GPU is not available',
  engine: 'The GPU engine could not run this model',
};

export class Microscope {
  phase = $state<Phase>('idle');
  adapter = $state('');
  /** True for a software (CPU-emulated) adapter such as SwiftShader: timings are not a GPU's. */
  softwareAdapter = $state(false);
  noGpuMessage = $state('');
  modelName = $state('');
  progress = $state.raw<Progress | null>(null);
  model = $state.raw<ModelSummary | null>(null);
  /** The model's own images, as the worker loaded them; null when it has none (imagesWarning says why). */
  images = $state.raw<ImageSet | null>(null);
  imagesWarning = $state<string | null>(null);
  /** Sample image indices, one list per class. */
  samples = $state.raw<number[][]>([]);
  selected = $state<number | null>(null);
  /** When set, the visitor's image is the current one instead of `selected`. */
  custom = $state.raw<CustomImage | null>(null);
  /** The worker's key for `custom` once its pixels have crossed (once); null until then. */
  customKey = $state<string | null>(null);
  prediction = $state.raw<Prediction | null>(null);
  /** Predicted class of every sample (from one batched pass), by image index. */
  samplePredictions = $state.raw<Map<number, number>>(new Map());
  classifying = $state(false);
  loadError = $state.raw<LoadError | null>(null);
  runError = $state<string | null>(null);
  /** GPU errors the worker reported: shown as a warning, since results may be wrong. */
  gpuErrors = $state.raw<string[]>([]);
  loadMs = $state(0);
  warmupMs = $state(0);

  private client: MicroscopeClient | null = null;
  private cancelLoad: (() => Promise<boolean>) | null = null;
  private classifyQueued = false;
  /** Set by clearDrawing until the next image: a classification still on its way is dropped. */
  private drawingCleared = false;

  /** The worker client once started (the view's state classes call it directly). */
  get worker(): MicroscopeClient | null {
    return this.client;
  }

  /** Sample indices in reading order (class after class). */
  get sampleOrder(): number[] {
    return this.samples.flat();
  }

  get sampleAccuracy(): { correct: number; total: number } | null {
    const set = this.images;
    if (!set || this.samplePredictions.size === 0) return null;
    let correct = 0;
    for (const [i, c] of this.samplePredictions) if (set.labels[i] === c) correct++;
    return { correct, total: this.samplePredictions.size };
  }

  /**
   * Starts the worker (once) and loads a model from its folder or its file (whose bytes move to
   * the worker), its engine storing conv weights at `precision`.
   */
  async load(modelName: string, source: ModelSource, preferredImage: number | null = null, precision: 'exact' | 'fast' = 'exact'): Promise<void> {
    await this.cancelLoad?.();
    this.forgetModel(modelName);
    const client = await this.startWorker();
    if (!client) return;
    await client.setPrecision(precision);
    const from = source.kind === 'folder' ? source.url : `the file ${source.file.name}`;
    const result = await this.loadInWorker(client, source);
    if (!result) return;
    if (!result.ok) {
      this.loadError = { title: LOAD_FAILURE_TITLES[result.reason], message: result.message, context: `Model "${modelName}" from ${from}` };
      this.phase = 'failed';
      return;
    }
    this.showLoaded(result, preferredImage);
  }

  /** Clears what belonged to the previous model before another one loads. */
  private forgetModel(modelName: string): void {
    this.modelName = modelName;
    this.loadError = null;
    this.runError = null;
    this.prediction = null;
    this.samplePredictions = new Map();
    this.gpuErrors = [];
    this.custom = null;
    this.customKey = null;
    this.imagesWarning = null;
  }

  /** The worker's client, started and given the GPU on first use; null when that failed (the phase says why). */
  private async startWorker(): Promise<MicroscopeClient | null> {
    if (this.client) return this.client;
    this.phase = 'starting';
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
      this.noGpu('This browser does not expose WebGPU (navigator.gpu is missing).');
      return null;
    }
    const client = (this.client = new MicroscopeClient());
    let init;
    try {
      init = await client.init();
    } catch (err) {
      this.fail('The microscope could not start', err);
      this.stopWorker();
      return null;
    }
    if (!init.ok) {
      this.noGpu(init.message);
      this.stopWorker();
      return null;
    }
    this.adapter = init.adapter;
    this.softwareAdapter = init.software;
    return client;
  }

  /**
   * Before the worker has the model, while the page itself fetches its file or asks about it: the
   * loading panel shows this model and progress.
   */
  preparing(modelName: string, progress: Progress): void {
    this.modelName = modelName;
    this.loadError = null;
    this.progress = progress;
    this.phase = 'loading';
  }

  /** The worker loads the model and its image set, showing progress; null when cancelled or when it threw (shown as a failure). */
  private async loadInWorker(client: MicroscopeClient, source: ModelSource): Promise<LoadResult | null> {
    this.phase = 'loading';
    const onProgress = (p: Progress) => (this.progress = p);
    this.progress = { phase: source.kind === 'folder' ? 'Downloading weights' : 'Reading the ONNX file', done: 0, total: 0 };
    const job = source.kind === 'folder' ? client.loadModel(source.url, onProgress) : client.loadModelFile(source.file, source.prep, onProgress);
    this.cancelLoad = job.cancel;
    try {
      return await job.result;
    } catch (err) {
      if (!isCancelled(err)) this.fail('The model could not be loaded', err);
      return null;
    } finally {
      this.cancelLoad = null;
    }
  }

  /** The loaded model and the image set the worker sent (none: the page works on the visitor's images alone). */
  private showLoaded(result: Extract<LoadResult, { ok: true }>, preferredImage: number | null): void {
    this.model = result.model;
    this.loadMs = result.loadMs;
    this.warmupMs = result.warmupMs;
    this.noteGpuErrors(result.gpuErrors);
    const set = result.images;
    this.images = set;
    this.imagesWarning = result.imagesWarning;
    this.samples = set ? samplesPerClass(set, SAMPLES_PER_CLASS) : [];
    this.selected = null;
    this.progress = null;
    this.phase = 'ready';
    const first = set && preferredImage !== null && preferredImage >= 0 && preferredImage < set.count ? preferredImage : this.sampleOrder[0];
    if (first !== undefined) this.select(first);
    void this.classifySamples();
  }

  /** Whether the image set's classes are the model's (its own set): then a label is a class the model predicts. */
  get labelsAreModelClasses(): boolean {
    const set = this.images;
    const model = this.model;
    return !!set && !!model && set.classes.length === model.classes.length && set.classes.every((c, i) => c === model.classes[i]);
  }

  /**
   * Another image set for the loaded model (the visitor's images, the demo photos, or its own
   * again): the worker scores circuits on it and the page shows it, its first sample selected.
   * Resolves to null when it is in use, else to why not.
   */
  async useImageSet(set: ImageSet): Promise<string | null> {
    const client = this.client;
    const model = this.model;
    if (!client || !model || this.phase !== 'ready') return 'No model is loaded.';
    const result = await client.useImageSet(set);
    if (!result.ok) return result.message;
    if (this.model !== model) return 'Another model was loaded meanwhile.';
    this.images = set;
    this.imagesWarning = null;
    this.samples = samplesPerClass(set, SAMPLES_PER_CLASS);
    this.samplePredictions = new Map();
    this.prediction = null;
    // through null, so whatever follows the current image sees a new one even at the same index
    this.selected = null;
    const first = this.sampleOrder[0];
    if (first !== undefined) this.select(first);
    void this.classifySamples();
    return null;
  }

  /** Selects an image of the set and classifies it (coalescing rapid changes). */
  select(index: number): void {
    if (!this.images || index < 0 || index >= this.images.count) return;
    this.selected = index;
    this.drawingCleared = false;
    this.custom = null;
    this.customKey = null;
    void this.classifySelected();
  }

  /** Makes the visitor's image (prepared at the model's input size) the current one and classifies it. */
  selectCustom(image: PreparedImage, label: string): void {
    if (!this.model) return;
    const custom = { input: image.input, pixels: image.pixels, label };
    this.drawingCleared = false;
    this.custom = custom;
    this.customKey = null;
    void this.registerCustom(custom);
  }

  /** The visitor cleared the drawing pad: the blank pad is shown, unclassified, until something is drawn. */
  clearDrawing(blank: PreparedImage, label: string): void {
    if (!this.custom) return;
    this.drawingCleared = true;
    this.custom = { input: blank.input, pixels: blank.pixels, label };
    this.customKey = null;
    this.prediction = null;
  }

  /** Sends the visitor's image to the worker once; its key then names it for classifying, inspecting and ablating. */
  private async registerCustom(custom: CustomImage): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const key = await client.addImage(custom.input.slice());
      if (this.custom !== custom) return;
      this.customKey = key;
      void this.classifySelected();
    } catch (err) {
      if (this.custom === custom) this.runError = `Classification failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** The sample next to the selected one in the grid (dx across classes, dy within a class), or null when there is none. */
  neighbour(dx: number, dy: number): number | null {
    const groups = this.samples;
    if (groups.length === 0) return null;
    let col = groups.findIndex((g) => this.selected !== null && g.includes(this.selected));
    let row = col >= 0 ? groups[col].indexOf(this.selected!) : 0;
    if (col < 0) col = 0;
    if (dx !== 0) {
      // Across classes; wraps to the next/previous row at the ends, like reading order.
      const order = this.sampleOrderByRow();
      const at = order.findIndex(([c, r]) => c === col && r === row);
      const next = order[Math.min(order.length - 1, Math.max(0, at + dx))];
      [col, row] = next;
    } else if (dy !== 0) {
      row = Math.min(groups[col].length - 1, Math.max(0, row + dy));
    }
    const index = groups[col]?.[row];
    return index !== undefined && index !== this.selected ? index : null;
  }

  /** [column, row] of every sample, row by row (the visual reading order of the grid). */
  private sampleOrderByRow(): [number, number][] {
    const rows = Math.max(0, ...this.samples.map((g) => g.length));
    const out: [number, number][] = [];
    for (let r = 0; r < rows; r++) this.samples.forEach((g, c) => r < g.length && out.push([c, r]));
    return out;
  }

  private async classifySelected(): Promise<void> {
    if (this.classifying) {
      this.classifyQueued = true;
      return;
    }
    const client = this.client;
    const model = this.model;
    if (!client || !model) return;
    this.classifying = true;
    try {
      do {
        this.classifyQueued = false;
        const current = this.currentInput();
        if (!current) break;
        const { image, ref } = current;
        const t0 = performance.now();
        const result = await client.classifyImage(ref);
        const roundTripMs = performance.now() - t0;
        if (this.drawingCleared) break;
        this.prediction = {
          image,
          ranked: topK(result.probabilities, result.classes, 0, TOP_K),
          forwardMs: result.forwardMs,
          roundTripMs,
        };
        this.runError = null;
        this.noteGpuErrors(result.gpuErrors);
      } while (this.classifyQueued || (this.prediction && this.prediction.image !== (this.custom ? CUSTOM_IMAGE : this.selected)));
    } catch (err) {
      this.runError = `Classification failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.classifying = false;
    }
  }

  /** The current image as the worker knows it, or null when there is none (or the visitor's is not there yet). */
  private currentInput(): { image: number; ref: ImageRef } | null {
    if (this.custom) return this.customKey === null ? null : { image: CUSTOM_IMAGE, ref: { kind: 'custom', key: this.customKey } };
    if (!this.images || this.selected === null) return null;
    return { image: this.selected, ref: { kind: 'set', index: this.selected } };
  }

  /** One batched pass over every sample, to mark right and wrong predictions in the grid. */
  private async classifySamples(): Promise<void> {
    const client = this.client;
    const set = this.images;
    const model = this.model;
    const order = this.sampleOrder;
    // right and wrong only mean something when the set's classes are the model's
    if (!client || !set || !model || order.length === 0 || !this.labelsAreModelClasses) return;
    try {
      const input = normalizeBatch(order.map((i) => imagePixels(set, i)), model.input);
      const result = await client.classify(input, order.length).result;
      const predictions = new Map<number, number>();
      order.forEach((image, row) => predictions.set(image, argmaxRow(result.probabilities, result.classes, row)));
      if (this.images === set) this.samplePredictions = predictions;
      this.noteGpuErrors(result.gpuErrors);
    } catch (err) {
      if (!isCancelled(err)) this.runError = `Batch classification failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private noteGpuErrors(errors: string[]): void {
    if (errors.length > 0) this.gpuErrors = [...this.gpuErrors, ...errors].slice(0, 5);
  }

  private noGpu(message: string): void {
    this.noGpuMessage = message;
    this.phase = 'no-webgpu';
  }

  private fail(title: string, err: unknown): void {
    this.loadError = {
      title,
      message: err instanceof Error ? err.message : String(err),
      context: this.modelName ? `Model "${this.modelName}"` : undefined,
    };
    this.phase = 'failed';
  }

  private stopWorker(): void {
    this.client?.terminate();
    this.client = null;
  }

  destroy(): void {
    this.stopWorker();
  }
}
