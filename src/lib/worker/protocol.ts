// The microscope worker's API as the page sees it: plain, structured-clonable data only
// (no GPU objects, no engine classes). Expected failures come back as values, not throws.

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
}

export type InitResult =
  | { ok: true; adapter: string; software: boolean }
  | { ok: false; reason: 'no-webgpu'; message: string };

export type LoadFailure = {
  ok: false;
  /** format: a bad model file; network: could not fetch; gpu: no device; engine: the engine refused it. */
  reason: 'format' | 'network' | 'gpu' | 'engine';
  message: string;
};

export type LoadResult =
  | {
      ok: true;
      model: ModelSummary;
      loadMs: number;
      warmupMs: number;
      /** GPU validation errors raised while building and warming up the engine. */
      gpuErrors: string[];
    }
  | LoadFailure;

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

export interface MicroscopeApi {
  /** Acquires the GPU device; call once before anything else. */
  init(): Promise<InitResult>;
  /** Fetches a model folder (URL ending in '/') and builds the engine for it; replaces any earlier model. */
  loadModel(folderUrl: string, jobId?: string, onProgress?: (p: import('./jobs').Progress) => unknown): Promise<LoadResult>;
  /** Classifies `count` normalized NCHW images of the loaded model's input size. */
  classify(images: Float32Array, count: number, jobId?: string, onProgress?: (p: import('./jobs').Progress) => unknown): Promise<ClassifyResult>;
  /** Cancels a running job; false if it already finished. */
  cancel(jobId: string): Promise<boolean>;
}
