// The worker API's questions about single images: classifying a batch of images, keeping the
// visitor's image under a key, classifying one image, what one filter or kernel does to an
// image, and the prediction with parts of the network ablated.
// Results travel back to the page with their typed arrays transferred, not copied.
import * as Comlink from 'comlink';
import type { Engine } from '$lib/engine/engine';
import { newJobId, type Job } from './jobs';
import { softmaxRows } from './scores';
import { buffersOf, exclusive, progressFn, releaseCallback, requireLoaded, takeGpuErrors, type WorkerState } from './apiState';
import type { ClassifyResult, MicroscopeApi } from './protocol';

export function inspectionMethods(state: WorkerState): Pick<MicroscopeApi, 'classify' | 'addImage' | 'classifyImage' | 'inspectNode' | 'inspectEdge' | 'ablate'> {
  return {
    async classify(images, count, jobId = newJobId('classify'), onProgress): Promise<ClassifyResult> {
      try {
        const { engine, model } = requireLoaded(state);
        const { channels, height, width } = model.input;
        const size = channels * height * width;
        if (!Number.isInteger(count) || count < 1 || images.length !== count * size) {
          throw new RangeError(`classify: ${images.length} values is not ${count} images of ${channels}x${height}x${width}`);
        }
        const batches: ImageBatches = { images, count, size, classes: model.classes.length };
        const result = await state.jobs.run(jobId, progressFn(onProgress), (job) => classifyJob(state, engine, batches, job));
        return Comlink.transfer(result, [result.logits.buffer, result.probabilities.buffer]);
      } finally {
        releaseCallback(onProgress);
      }
    },

    async addImage(pixels) {
      const { session } = requireLoaded(state);
      return session.addImage(pixels);
    },

    async classifyImage(image) {
      const { session, model } = requireLoaded(state);
      const { logits, forwardMs } = await exclusive(state, async () => {
        const r = await session.classify(image);
        // Let errors raised by this pass's commands arrive before reporting them.
        await state.device?.queue.onSubmittedWorkDone();
        return r;
      });
      const classes = model.classes.length;
      const result: ClassifyResult = { count: 1, classes, logits, probabilities: softmaxRows(logits, 1, classes), forwardMs, gpuErrors: takeGpuErrors(state) };
      return Comlink.transfer(result, [result.logits.buffer, result.probabilities.buffer]);
    },

    async inspectNode(node, image) {
      const { session } = requireLoaded(state);
      const r = await exclusive(state, () => session.inspectNode(node, image));
      return Comlink.transfer(r, [r.map.data.buffer as ArrayBuffer, ...r.incoming.map((e) => e.kernel.weights.buffer as ArrayBuffer)]);
    },

    async inspectEdge(edge, image) {
      const { session } = requireLoaded(state);
      const r = await exclusive(state, () => session.inspectEdge(edge, image));
      const buffers = new Set([r.kernel.weights, r.input.data, r.preSum.data, r.output.data].map((a) => a.buffer as ArrayBuffer));
      return Comlink.transfer(r, [...buffers]);
    },

    async ablate(request) {
      const { session } = requireLoaded(state);
      const r = await exclusive(state, () => session.ablate(request));
      return Comlink.transfer(r, buffersOf(r));
    },
  };
}

/** `count` images of `size` values each, to be scored over `classes` classes. */
interface ImageBatches {
  images: Float32Array;
  count: number;
  size: number;
  classes: number;
}

/** The body of a classify job: forward passes of at most the engine's batch, one at a time on the GPU. */
async function classifyJob(state: WorkerState, engine: Engine, { images, count, size, classes }: ImageBatches, job: Job): Promise<ClassifyResult> {
  const logits = new Float32Array(count * classes);
  const step = Math.max(1, engine.maxBatch);
  let forwardMs = 0;
  for (let start = 0; start < count; start += step) {
    job.throwIfCancelled();
    const n = Math.min(step, count - start);
    const batch = images.subarray(start * size, (start + n) * size);
    const out = await exclusive(state, async () => {
      const t = performance.now();
      const scores = await engine.logits(batch, n);
      forwardMs += performance.now() - t;
      return scores;
    });
    logits.set(out.subarray(0, n * classes), start * classes);
    job.progress('Classifying', start + n, count);
  }
  // Let errors raised by this pass's commands arrive before reporting them.
  await state.device?.queue.onSubmittedWorkDone();
  const probabilities = softmaxRows(logits, count, classes);
  return { count, classes, logits, probabilities, forwardMs, gpuErrors: takeGpuErrors(state) };
}
