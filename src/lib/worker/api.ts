// The microscope worker's API as plain code: device, model, engine, image sets and the view
// session, behind the MicroscopeApi of protocol.ts. The worker script exposes it over Comlink;
// tests drive it over a MessageChannel with a test device and a fetch that reads files.
// Every call on the loaded model first recovers from a GPU reset (onLiveDevice).
import { createWorkerState, type ApiEnvironment, type WorkerState } from './apiState';
import { loadingMethods, onLiveDevice } from './apiLoading';
import { inspectionMethods } from './apiInspection';
import { circuitMethods } from './apiCircuits';
import { exportMethods } from './apiExport';
import { visualizationMethods } from './apiVisualization';
import { imageSetMethods } from './apiImages';
import { unitMethods } from './apiUnits';
import type { MicroscopeApi } from './protocol';

export type { ApiEnvironment } from './apiState';

/** A fresh API with its own device, model and jobs. */
export function createMicroscopeApi(env: ApiEnvironment = {}): MicroscopeApi {
  const state = createWorkerState(env);
  return {
    ...loadingMethods(state),
    ...onLive(state, inspectionMethods(state)),
    async cancel(jobId) {
      return state.jobs.cancel(jobId);
    },
    ...onLive(state, circuitMethods(state)),
    ...onLive(state, exportMethods(state)),
    ...onLive(state, visualizationMethods(state)),
    ...onLive(state, imageSetMethods(state)),
    ...onLive(state, unitMethods(state)),
  };
}

/** The same methods, each run on a live device with the model loaded (after a GPU reset, a new device and the model again). */
function onLive<T extends object>(state: WorkerState, methods: T): T {
  const wrapped = Object.entries(methods).map(([name, method]) => [
    name,
    (...args: unknown[]) => onLiveDevice(state, () => (method as (...a: unknown[]) => Promise<unknown>)(...args)),
  ]);
  return Object.fromEntries(wrapped) as T;
}
