// The microscope worker's API as plain code: device, model, engine, image set and the view
// session, behind the MicroscopeApi of protocol.ts. The worker script exposes it over Comlink;
// tests drive it over a MessageChannel with a test device and a fetch that reads files.
import * as Comlink from 'comlink';
import { acquireDevice, GpuUnavailableError, type AcquiredDevice } from '$lib/engine/gpu';
import { Engine } from '$lib/engine/engine';
import { fetchModel } from '$lib/model/load';
import type { Model } from '$lib/model/types';
import { fetchImageSet, type ImageSet } from '$lib/images/imageSet';
import type { CircuitGraph, ModelGraph } from '$lib/graph/types';
import { drawnGraph } from '$lib/graph/build';
import { JobRegistry, newJobId, type Job, type Progress } from './jobs';
import { softmaxRows } from './scores';
import { MicroscopeSession, type RunOptions } from './view/session';
import { GpuQueue, WAITING_PHASE } from './gpuQueue';
import { runViewJob } from './view/jobRun';
import { SessionVisualizer } from './view/visualization';
import type { ClassifyResult, ImagesSummary, InitResult, LoadResult, MicroscopeApi, ModelSummary, VizFrame } from './protocol';

interface Loaded {
  model: Model;
  engine: Engine;
  summary: ModelSummary;
  session: MicroscopeSession;
  visualizer: SessionVisualizer;
}

/** What the API needs from its surroundings; defaults are the browser's. */
export interface ApiEnvironment {
  acquire?: () => Promise<AcquiredDevice>;
  fetch?: typeof fetch;
}

function summarize(model: Model, engine: Engine): ModelSummary {
  let parameterCount = 0;
  const layers = model.layers.map((l) => {
    for (const p of Object.values(l.params)) parameterCount += p.length;
    return { name: l.name, op: l.op, inputs: [...l.inputs], shape: [...l.shape], params: { ...l.paramShapes }, attrs: structuredClone(l.attrs), flow: structuredClone(l.flow) };
  });
  const { name, channels, height, width, mean, std } = model.input;
  return {
    name: model.name,
    description: model.description,
    input: { name, channels, height, width, mean: [...mean], std: [...std] },
    classes: [...model.classes],
    layers,
    output: model.output,
    parameterCount,
    maxBatch: engine.maxBatch,
  };
}

function summarizeImages(images: ImageSet): ImagesSummary {
  const splits: Record<string, number> = {};
  for (const [name, indices] of Object.entries(images.splits)) splits[name] = indices.length;
  return { count: images.count, classes: [...images.classes], splits };
}

/** A copy of the graph whose typed arrays can be transferred without detaching the session's. */
function graphCopy(graph: ModelGraph): { graph: CircuitGraph; buffers: ArrayBuffer[] } {
  const copy = structuredClone(drawnGraph(graph));
  const buffers = new Set<ArrayBuffer>();
  for (const v of Object.values(copy)) if (ArrayBuffer.isView(v)) buffers.add(v.buffer as ArrayBuffer);
  for (const l of copy.layers) if (l.inputStarts) buffers.add(l.inputStarts.buffer as ArrayBuffer);
  return { graph: copy, buffers: [...buffers] };
}


/** The typed arrays of a result, for Comlink.transfer (each buffer once). */
function buffersOf(value: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(value)) if (ArrayBuffer.isView(v)) out.add(v.buffer as ArrayBuffer);
  return [...out];
}


