// The circuit diagram's data for the page: the plan of what is drawn, the drawn kernels' weights
// from the worker, each unit's picture (its atlas tile or finished visualization, else its map on
// the current image) as a PNG data: URI, and the SVG made from them by src/lib/export/diagram.ts.

import { circuitDiagramSvg, planDiagram, type DiagramKernel } from '$lib/export/diagram';
import { isUnit } from '$lib/export/diagramPlan';
import { mapToRgba } from '$lib/ui/maps/colormaps';
import type { CircuitResult } from '$lib/worker/protocol';
import type { MicroscopeView } from './microscopeView.svelte';
import { messageOf } from './viewClient';

/** Pictures are scaled up by a whole factor to at least this many pixels a side, pixels kept sharp. */
const PICTURE_MIN_PX = 112;

/** RGBA pixels as a PNG data: URI, enlarged by a whole factor with nearest-neighbour sampling. */
export function rgbaToPngUri(rgba: Uint8ClampedArray, width: number, height: number): string {
  const src = document.createElement('canvas');
  src.width = width;
  src.height = height;
  src.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const k = Math.max(1, Math.ceil(PICTURE_MIN_PX / Math.max(width, height)));
  if (k === 1) return src.toDataURL('image/png');
  const big = document.createElement('canvas');
  big.width = width * k;
  big.height = height * k;
  const ctx = big.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, big.width, big.height);
  return big.toDataURL('image/png');
}

/** The kept count as the diagram's note counts it (every kept kernel), with the cut's own count when linear layers are kept whole. */
export function keptWords(result: CircuitResult, inCircuit: number): string {
  const cut = `${result.kernelsKept} of ${result.kernelsRelevant} prunable kernels kept`;
  return inCircuit === result.kernelsKept ? `${inCircuit} of ${result.kernelsRelevant} kernels kept` : `${inCircuit} kernels in the circuit (${cut}, linear layers kept whole)`;
}

export class CircuitDiagramState {
  svg = $state<string | null>(null);
  error = $state<string | null>(null);
  building = $state(false);
  /** What the drawn SVG shows: kernels and units drawn, of those kept. */
  counts = $state.raw<{ kernels: number[]; units: number[]; note: string | null } | null>(null);
  private built: CircuitResult | null = null;
  private ticket = 0;

  /** Builds the diagram of the circuit on screen (again only when the circuit changed). */
  async build(view: MicroscopeView): Promise<void> {
    const result = view.query.result, graph = view.graph, client = view.client;
    if (!result || !graph || !client) {
      this.svg = null;
      this.built = null;
      return;
    }
    if (result === this.built) return;
    const ticket = ++this.ticket;
    this.built = result;
    this.building = true;
    this.error = null;
    try {
      const plan = planDiagram(graph, result.kept, result.edgeImportance, result.targetNodes);
      const weights = await client.kernels(plan.kernels);
      const kernels = new Map<number, DiagramKernel>(plan.kernels.map((e, i) => [e, weights[i]]));
      const { pictures, note } = await this.pictures(view, plan.nodes.filter((n) => isUnit(graph, n)));
      if (ticket !== this.ticket) return;
      const state = view.drawnState();
      const cut = state.cut.kind === 'keep' ? `top ${+(state.cut.value * 100).toFixed(2)}% of kernels` : `score ≥ ${state.cut.value}`;
      this.svg = circuitDiagramSvg({
        graph, kept: result.kept, importance: result.edgeImportance, targetNodes: result.targetNodes, nodeLabel: view.nodeLabel,
        picture: (n) => pictures.get(n) ?? null, kernels, plan, pictureNote: note,
        title: `${state.model}: circuit of ${result.targetLabel}`,
        subtitle: `${result.imagesLabel} · ${state.criterion} · ${cut} · ${keptWords(result, plan.keptKernels)}`,
      });
      this.counts = { kernels: plan.kernels, units: plan.nodes.filter((n) => isUnit(graph, n)), note: plan.note };
    } catch (err) {
      if (ticket === this.ticket) {
        this.error = `The diagram could not be drawn: ${messageOf(err)}`;
        this.built = null;
      }
    } finally {
      if (ticket === this.ticket) this.building = false;
    }
  }

  /** Each unit's picture: its atlas tile or finished visualization, else its activation map on the current image. */
  private async pictures(view: MicroscopeView, units: number[]): Promise<{ pictures: Map<number, string>; note: string }> {
    const pictures = new Map<number, string>();
    const thumbs = view.graphThumbnails;
    const missing: number[] = [];
    for (const n of units) {
      const t = thumbs?.(n);
      if (t) pictures.set(n, rgbaToPngUri(t.rgba, t.width, t.height));
      else missing.push(n);
    }
    const image = view.imageRef;
    if (missing.length && image && view.client) {
      for (const n of missing) {
        const { map } = await view.client.inspectNode(n, image);
        pictures.set(n, rgbaToPngUri(mapToRgba(map.data, 'sequential', map.min, map.max), map.width, map.height));
      }
    }
    const where = image?.kind === 'set' ? `image #${image.index}` : 'your image';
    const note = !missing.length
      ? 'feature visualizations (what excites each unit most)'
      : missing.length === units.length
        ? `each unit's activation map on ${where} (this model has no precomputed feature visualizations)`
        : `feature visualizations where computed, else the unit's activation map on ${where}`;
    return { pictures, note };
  }
}
