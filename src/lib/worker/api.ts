// The microscope worker's API as plain code: device, model, engine, image sets and the view
// session, behind the MicroscopeApi of protocol.ts. The worker script exposes it over Comlink;
// tests drive it over a MessageChannel with a test device and a fetch that reads files.
import { createWorkerState, type ApiEnvironment } from './apiState';
import { loadingMethods } from './apiLoading';
import { inspectionMethods } from './apiInspection';
import { circuitMethods } from './apiCircuits';
import { exportMethods } from './apiExport';
import { visualizationMethods } from './apiVisualization';
import { imageSetMethods } from './apiImages';
import type { MicroscopeApi } from './protocol';

export type { ApiEnvironment } from './apiState';

/** A fresh API with its own device, model and jobs. */
export function createMicroscopeApi(env: ApiEnvironment = {}): MicroscopeApi {
  const state = createWorkerState(env);
  return {
    ...loadingMethods(state),
    ...inspectionMethods(state),
    async cancel(jobId) {
      return state.jobs.cancel(jobId);
    },
    ...circuitMethods(state),
    ...exportMethods(state),
    ...visualizationMethods(state),
    ...imageSetMethods(state),
  };
}
