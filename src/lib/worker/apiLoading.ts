// The worker API's start-up methods: acquiring the GPU device (init) and loading a model in
// steps: reading it (a model folder downloaded, or an ONNX file's bytes imported), engine and
// warm-up pass, the model's image set and the view session; each step either succeeds or says
// why the model could not be loaded. The worker is the only one that downloads the image set;
// the page gets a copy to show. A lost device (a GPU reset) is replaced on the next call that
// needs it, and the model that was loaded is loaded again on the new one (onLiveDevice).
import * as Comlink from 'comlink';
import { GpuUnavailableError, type AcquiredDevice } from '$lib/engine/gpu';
import { Engine } from '$lib/engine/engine';
import { tuneSaliency } from '$lib/circuits/tuningSaliency';
import { fetchModel } from '$lib/model/load';
import type { Model } from '$lib/model/types';
import { importOnnx } from '$lib/model/onnx/import';
import { fetchImageSet, type ImageSet } from '$lib/images/imageSet';
import { isCancelled, newJobId, type Job } from './jobs';
import { MicroscopeSession } from './view/session';
import { SessionVisualizer } from './view/visualization';
import { fetchWithProgress } from './progressFetch';
import { modelLoadFailure } from './loadFailure';
import { kernelChoiceStore } from './kernelChoices';
import { errorMessage, exclusive, progressFn, releaseCallback, takeGpuErrors, type ImportedFile, type LoadedModel, type ModelSource, type WorkerState } from './apiState';
import type { InitResult, LoadFailure, LoadResult, MicroscopeApi, ModelSummary } from './protocol';

/** What an imported model says instead of showing images: it brings none. */
export const NO_IMAGE_SET_WARNING = 'This model has no image set yet: drop a folder of images (one subfolder per class) or use the demo photos.';

export function loadingMethods(state: WorkerState): Pick<MicroscopeApi, 'init' | 'loadModel' | 'loadModelFile' | 'setPrecision' | 'loseDeviceForTest'> {
  /** Runs a load as a job on the device; the previous model stays until the new one is ready. */
  async function load(source: ModelSource, jobId: string, onProgress: unknown): Promise<LoadResult> {
    try {
      if (!state.device && state.deviceLostMessage) {
        // a new device for the model asked for; the lost one is loaded again only if this load fails and another call needs it
        try {
          await (state.recovery ??= reacquire(state).finally(() => (state.recovery = null)));
        } catch (err) {
          return { ok: false, reason: 'gpu', message: errorMessage(err) };
        }
      }
      if (!state.device) {
        return { ok: false, reason: 'gpu', message: state.deviceLostMessage ?? 'No GPU device: call init() first.' };
      }
      const gpu = state.device;
      const result = await state.jobs.run(jobId, progressFn(onProgress), (job) => loadModelJob(state, gpu, source, job));
      // a load the GPU reset interrupted says so, not what failed on the lost device
      if (!result.ok && result.reason === 'engine' && (await wasLost(state, gpu))) return lostDuringLoad(state);
      return transferImagePixels(result);
    } finally {
      releaseCallback(onProgress);
    }
  }
  return {
    init: () => initDevice(state),
    loadModel: (folderUrl, jobId = newJobId('load'), onProgress) => load({ kind: 'folder', url: folderUrl }, jobId, onProgress),
    loadModelFile: (file, prep, jobId = newJobId('load'), onProgress) =>
      load({ kind: 'onnx', name: file.name.replace(/\.onnx$/i, ''), bytes: new Uint8Array(file.bytes), prep }, jobId, onProgress),
    async setPrecision(precision) {
      if (precision !== 'exact' && precision !== 'fast') throw new Error(`unknown precision "${String(precision)}": expected exact or fast`);
      state.precision = precision;
    },
    async loseDeviceForTest() {
      if (!state.device) return false;
      state.device.destroy();
      return true;
    },
  };
}

/**
 * Runs a call that needs the GPU and the loaded model: after a GPU reset, first on a new device
 * with the model loaded again (and the image set it was using put back); a call the reset
 * interrupts fails saying so in plain words, and the next one recovers.
 */
export async function onLiveDevice<T>(state: WorkerState, work: () => Promise<T>): Promise<T> {
  if (state.deviceLostMessage && (!state.device || (!state.loaded && state.lostModel))) {
    await (state.recovery ??= recover(state).finally(() => (state.recovery = null)));
  }
  const device = state.device;
  try {
    return await work();
  } catch (err) {
    if (device && !isCancelled(err) && (await wasLost(state, device))) throw new Error(state.deviceLostMessage ?? 'The GPU was reset.');
    throw err;
  }
}

/** Whether the device was lost: its lost promise may settle just after the call that failed on it. */
async function wasLost(state: WorkerState, device: GPUDevice): Promise<boolean> {
  if (state.device !== device) return true;
  const lost = await Promise.race([device.lost.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 250))]);
  return lost;
}

