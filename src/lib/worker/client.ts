// The page's handle on the microscope worker: starts the module worker, wraps it with
// Comlink, and offers job helpers (progress callback + cancel) over the raw API.
import * as Comlink from 'comlink';
import { newJobId, type Progress } from './jobs';
import type { ClassifyResult, InitResult, LoadResult, MicroscopeApi } from './protocol';

export { isCancelled } from './jobs';
export type { ClassifyResult, InitResult, LoadResult, ModelSummary, Progress } from './protocol';

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

  loadModel(folderUrl: string, onProgress?: (p: Progress) => void): RunningJob<LoadResult> {
    const id = newJobId('load');
    const callback = onProgress ? Comlink.proxy(onProgress) : undefined;
    return {
      id,
      result: this.guard(this.api.loadModel(folderUrl, id, callback) as Promise<LoadResult>),
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

  terminate(): void {
    this.api[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}
