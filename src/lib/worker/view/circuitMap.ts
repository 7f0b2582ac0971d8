// Completes a circuit for the page: kept / relevant / importance per graph edge and node.
// Junction edges, which are not kernels, are kept when both their ends lie on the circuit.

import type { Model } from '../../model/types';
import type { Target } from '../../engine/targets';
import type { Circuit } from '../../circuits/circuit';
import { normalizeScores } from '../../circuits/circuit';
import type { Scores } from '../../circuits/saliency';
import type { ModelGraph } from '../../graph/types';
import { nodesOfChannels, walkBack, walkForward } from '../../graph/walks';
import { targetChannels } from '../../circuits/relevance';
import type { CircuitResult } from '../protocol';

/** The per-edge and per-node parts of a circuit result (protocol.ts describes each). */
export type GraphCircuit = Pick<
  CircuitResult,
  'edgeImportance' | 'edgeScores' | 'kept' | 'keptBeforeEffective' | 'relevant' | 'nodesKept' | 'nodeImportance' | 'nodeScores' | 'targetNodes'
>;

/** Min-max over the entries flagged in `use`, within each group of `ranges`; others 0. */
function normalizeWhere(values: Float32Array, use: Uint8Array, ranges: [number, number][]): Float32Array {
  const out = new Float32Array(values.length);
  for (const [a, b] of ranges) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = a; i < b; i++) if (use[i]) { lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]); }
    const span = hi - lo;
    for (let i = a; i < b; i++) out[i] = use[i] ? (span > 0 ? (values[i] - lo) / span : 1) : 0;
  }
  return out;
}

export function circuitInGraphOrder(
  model: Model, graph: ModelGraph, target: Target, scores: Scores, circuit: Circuit, perLayer: boolean,
): GraphCircuit {
  const g = graph;
  const targetIds = targetChannels(model, g, target);
  const reachesTarget = walkBack(g, targetIds).channels;
  const back = walkBack(g, targetIds, circuit.kept).channels;
  const forward = walkForward(g, circuit.kept);
  const targetNodes = nodesOfChannels(g, targetIds);

  const nodesKept = new Uint8Array(graph.nodeCount);
  const nodeRelevant = new Uint8Array(graph.nodeCount);
  for (let n = 0; n < graph.nodeCount; n++) {
    const ch = g.channelOfNode[n];
    nodesKept[n] = back[ch] && forward[ch] ? 1 : 0;
    nodeRelevant[n] = reachesTarget[ch];
  }
  for (const n of targetNodes) nodesKept[n] = 1;

  const kept = circuit.kept.slice();
  const relevant = scores.relevant.slice();
  const edgeScores = scores.edges.slice();
  const edgeImportance = normalizeScores(g, scores, perLayer);

  // Junction edges: kept when both ends are on the circuit; importance the smaller of the
  // strongest kernel importance at either end.
  const strongest = new Float32Array(graph.nodeCount);
  for (let e = 0; e < graph.edgeCount; e++) {
    if (!g.edgeIsKernel[e]) continue;
    const v = edgeImportance[e];
    const s = graph.edgeSource[e];
    const t = graph.edgeTarget[e];
    if (v > strongest[s]) strongest[s] = v;
    if (v > strongest[t]) strongest[t] = v;
  }
  for (let e = 0; e < graph.edgeCount; e++) {
    if (g.edgeIsKernel[e]) continue;
    const s = graph.edgeSource[e];
    const t = graph.edgeTarget[e];
    relevant[e] = nodeRelevant[s] && nodeRelevant[t] ? 1 : 0;
    kept[e] = nodesKept[s] && nodesKept[t] ? 1 : 0;
    edgeImportance[e] = relevant[e] ? Math.min(strongest[s], strongest[t]) : 0;
  }

  // Node scores of the criterion, per unit node, normalized over relevant nodes.
  const raw = new Float32Array(graph.nodeCount);
  const scored = new Uint8Array(graph.nodeCount);
  const ranges: [number, number][] = [];
  graph.layers.forEach((gl, li) => {
    const s = g.kernelLayerOf[li];
    const values = s ? scores.nodes.get(s.name) : undefined;
    if (!values) return;
    for (let c = 0; c < gl.nodeCount; c++) {
      const n = gl.nodeStart + c;
      raw[n] = nodeRelevant[n] ? values[c] : 0;
      scored[n] = nodeRelevant[n];
    }
    if (perLayer) ranges.push([gl.nodeStart, gl.nodeStart + gl.nodeCount]);
  });
  const nodeImportance = normalizeWhere(raw, scored, perLayer ? ranges : [[0, graph.nodeCount]]);
  return { edgeImportance, edgeScores, kept, keptBeforeEffective: circuit.keptBeforeEffective.slice(), relevant, nodesKept, nodeImportance, nodeScores: raw, targetNodes };
}