function releaseCallback(fn: unknown): void {
  if (typeof fn === 'function' && Comlink.releaseProxy in fn) {
    (fn as unknown as Record<symbol, () => void>)[Comlink.releaseProxy]();
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A fresh API with its own device, model and jobs. */
export function createMicroscopeApi(env: ApiEnvironment = {}): MicroscopeApi {
  const fetchFn: typeof fetch = env.fetch ?? ((input, init) => fetch(input, init));
  const acquire = env.acquire ?? (() => acquireDevice());
  const jobs = new JobRegistry({ minIntervalMs: 50 });
  let device: GPUDevice | null = null;
  let adapterDescription = '';
  let softwareAdapter = false;
  let deviceLostMessage: string | null = null;
  let loaded: Loaded | null = null;
  /** GPU errors nobody caught (invalid shaders, pipelines...) since the last call reported them. */
  let gpuErrors: string[] = [];

  function takeGpuErrors(): string[] {
    const errors = gpuErrors;
    gpuErrors = [];
    return errors;
  }

  /** Engine calls run one at a time: an engine's buffers are not shared between passes. */
  const gpuQueue = new GpuQueue();
  const exclusive = <T>(work: () => Promise<T>, onWait?: () => void): Promise<T> => gpuQueue.run(work, onWait);
  /** A job queued behind another says so in its progress until it starts. */
  const waitingNote = (opts: RunOptions) => () => opts.progress?.(WAITING_PHASE, 0, 0);

  /** A fetch that reads bodies in chunks, reporting bytes received across all files of the job. */
  function fetchWithProgress(job: Job, httpFailures: string[]): typeof fetch {
    const received = new Map<string, number>();
    const expected = new Map<string, number>();
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      job.progress(`Requesting ${url.split('/').pop() ?? url}`, sum(received), 0);
      const response = await fetchFn(input, { ...init, signal: job.signal });
      const file = url.split('/').pop() ?? url;
      if (!response.ok) httpFailures.push(`${file}: HTTP ${response.status}`);
      if (!response.ok || !response.body) return response;
      expected.set(file, Number(response.headers.get('content-length')) || 0);
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        received.set(file, bytes);
        job.progress(`Downloading ${file}`, sum(received), Math.max(sum(expected), sum(received)));
      }
      const body = new Uint8Array(bytes);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  function requireLoaded(): Loaded {
    if (!loaded) throw new Error(deviceLostMessage ?? 'No model is loaded.');
    return loaded;
  }

  const api: MicroscopeApi = {
    async init(): Promise<InitResult> {
      if (device) return { ok: true, adapter: adapterDescription, software: softwareAdapter };
      try {
        const acquired = await acquire();
        device = acquired.device;
        adapterDescription = acquired.adapterDescription;
        softwareAdapter = acquired.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|warp|software/i.test(adapterDescription);
        device.addEventListener('uncapturederror', (event) => {
          const message = (event as GPUUncapturedErrorEvent).error.message;
          // Results computed after such an error cannot be trusted; keep the first few.
          if (gpuErrors.length < 5) gpuErrors.push(message);
          console.error(`WebGPU error: ${message}`);
        });
        device.lost.then((info) => {
          deviceLostMessage = `The GPU device was lost (${info.reason}): ${info.message}`;
          device = null;
          loaded = null;
        });
        return { ok: true, adapter: adapterDescription, software: softwareAdapter };
      } catch (err) {
        const message = err instanceof GpuUnavailableError ? err.message : `WebGPU could not start: ${errorMessage(err)}`;
        return { ok: false, reason: 'no-webgpu', message };
      }
    },

    async loadModel(folderUrl, jobId = newJobId('load'), onProgress): Promise<LoadResult> {
      try {
        if (!device) {
          return { ok: false, reason: 'gpu', message: deviceLostMessage ?? 'No GPU device: call init() first.' };
        }
        const gpu = device;
        return await jobs.run(jobId, onProgress as ((p: Progress) => unknown) | undefined, async (job) => {
          const t0 = performance.now();
          let model: Model;
          const httpFailures: string[] = [];
          try {
            model = await fetchModel(folderUrl, fetchWithProgress(job, httpFailures));
          } catch (err) {
            job.throwIfCancelled();
            // A file that could not be fetched is a download problem even when the loader
            // words it as a format error; anything else the loader rejects is the file's fault.
            const isFormat = (err as Error)?.name === 'ModelFormatError' && httpFailures.length === 0;
            return { ok: false, reason: isFormat ? 'format' : 'network', message: errorMessage(err) } as const;
          }
          job.throwIfCancelled();
          job.progress('Building GPU pipelines', 0, 1);
          let engine: Engine;
          try {
            engine = Engine.create(gpu, model);
          } catch (err) {
            return { ok: false, reason: 'engine', message: errorMessage(err) } as const;
          }
          const loadMs = performance.now() - t0;
          // One forward pass on a blank image compiles every pipeline now, so that the
          // first timing the page shows is a forward pass, not shader compilation.
          const t1 = performance.now();
          const { channels, height, width } = model.input;
          try {
            await exclusive(() => engine.logits(new Float32Array(channels * height * width), 1));
          } catch (err) {
            engine.destroy();
            return { ok: false, reason: 'engine', message: errorMessage(err) } as const;
          }
          const warmupMs = performance.now() - t1;
          job.progress('Building GPU pipelines', 1, 1);
          if (job.cancelled) {
            engine.destroy();
            job.throwIfCancelled();
          }
          // The model's own images (scoring and evaluation splits); a model without them still
          // classifies and inspects custom images, and says why circuits need them.
          let images: ImageSet | null = null;
          let imagesWarning: string | null = null;
          try {
            images = await fetchImageSet(folderUrl, fetchWithProgress(job, []));
          } catch (err) {
            if (job.cancelled) engine.destroy();
            job.throwIfCancelled();
            imagesWarning = `The model's image set could not be loaded: ${errorMessage(err)}`;
          }
          let session: MicroscopeSession;
          try {
            try {
              session = new MicroscopeSession(engine, images);
            } catch (err) {
              if (!images) throw err;
              // The model itself may be fine and only its images not fit it.
              session = new MicroscopeSession(engine, null);
              imagesWarning = `The model's image set does not fit the model: ${errorMessage(err)}`;
              images = null;
            }
          } catch (err) {
            engine.destroy();
            return { ok: false, reason: 'engine', message: errorMessage(err) } as const;
          }
          if (job.cancelled) {
            engine.destroy();
            job.throwIfCancelled();
          }
          const previous = loaded;
          if (previous) void exclusive(async () => previous.engine.destroy());
          loaded = { model, engine, summary: summarize(model, engine), session, visualizer: new SessionVisualizer(session) };
          return {
            ok: true, model: loaded.summary, images: images && summarizeImages(images), imagesWarning, loadMs, warmupMs, gpuErrors: takeGpuErrors(),
          } as const;
        });
      } finally {
        releaseCallback(onProgress);
      }
    },

    async classify(images, count, jobId = newJobId('classify'), onProgress): Promise<ClassifyResult> {
      try {
        if (!loaded) throw new Error(deviceLostMessage ?? 'No model is loaded.');
        const { engine, model } = loaded;
        const { channels, height, width } = model.input;
        const size = channels * height * width;
        if (!Number.isInteger(count) || count < 1 || images.length !== count * size) {
          throw new RangeError(`classify: ${images.length} values is not ${count} images of ${channels}x${height}x${width}`);
        }
        const classes = model.classes.length;
        const result = await jobs.run(jobId, onProgress as ((p: Progress) => unknown) | undefined, async (job) => {
          const logits = new Float32Array(count * classes);
          const step = Math.max(1, engine.maxBatch);
          let forwardMs = 0;
          for (let start = 0; start < count; start += step) {
            job.throwIfCancelled();
            const n = Math.min(step, count - start);
            const batch = images.subarray(start * size, (start + n) * size);
            const out = await exclusive(async () => {
              const t = performance.now();
              const scores = await engine.logits(batch, n);
              forwardMs += performance.now() - t;
              return scores;
            });
            logits.set(out.subarray(0, n * classes), start * classes);
            job.progress('Classifying', start + n, count);
          }
          // Let errors raised by this pass's commands arrive before reporting them.
          await device?.queue.onSubmittedWorkDone();
          const probabilities = softmaxRows(logits, count, classes);
          return { count, classes, logits, probabilities, forwardMs, gpuErrors: takeGpuErrors() };
        });
        return Comlink.transfer(result, [result.logits.buffer, result.probabilities.buffer]);
      } finally {
        releaseCallback(onProgress);
      }
    },

    async cancel(jobId) {
      return jobs.cancel(jobId);
    },

    async graph() {
      const { session } = requireLoaded();
      const { graph, buffers } = graphCopy(session.graph);
      return Comlink.transfer(graph, buffers);
    },

    async circuit(query, jobId = newJobId('circuit'), onProgress) {
      try {
        const { session } = requireLoaded();
        const result = await runViewJob(jobs, jobId, onProgress as ((p: Progress) => unknown) | undefined, (opts) => exclusive(() => session.circuit(query, opts), waitingNote(opts)));
        return Comlink.transfer(result, buffersOf(result));
      } finally {
        releaseCallback(onProgress);
      }
    },

    async inspectNode(node, image) {
      const { session } = requireLoaded();
      const r = await exclusive(() => session.inspectNode(node, image));
      return Comlink.transfer(r, [r.map.data.buffer as ArrayBuffer, ...r.incoming.map((e) => e.kernel.weights.buffer as ArrayBuffer)]);
    },

    async inspectEdge(edge, image) {
      const { session } = requireLoaded();
      const r = await exclusive(() => session.inspectEdge(edge, image));
      const buffers = new Set([r.kernel.weights, r.input.data, r.preSum.data, r.output.data].map((a) => a.buffer as ArrayBuffer));
      return Comlink.transfer(r, [...buffers]);
    },

    async ablate(request) {
      const { session } = requireLoaded();
      const r = await exclusive(() => session.ablate(request));
      return Comlink.transfer(r, buffersOf(r));
    },

    async preservation(query, jobId = newJobId('preservation'), onProgress) {
      try {
        const { session } = requireLoaded();
        return await runViewJob(jobs, jobId, onProgress as ((p: Progress) => unknown) | undefined, (opts) => exclusive(() => session.preservation(query, opts), waitingNote(opts)));
      } finally {
        releaseCallback(onProgress);
      }
    },

    async layout(layout, nodeImportance, jobId = newJobId('layout'), onProgress) {
      try {
        const { session } = requireLoaded();
        const positions = await runViewJob(jobs, jobId, onProgress as ((p: Progress) => unknown) | undefined, (opts) =>
          exclusive(() => session.layout(layout, nodeImportance ?? null, opts), waitingNote(opts)),
        );
        return Comlink.transfer(positions, [positions.buffer as ArrayBuffer]);
      } finally {
        releaseCallback(onProgress);
      }
    },

    async visualize(request, jobId = newJobId('visualize'), onProgress, onFrame) {
      try {
        const { visualizer } = requireLoaded();
        // Frames go out as they come; a page that closed or is slow never stalls the optimizer.
        const sendFrame = onFrame
          ? (f: VizFrame) => void Promise.resolve(onFrame(Comlink.transfer(f, [f.rgba.buffer as ArrayBuffer]))).catch(() => {})
          : undefined;
        const result = await runViewJob(jobs, jobId, onProgress as ((p: Progress) => unknown) | undefined, (opts) =>
          exclusive(() => visualizer.visualize(request, { ...opts, onFrame: sendFrame }), waitingNote(opts)),
        );
        return Comlink.transfer(result, [result.rgba.buffer as ArrayBuffer]);
      } finally {
        releaseCallback(onProgress);
        releaseCallback(onFrame);
      }
    },
  };
  return api;
}