/** A new device after a loss, without a model on it yet. */
async function reacquire(state: WorkerState): Promise<void> {
  const lostMessage = state.deviceLostMessage;
  try {
    attachDevice(state, await state.acquire());
  } catch (err) {
    throw new Error(`${lostMessage} A new GPU device could not be started: ${errorMessage(err)}`);
  }
}

/** A new device after a loss, with the model that was loaded loaded again on it. */
async function recover(state: WorkerState): Promise<void> {
  if (!state.device) await reacquire(state);
  const lost = state.lostModel;
  const gpu = state.device;
  if (!lost || state.loaded || !gpu) return;
  const result = await state.jobs.run(newJobId('reload'), undefined, (job) => loadModelJob(state, gpu, lost.source, job));
  if (!result.ok) throw new Error(`${state.deviceLostMessage} Loading "${lost.model.name}" again failed: ${result.message}`);
  const loaded = state.loaded as LoadedModel | null; // set by the load just run
  if (lost.imagesInUse && loaded) {
    await exclusive(state, async () => loaded.session.useImages(lost.imagesInUse!));
    loaded.imagesInUse = lost.imagesInUse;
  }
}

async function initDevice(state: WorkerState): Promise<InitResult> {
  if (state.device) return { ok: true, adapter: state.adapterDescription, software: state.softwareAdapter };
  try {
    attachDevice(state, await state.acquire());
    return { ok: true, adapter: state.adapterDescription, software: state.softwareAdapter };
  } catch (err) {
    const message = err instanceof GpuUnavailableError ? err.message : `WebGPU could not start: ${errorMessage(err)}`;
    return { ok: false, reason: 'no-webgpu', message };
  }
}

/** Makes a device the worker's, reporting its uncaught errors and remembering, if it is lost, why and which model was on it. */
function attachDevice(state: WorkerState, acquired: AcquiredDevice): void {
  const device = acquired.device;
  state.device = device;
  state.adapterDescription = acquired.adapterDescription;
  state.softwareAdapter = acquired.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|warp|software/i.test(state.adapterDescription);
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    // Results computed after such an error cannot be trusted; keep the first few.
    if (state.gpuErrors.length < 5) state.gpuErrors.push(message);
    console.error(`WebGPU error: ${message}`);
  });
  void device.lost.then((info) => {
    if (state.device !== device) return;
    const detail = info.message.trim().replace(/\.$/, '') || info.reason;
    const why = detail.charAt(0).toLowerCase() + detail.slice(1);
    state.deviceLostMessage = `The GPU was reset (${why}): the microscope reconnects on your next action.`;
    state.device = null;
    state.lostModel = state.loaded ?? state.lostModel;
    state.loaded = null;
  });
}

const lostDuringLoad = (state: WorkerState): LoadFailure => ({ ok: false, reason: 'gpu', message: state.deviceLostMessage ?? 'The GPU was reset.' });

function isLoadFailure(value: object): value is LoadFailure {
  return 'ok' in value && value.ok === false;
}

const engineFailure = (err: unknown): LoadFailure => ({ ok: false, reason: 'engine', message: errorMessage(err) });

/** The body of a load job: every step, then the new model replaces the loaded one. */
async function loadModelJob(state: WorkerState, gpu: GPUDevice, source: ModelSource, job: Job): Promise<LoadResult> {
  const t0 = performance.now();
  const read = source.kind === 'folder' ? await downloadModel(state, source.url, job) : importModel(source, job);
  if (isLoadFailure(read)) return read;
  const { model, onnx } = 'model' in read ? read : { model: read, onnx: undefined };
  job.throwIfCancelled();
  job.progress('Building GPU pipelines', 0, 1);
  let engine: Engine;
  try {
    engine = Engine.create(gpu, model, { precision: state.precision });
  } catch (err) {
    return engineFailure(err);
  }
  const loadMs = performance.now() - t0;
  const warmupMs = await warmUp(state, engine, model);
  if (typeof warmupMs !== 'number') return warmupMs;
  job.progress('Building GPU pipelines', 1, 1);
  destroyIfCancelled(engine, job);
  const { images, imagesWarning } =
    source.kind === 'folder' ? await downloadImages(state, source.url, job, engine) : { images: null, imagesWarning: NO_IMAGE_SET_WARNING };
  const opened = openSession(engine, images, imagesWarning);
  if (isLoadFailure(opened)) return opened;
  destroyIfCancelled(engine, job);
  if (state.device !== gpu) return lostDuringLoad(state);
  const loaded = replaceLoaded(state, source, model, engine, opened.session, onnx);
  return {
    ok: true, model: loaded.summary, images: opened.images && pageCopy(opened.images), imagesWarning: opened.imagesWarning, loadMs, warmupMs, gpuErrors: takeGpuErrors(state),
  } as const;
}

/** The model's files; a failure says whether the download or the files themselves were at fault. */
async function downloadModel(state: WorkerState, folderUrl: string, job: Job): Promise<Model | LoadFailure> {
  const httpFailures: string[] = [];
  try {
    return await fetchModel(folderUrl, fetchWithProgress(state.fetchFn, job, httpFailures), { gpuLimits: state.device?.limits });
  } catch (err) {
    job.throwIfCancelled();
    // only a failed download is a download problem; a file the loader refuses is the file's fault (format or size)
    return modelLoadFailure(err, httpFailures.length > 0);
  }
}

