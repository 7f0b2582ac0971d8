// The worker API's feature visualization: runs the optimizer as a cancellable job on the
// loaded model and streams its intermediate frames to the page as they come.
import * as Comlink from 'comlink';
import { newJobId } from './jobs';
import { runViewJob } from './view/jobRun';
import { exclusive, progressFn, releaseCallback, requireLoaded, waitingNote, type WorkerState } from './apiState';
import type { MicroscopeApi, VizFrame } from './protocol';

export function visualizationMethods(state: WorkerState): Pick<MicroscopeApi, 'visualize'> {
  return {
    async visualize(request, jobId = newJobId('visualize'), onProgress, onFrame) {
      try {
        const { visualizer } = requireLoaded(state);
        // Frames go out as they come; a page that closed or is slow never stalls the optimizer.
        const sendFrame = onFrame
          ? (f: VizFrame) => void Promise.resolve(onFrame(Comlink.transfer(f, [f.rgba.buffer as ArrayBuffer]))).catch(() => {})
          : undefined;
        const result = await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) =>
          exclusive(state, () => visualizer.visualize(request, { ...opts, onFrame: sendFrame }), waitingNote(opts)),
        );
        return Comlink.transfer(result, [result.rgba.buffer as ArrayBuffer]);
      } finally {
        releaseCallback(onProgress);
        releaseCallback(onFrame);
      }
    },
  };
}
