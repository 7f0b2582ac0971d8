// The complete record of one circuit query, for files and other tools (the command line's
// --json): the page's circuit document (export/json.ts) plus every setting, node scores per
// layer and preservation. Built from what MicroscopeSession returns; no GPU work here.

import type { Model } from '../../model/types';
import type { ModelGraph } from '../../graph/types';
import type { CircuitQuery, CircuitResult, LayerStats, PreservationResult } from '../protocol';
import { circuitDocument, f32, type CircuitDocument } from '../../export/json';
import { canonicalTarget, parseTarget } from '../../circuits/querySpec';
import { DEFAULT_SEED } from '../../circuits/saliency';

export type ReportSettings = {
  model: string;
  /** The target as asked, as canonical text (parses back to the same target) and in words. */
  targetAsked: string;
  target: string;
  targetLabel: string;
  images: string;
  imagesLabel: string;
  criterion: string;
  cut: { kind: 'keep' | 'threshold'; value: number };
  perLayer: boolean;
  linear: boolean;
  /** The random criterion's seed. */
  seed: number;
  /** Scoring images used over all image-set terms, and the cap per term (null: none). */
  scoringImages: number;
  scoringImagesPerTerm: number | null;
  /** Evaluation images preservation ran on (null: not asked), and the cap (null: none). */
  evaluationImages: number | null;
  evaluationImagesCap: number | null;
};

/** One layer of filters: each filter's node score (null: not on a path to the target) and whether the circuit keeps it. */
export interface LayerNodeScores {
  layer: string;
  scores: (number | null)[];
  kept: (0 | 1)[];
}

/** The cut's outcome over the kernels it may prune. */
export interface ReportSummary {
  kernelsKept: number;
  kernelsRelevant: number;
  sparsity: number;
  /** The target does not change on these images, so every kernel scores the same. */
  dead: boolean;
  /** Why the circuit is empty, or null. */
  emptyReason: string | null;
}

export interface CircuitReport extends CircuitDocument {
  settings: ReportSettings;
  summary: ReportSummary;
  layers: LayerStats[];
  nodeScores: LayerNodeScores[];
  preservation: PreservationResult | null;
}

/** A graph node's name: the class for an output unit, layer:channel otherwise (as the page names it). */
export function graphNodeLabel(model: Model, graph: ModelGraph, node: number): string {
  const layer = graph.layers[graph.nodeLayer[node]];
  const channel = graph.nodeChannel[node];
  if (layer.name === model.output && model.classes[channel]) return model.classes[channel];
  return `${layer.name}:${channel}`;
}

function reportSettings(model: Model, result: CircuitResult, preservation: PreservationResult | null): ReportSettings {
  const q: CircuitQuery = result.query;
  return {
    model: model.name,
    targetAsked: q.target,
    target: canonicalTarget(parseTarget(q.target, model), model),
    targetLabel: result.targetLabel,
    images: q.images,
    imagesLabel: result.imagesLabel,
    criterion: q.criterion,
    cut: { kind: q.cut.kind, value: q.cut.value },
    perLayer: !!q.perLayer,
    linear: !!q.linear,
    seed: DEFAULT_SEED,
    scoringImages: result.imageCount,
    scoringImagesPerTerm: q.scoringImages ?? null,
    evaluationImages: preservation ? preservation.images : null,
    evaluationImagesCap: q.evaluationImages ?? null,
  };
}

/** Node scores of every layer of filters, channel by channel. */
function layerNodeScores(graph: ModelGraph, result: CircuitResult): LayerNodeScores[] {
  return graph.layers
    .filter((l) => l.kind === 'kernels')
    .map((l) => {
      const nodes = Array.from({ length: l.nodeCount }, (_, k) => l.nodeStart + k);
      const onPath = (n: number) => graph.inEdges.subarray(graph.inStart[n], graph.inStart[n + 1]).some((e) => result.relevant[e] === 1);
      return {
        layer: l.name,
        scores: nodes.map((n) => (onPath(n) ? f32(result.nodeScores[n]) : null)),
        kept: nodes.map((n): 0 | 1 => (result.nodesKept[n] ? 1 : 0)),
      };
    });
}

/** The record of a circuit (and its preservation, when measured); `url` is the page's link to it. */
export function circuitReport(
  model: Model, graph: ModelGraph, result: CircuitResult, preservation: PreservationResult | null, url?: string,
): CircuitReport {
  const settings = reportSettings(model, result, preservation);
  const document = circuitDocument({
    model: model.name,
    target: settings.target,
    images: result.query.images,
    criterion: result.query.criterion,
    cut: settings.cut,
    graph,
    kept: result.kept,
    scores: result.edgeScores,
    importance: result.edgeImportance,
    nodeLabel: (n) => graphNodeLabel(model, graph, n),
    layers: result.layers,
    url,
    relevant: result.relevant,
    keptBeforeEffective: result.keptBeforeEffective,
    nodes: { scores: result.nodeScores, importance: result.nodeImportance, kept: result.nodesKept },
    forceSchedule: result.forceSchedule,
  });
  const { kernelsKept, kernelsRelevant, sparsity, dead, emptyReason } = result;
  return {
    ...document, settings, summary: { kernelsKept, kernelsRelevant, sparsity, dead, emptyReason }, layers: result.layers,
    nodeScores: layerNodeScores(graph, result), preservation,
  };
}