/** An ONNX file turned into a model; a file the importer refuses is the file's fault, anything else the engine's. */
function importModel(source: Extract<ModelSource, { kind: 'onnx' }>, job: Job): { model: Model; onnx: ImportedFile } | LoadFailure {
  job.progress('Reading the ONNX file', 0, 1);
  try {
    const imported = importOnnx(source.bytes, source.name, source.prep);
    return { model: imported.model, onnx: { bytes: source.bytes, weightOrigins: imported.weightOrigins } };
  } catch (err) {
    // a file the importer refuses is the file's fault: its format, or its size (ModelSizeError)
    return (err as Error)?.name === 'ModelFormatError' ? modelLoadFailure(err) : engineFailure(err);
  } finally {
    job.progress('Reading the ONNX file', 1, 1);
  }
}

const kernelChoices = kernelChoiceStore();

/**
 * Times the conv and actgrad-reduction kernel families on this GPU (once per adapter and layer
 * shape; later loads read the stored choice). Software adapters keep the per-shape defaults
 * (ops/conv2d.ts defaultConvVariant, measured there) without paying for timing; a failed tuning
 * keeps them too.
 */
async function tuneKernels(state: WorkerState, engine: Engine): Promise<void> {
  if (state.softwareAdapter) return;
  const opts = { store: kernelChoices, adapterKey: state.adapterDescription || undefined };
  await engine.tune(opts).catch(() => undefined);
  await tuneSaliency(engine, opts).catch(() => undefined);
}

/**
 * One forward pass on a blank image compiles every pipeline now, so that the first timing
 * the page shows is a forward pass, not shader compilation. Returns its time in ms
 * (with the kernel tuning before it).
 */
async function warmUp(state: WorkerState, engine: Engine, model: Model): Promise<number | LoadFailure> {
  const t1 = performance.now();
  const { channels, height, width } = model.input;
  try {
    await exclusive(state, async () => {
      await tuneKernels(state, engine);
      return engine.logits(new Float32Array(channels * height * width), 1);
    });
  } catch (err) {
    engine.destroy();
    return engineFailure(err);
  }
  return performance.now() - t1;
}

function destroyIfCancelled(engine: Engine, job: Job): void {
  if (job.cancelled) {
    engine.destroy();
    job.throwIfCancelled();
  }
}

/**
 * The model's own images (scoring and evaluation splits); a model without them still
 * classifies and inspects custom images, and says why circuits need them.
 */
async function downloadImages(state: WorkerState, folderUrl: string, job: Job, engine: Engine): Promise<{ images: ImageSet | null; imagesWarning: string | null }> {
  try {
    return { images: await fetchImageSet(folderUrl, fetchWithProgress(state.fetchFn, job, [])), imagesWarning: null };
  } catch (err) {
    if (job.cancelled) engine.destroy();
    job.throwIfCancelled();
    return { images: null, imagesWarning: `The model's image set could not be loaded: ${errorMessage(err)}` };
  }
}

interface OpenedSession {
  session: MicroscopeSession;
  images: ImageSet | null;
  imagesWarning: string | null;
}

/** The view session over the engine and its images, or over the engine alone when the images do not fit the model. */
function openSession(engine: Engine, images: ImageSet | null, imagesWarning: string | null): OpenedSession | LoadFailure {
  try {
    try {
      return { session: new MicroscopeSession(engine, images), images, imagesWarning };
    } catch (err) {
      if (!images) throw err;
      // The model itself may be fine and only its images not fit it.
      const session = new MicroscopeSession(engine, null);
      return { session, images: null, imagesWarning: `The model's image set does not fit the model: ${errorMessage(err)}` };
    }
  } catch (err) {
    engine.destroy();
    return engineFailure(err);
  }
}

/** Makes the new model the loaded one; the previous engine is destroyed once its queued work is done. */
function replaceLoaded(state: WorkerState, source: ModelSource, model: Model, engine: Engine, session: MicroscopeSession, onnx?: ImportedFile): LoadedModel {
  const previous = state.loaded;
  if (previous) void exclusive(state, async () => previous.engine.destroy());
  // a model on the new device ends the recovery from a GPU reset
  state.deviceLostMessage = null;
  state.lostModel = null;
  state.loaded = { model, engine, summary: { ...summarize(model, engine), imported: !!onnx }, session, visualizer: new SessionVisualizer(session), onnx, source };
  return state.loaded;
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
    precision: engine.precision,
  };
}

/** The image set for the page to show: its own pixels, so that moving them to the page leaves the session's intact. */
function pageCopy(images: ImageSet): ImageSet {
  return { ...images, pixels: images.pixels.slice() };
}

/** Marks the page's copy of the pixels to be moved (not cloned) when the result crosses to the page. */
function transferImagePixels(result: LoadResult): LoadResult {
  return result.ok && result.images ? Comlink.transfer(result, [result.images.pixels.buffer]) : result;
}
