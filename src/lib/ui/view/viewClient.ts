// What the microscope view asks of the worker client (src/lib/worker/client.ts): the graph,
// circuit queries, inspection, ablation, layouts and feature visualization. Long calls are
// RunningJobs (result + cancel); the view never sees GPU objects.

import type { RunningJob, Progress } from '$lib/worker/client';
import type {
  AblationRequest, AblationResult, CircuitGraph, CircuitQuery, CircuitResult, EdgeInspection, ImageRef, Layout,
  KernelData, NodeInspection, PreservationCurveResult, PreservationResult, TopImagesResult, VizFrame, VizRequest, VizResult,
} from '$lib/worker/protocol';

export type { RunningJob, Progress };

export interface ViewClient {
  graph(): Promise<CircuitGraph>;
  circuit(query: CircuitQuery, onProgress?: (p: Progress) => void, onPartial?: (partial: CircuitResult) => void): RunningJob<CircuitResult>;
  inspectNode(node: number, image: ImageRef): Promise<NodeInspection>;
  inspectEdge(edge: number, image: ImageRef): Promise<EdgeInspection>;
  ablate(request: AblationRequest): Promise<AblationResult>;
  preservation(query: CircuitQuery, onProgress?: (p: Progress) => void): RunningJob<PreservationResult>;
  preservationCurve(query: CircuitQuery, keeps?: number[], onProgress?: (p: Progress) => void): RunningJob<PreservationCurveResult>;
  layout(layout: Layout, nodeImportance?: Float32Array | null, onProgress?: (p: Progress) => void): RunningJob<Float32Array>;
  visualize(request: VizRequest, onFrame?: (frame: VizFrame) => void, onProgress?: (p: Progress) => void): RunningJob<VizResult>;
  kernels(edges: number[]): Promise<KernelData[]>;
  topImages(node: number, count?: { top: number; bottom: number }, onProgress?: (p: Progress) => void): RunningJob<TopImagesResult>;
}

/** An error's message for the reader, without a stack or an "Error:" prefix. */
export function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/^(Range|Type)?Error:\s*/, '');
}
