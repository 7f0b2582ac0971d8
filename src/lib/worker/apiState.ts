// What every method of the worker API (api.ts) shares: the environment, the GPU device and
// its uncaught errors, the loaded model with its engine and view session, the job registry
// and the queue that runs engine calls one at a time; plus the small helpers they all use.
import * as Comlink from 'comlink';
import { acquireDevice, type AcquiredDevice } from '$lib/engine/gpu';
import type { Engine, Precision } from '$lib/engine/engine';
import type { WeightOrigin } from '$lib/model/onnx/context';
import type { Model } from '$lib/model/types';
import type { Preprocessing } from '$lib/model/onnx/import';
import type { ImageSet } from '$lib/images/imageSet';
import { JobRegistry, type Progress } from './jobs';
import type { MicroscopeSession, RunOptions } from './view/session';
import { GpuQueue, WAITING_PHASE } from './gpuQueue';
import type { SessionVisualizer } from './view/visualization';
import type { ModelSummary } from './protocol';

/** What the API needs from its surroundings; defaults are the browser's. */
export interface ApiEnvironment {
  acquire?: () => Promise<AcquiredDevice>;
  fetch?: typeof fetch;
  /** How every engine this API builds stores conv weights (EngineOptions.precision); default 'exact'. */
  precision?: Precision;
}

/** Where a model comes from: a folder (model.json, weights.bin and its image set), or an ONNX file's bytes and the visitor's preprocessing. */
export type ModelSource =
  | { kind: 'folder'; url: string }
  | { kind: 'onnx'; name: string; bytes: Uint8Array; prep: Preprocessing };

/** The .onnx file an imported model came from, kept to write its circuits back as files. */
export interface ImportedFile {
  bytes: Uint8Array;
  weightOrigins: Record<string, WeightOrigin>;
}

/** A model ready for queries: its engine, its summary for the page and its view session. */
export interface LoadedModel {
  model: Model;
  engine: Engine;
  summary: ModelSummary;
  session: MicroscopeSession;
  visualizer: SessionVisualizer;
  /** Set for a model imported from an .onnx file. */
  onnx?: ImportedFile;
  /** Where it came from, to load it again on a new device after the GPU was reset. */
  source: ModelSource;
  /** The image set useImageSet put in place of the model's own, to put back after a reset. */
  imagesInUse?: ImageSet;
}

/** The mutable state of one API instance. */
export interface WorkerState {
  fetchFn: typeof fetch;
  acquire: () => Promise<AcquiredDevice>;
  jobs: JobRegistry;
  device: GPUDevice | null;
  adapterDescription: string;
  softwareAdapter: boolean;
  /** Why the device was lost, in plain words; set until a model is loaded on a new device. */
  deviceLostMessage: string | null;
  loaded: LoadedModel | null;
  /** The model that was loaded when the device was lost: the next call that needs it loads it again on a new device. */
  lostModel: LoadedModel | null;
  /** A device being acquired (and the lost model reloaded) after a loss, shared by the calls that wait for it. */
  recovery: Promise<void> | null;
  /** GPU errors nobody caught (invalid shaders, pipelines...) since the last call reported them. */
  gpuErrors: string[];
  /** Engine calls run one at a time: an engine's buffers are not shared between passes. */
  gpuQueue: GpuQueue;
  /** The engines' precision (EngineOptions.precision). */
  precision: Precision;
}

export function createWorkerState(env: ApiEnvironment): WorkerState {
  return {
    fetchFn: env.fetch ?? ((input, init) => fetch(input, init)),
    acquire: env.acquire ?? (() => acquireDevice()),
    jobs: new JobRegistry({ minIntervalMs: 50 }),
    device: null,
    adapterDescription: '',
    softwareAdapter: false,
    deviceLostMessage: null,
    loaded: null,
    lostModel: null,
    recovery: null,
    gpuErrors: [],
    gpuQueue: new GpuQueue(),
    precision: env.precision ?? 'exact',
  };
}

/** The GPU errors raised since the last call that reported them, and forgets them. */
export function takeGpuErrors(state: WorkerState): string[] {
  const errors = state.gpuErrors;
  state.gpuErrors = [];
  return errors;
}

/** Runs engine work after the engine work queued before it. */
export function exclusive<T>(state: WorkerState, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  return state.gpuQueue.run(work, onWait);
}

/** A job queued behind another says so in its progress until it starts. */
export const waitingNote = (opts: RunOptions) => () => opts.progress?.(WAITING_PHASE, 0, 0);

export function requireLoaded(state: WorkerState): LoadedModel {
  if (!state.loaded) throw new Error(state.deviceLostMessage ?? 'No model is loaded.');
  return state.loaded;
}

/** A method's progress callback as the job registry takes it. */
export const progressFn = (onProgress: unknown) => onProgress as ((p: Progress) => unknown) | undefined;

/** The typed arrays of a result, for Comlink.transfer (each buffer once). */
export function buffersOf(value: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(value)) if (ArrayBuffer.isView(v)) out.add(v.buffer as ArrayBuffer);
  return [...out];
}

/** Frees the worker's side of a callback proxy the page passed in. */
export function releaseCallback(fn: unknown): void {
  if (typeof fn === 'function' && Comlink.releaseProxy in fn) {
    (fn as unknown as Record<symbol, () => void>)[Comlink.releaseProxy]();
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
