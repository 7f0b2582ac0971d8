// A circuit as JSON ('cnn-microscope-circuit/1'): the query's settings, counts, every kept
// kernel with its layer, output and input channel, source and target labels and score, and,
// when given, every relevant kernel's score with whether the cut and the effective mask kept it,
// the node scores and FORCE's schedule: so a circuit can be read back by other tools.

import type { CircuitGraph } from '../graph/types';

export const CIRCUIT_FORMAT = 'cnn-microscope-circuit/1';

export interface CircuitJsonInput {
  model: string;
  target: string;
  images: string;
  criterion: string;
  cut: { kind: 'keep' | 'threshold'; value: number };
  graph: CircuitGraph;
  kept: Uint8Array;
  scores: Float32Array;
  importance: Float32Array;
  nodeLabel: (n: number) => string;
  layers?: unknown[];
  url?: string;
  /** The rest of the query's settings, e.g. { perLayer, linear }. */
  settings?: Record<string, unknown>;
  /** Per graph edge: 1 for kernels on a path to the target; with it, `relevant` lists them all. */
  relevant?: Uint8Array;
  /** Per graph edge: what the cut kept before the effective mask. */
  keptBeforeEffective?: Uint8Array;
  /** Per graph node: raw node score, normalized importance and whether the circuit goes through it. */
  nodes?: { scores: Float32Array; importance: Float32Array; kept: Uint8Array };
  forceSchedule?: number[] | null;
}

/** A relevant kernel: its score, and whether the cut and then the effective mask kept it. */
export interface RelevantKernel {
  layer: string;
  out: number;
  in: number;
  score: number | null;
  cut: 0 | 1;
  kept: 0 | 1;
}

export interface CircuitKernel {
  layer: string;
  /** Output channel (the target filter) and input channel within the layer's weight (per group for grouped conv). */
  out: number;
  in: number;
  source: string;
  target: string;
  /** Graph node indices of the source and target filter. */
  sourceNode: number;
  targetNode: number;
  /** The criterion's raw score, and min-max normalized importance in [0, 1]. */
  score: number | null;
  importance: number | null;
  /** Sign of the kernel's sum: 1, -1 or 0. */
  sign: number;
}

export interface CircuitDocument {
  format: typeof CIRCUIT_FORMAT;
  model: string;
  target: string;
  images: string;
  criterion: string;
  cut: { kind: 'keep' | 'threshold'; value: number };
  url?: string;
  counts: { kernelsKept: number; kernels: number; filtersKept: number; filters: number; junctionsKept: number };
  kernels: CircuitKernel[];
  /** Kept edges into junctions (residual adds, channel-scale muls): not kernels, no weights of their own. */
  junctions: { layer: string; channel: number; addend: number; source: string; target: string }[];
  layers?: unknown[];
  settings?: Record<string, unknown>;
  relevant?: RelevantKernel[];
  nodes?: { node: number; label: string; score: number | null; importance: number | null; kept: 0 | 1 }[];
  forceSchedule?: number[] | null;
}

/** A float32 as the shortest decimal that reads back to the same float32; NaN and infinities as null. */
export function f32(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  for (let p = 6; p < 10; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === Math.fround(v)) return s;
  }
  return v;
}

export function circuitDocument(input: CircuitJsonInput): CircuitDocument {
  const { graph, kept, scores, importance, nodeLabel } = input;
  for (const [name, a] of [['kept', kept], ['scores', scores], ['importance', importance]] as const)
    if (a.length !== graph.edgeCount) throw new RangeError(`${name} has ${a.length} entries, the graph has ${graph.edgeCount} edges`);
  if (input.cut.kind !== 'keep' && input.cut.kind !== 'threshold') throw new RangeError(`unknown cut "${String(input.cut.kind)}" (keep or threshold)`);
  const kernels: CircuitKernel[] = [];
  const junctions: CircuitDocument['junctions'] = [];
  const nodeOn = new Uint8Array(graph.nodeCount);
  let kernelCount = 0;
  for (let e = 0; e < graph.edgeCount; e++) {
    const g = graph.layers[graph.edgeLayer[e]];
    const isKernel = g.kind === 'kernels';
    if (isKernel) kernelCount++;
    if (kept[e] !== 1) continue;
    const s = graph.edgeSource[e], t = graph.edgeTarget[e];
    nodeOn[s] = nodeOn[t] = 1;
    if (isKernel) {
      kernels.push({
        layer: g.name, out: graph.edgeOut[e], in: graph.edgeIn[e], source: String(nodeLabel(s)), target: String(nodeLabel(t)),
        sourceNode: s, targetNode: t, score: f32(scores[e]), importance: f32(importance[e]), sign: graph.edgeSign[e],
      });
    } else {
      junctions.push({ layer: g.name, channel: graph.edgeOut[e], addend: graph.edgeIn[e], source: String(nodeLabel(s)), target: String(nodeLabel(t)) });
    }
  }
  return {
    format: CIRCUIT_FORMAT,
    model: input.model,
    target: input.target,
    images: input.images,
    criterion: input.criterion,
    cut: { kind: input.cut.kind, value: input.cut.value },
    ...(input.url !== undefined ? { url: input.url } : {}),
    counts: { kernelsKept: kernels.length, kernels: kernelCount, filtersKept: nodeOn.reduce((a, b) => a + b, 0), filters: graph.nodeCount, junctionsKept: junctions.length },
    kernels,
    junctions,
    ...(input.layers !== undefined ? { layers: input.layers } : {}),
    ...(input.settings !== undefined ? { settings: input.settings } : {}),
    ...(input.relevant ? { relevant: relevantKernels(input) } : {}),
    ...(input.nodes ? { nodes: scoredNodes(input) } : {}),
    ...(input.forceSchedule !== undefined ? { forceSchedule: input.forceSchedule } : {}),
  };
}

function relevantKernels(input: CircuitJsonInput): RelevantKernel[] {
  const { graph, relevant, keptBeforeEffective, kept, scores } = input;
  const out: RelevantKernel[] = [];
  for (let e = 0; e < graph.edgeCount; e++) {
    if (!relevant![e] || graph.layers[graph.edgeLayer[e]].kind !== 'kernels') continue;
    out.push({
      layer: graph.layers[graph.edgeLayer[e]].name, out: graph.edgeOut[e], in: graph.edgeIn[e], score: f32(scores[e]),
      cut: (keptBeforeEffective ?? kept)[e] ? 1 : 0, kept: kept[e] ? 1 : 0,
    });
  }
  return out;
}

/** Filters with a node score (on a path to the target), in graph order. */
function scoredNodes(input: CircuitJsonInput): NonNullable<CircuitDocument['nodes']> {
  const { scores, importance, kept } = input.nodes!;
  const out: NonNullable<CircuitDocument['nodes']> = [];
  for (let n = 0; n < input.graph.nodeCount; n++) {
    if (scores[n] === 0 && importance[n] === 0) continue;
    out.push({ node: n, label: String(input.nodeLabel(n)), score: f32(scores[n]), importance: f32(importance[n]), kept: kept[n] ? 1 : 0 });
  }
  return out;
}

export function circuitJson(input: CircuitJsonInput): string {
  return JSON.stringify(circuitDocument(input), null, 1) + '\n';
}
