// The worker API's circuit queries on the loaded model: its graph, a circuit for a query,
// the circuit's preservation on held-out images (at its keep, or as a curve over keep
// fractions) and node layouts; long ones run as jobs
// that wait their turn on the GPU (and say so) and can be cancelled.
import * as Comlink from 'comlink';
import type { CircuitGraph, ModelGraph } from '$lib/graph/types';
import type { CircuitResult } from './protocol';
import { drawnGraph } from '$lib/graph/build';
import { newJobId } from './jobs';
import { runViewJob } from './view/jobRun';
import { buffersOf, exclusive, progressFn, releaseCallback, requireLoaded, waitingNote, type WorkerState } from './apiState';
import type { MicroscopeApi } from './protocol';

export function circuitMethods(state: WorkerState): Pick<MicroscopeApi, 'graph' | 'circuit' | 'preservation' | 'preservationCurve' | 'layout'> {
  return {
    async graph() {
      const { session } = requireLoaded(state);
      const { graph, buffers } = graphCopy(session.graph);
      return Comlink.transfer(graph, buffers);
    },

    async circuit(query, jobId = newJobId('circuit'), onProgress, onPartial) {
      try {
        const { session } = requireLoaded(state);
        // Provisional circuits go to the page as they come; the scoring does not wait for the page.
        const partial = onPartial
          ? (r: CircuitResult) => void Promise.resolve(onPartial(Comlink.transfer(r, buffersOf(r)))).catch(() => {})
          : undefined;
        const result = await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) => exclusive(state, () => session.circuit(query, { ...opts, partial }), waitingNote(opts)));
        return Comlink.transfer(result, buffersOf(result));
      } finally {
        releaseCallback(onProgress);
        releaseCallback(onPartial);
      }
    },

    async preservation(query, jobId = newJobId('preservation'), onProgress) {
      try {
        const { session } = requireLoaded(state);
        return await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) => exclusive(state, () => session.preservation(query, opts), waitingNote(opts)));
      } finally {
        releaseCallback(onProgress);
      }
    },

    async preservationCurve(query, keeps, jobId = newJobId('preservation-curve'), onProgress) {
      try {
        const { session } = requireLoaded(state);
        return await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) =>
          exclusive(state, () => session.preservationCurve(query, keeps, opts), waitingNote(opts)),
        );
      } finally {
        releaseCallback(onProgress);
      }
    },

    async layout(layout, nodeImportance, jobId = newJobId('layout'), onProgress) {
      try {
        const { session } = requireLoaded(state);
        const positions = await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) =>
          exclusive(state, () => session.layout(layout, nodeImportance ?? null, opts), waitingNote(opts)),
        );
        return Comlink.transfer(positions, [positions.buffer as ArrayBuffer]);
      } finally {
        releaseCallback(onProgress);
      }
    },
  };
}

/** A copy of the graph whose typed arrays can be transferred without detaching the session's. */
function graphCopy(graph: ModelGraph): { graph: CircuitGraph; buffers: ArrayBuffer[] } {
  const copy = structuredClone(drawnGraph(graph));
  const buffers = new Set<ArrayBuffer>();
  for (const v of Object.values(copy)) if (ArrayBuffer.isView(v)) buffers.add(v.buffer as ArrayBuffer);
  for (const l of copy.layers) if (l.inputStarts) buffers.add(l.inputStarts.buffer as ArrayBuffer);
  return { graph: copy, buffers: [...buffers] };
}
