// The circuit on screen as files: SVG and PNG diagrams and JSON (kept kernels, scores,
// settings, the permalink), built from what the page already holds and saved locally.

import { circuitJson, circuitPng, circuitSvg, download, safeFilename } from '$lib/export';
import type { CircuitGraph, CircuitResult, OnnxExportResult } from '$lib/worker/protocol';
import type { ViewState } from '$lib/state/url';

export interface ExportInput {
  graph: CircuitGraph;
  positions: Float32Array;
  result: CircuitResult;
  state: ViewState;
  nodeLabel: (n: number) => string;
  url: string;
  /** For a model opened from an .onnx file: the worker writes the circuit back into it. */
  onnx: ((kept: Uint8Array) => Promise<OnnxExportResult>) | null;
}

export type ExportKind = 'svg' | 'png' | 'json' | 'onnx';

function baseName(i: ExportInput): string {
  return safeFilename(`${i.state.model} ${i.state.target} ${i.state.criterion} ${i.state.cut.kind} ${i.state.cut.value}`.replace(/[\s:]+/g, '_'), 'circuit');
}

export function svgOf(i: ExportInput): string {
  const cut = i.state.cut.kind === 'keep' ? `top ${(i.state.cut.value * 100).toFixed(1)}% of kernels` : `score ≥ ${i.state.cut.value}`;
  return circuitSvg({
    graph: i.graph,
    positions: i.positions,
    kept: i.result.kept,
    importance: i.result.edgeImportance,
    nodeLabel: i.nodeLabel,
    title: `${i.state.model}: circuit of ${i.result.targetLabel}`,
    subtitle: `${i.result.imagesLabel} · ${i.state.criterion} · ${cut} · ${i.result.kernelsKept} of ${i.result.kernelsRelevant} kernels`,
    targetNodes: i.result.targetNodes,
  });
}

/** Builds and saves one export; resolves once the file is handed to the browser. */
export async function exportCircuit(kind: ExportKind, i: ExportInput): Promise<void> {
  const name = baseName(i);
  if (kind === 'svg') return download(svgOf(i), `${name}.svg`, 'image/svg+xml');
  if (kind === 'png') return download(await circuitPng(svgOf(i), 2), `${name}.png`, 'image/png');
  if (kind === 'onnx') {
    if (!i.onnx) throw new Error('only a model opened from an .onnx file can be exported as one');
    const r = await i.onnx(i.result.kept);
    if (!r.ok) throw new Error(r.message);
    return download(new Blob([r.bytes], { type: 'application/octet-stream' }), `${name}.pruned.onnx`, 'application/octet-stream');
  }
  const json = circuitJson({
    model: i.state.model,
    target: i.state.target,
    images: i.state.images,
    criterion: i.state.criterion,
    cut: i.state.cut,
    graph: i.graph,
    kept: i.result.kept,
    scores: i.result.edgeScores,
    importance: i.result.edgeImportance,
    nodeLabel: i.nodeLabel,
    layers: i.result.layers,
    url: i.url,
    settings: { perLayer: i.state.perLayer, linear: !!i.result.query.linear, imageCount: i.result.imageCount },
    relevant: i.result.relevant,
    keptBeforeEffective: i.result.keptBeforeEffective,
    nodes: { scores: i.result.nodeScores, importance: i.result.nodeImportance, kept: i.result.nodesKept },
    forceSchedule: i.result.forceSchedule,
  });
  download(json, `${name}.json`, 'application/json');
}
