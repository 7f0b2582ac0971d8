// A circuit as JSON ('cnn-microscope-circuit/1'): the query's settings, counts, and every
// kept kernel with its layer, output and input channel, source and target labels and score,
// so a circuit can be read back by other tools or compared across models.

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
  /** Kept identity edges into residual add junctions (not kernels, no weights of their own). */
  junctions: { layer: string; channel: number; addend: number; source: string; target: string }[];
  layers?: unknown[];
}

/** A float32 as the shortest decimal that reads back to the same float32; NaN and infinities as null. */
function f32(v: number): number | null {
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
  };
}

export function circuitJson(input: CircuitJsonInput): string {
  return JSON.stringify(circuitDocument(input), null, 1) + '\n';
}
