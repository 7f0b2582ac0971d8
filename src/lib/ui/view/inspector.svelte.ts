// What the inspector shows for the selection: a node's map and incoming kernels or an edge's
// kernel and maps on the current image (fetched from the worker, latest request wins), and the
// exact receptive field of the map pixel under the pointer.

import { receptiveField, type ModelStructure, type Rect } from '$lib/graph/receptiveField';
import type { CircuitGraph, EdgeInspection, ImageRef, NodeInspection } from '$lib/worker/protocol';
import type { Selection } from '$lib/state/url';
import { Latest, SUPERSEDED } from '$lib/ui/latest';
import { messageOf, type ViewClient } from './viewClient';

export interface HoverPixel {
  /** The model layer whose map is hovered. */
  layer: string;
  y: number;
  x: number;
  rect: Rect;
}

export class InspectorState {
  node = $state.raw<NodeInspection | null>(null);
  edge = $state.raw<EdgeInspection | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  hover = $state.raw<HoverPixel | null>(null);
  private readonly requests = new Latest();

  async inspect(client: ViewClient, graph: CircuitGraph, selection: Selection, image: ImageRef): Promise<void> {
    this.hover = null;
    this.error = null;
    const count = selection ? (selection.kind === 'node' ? graph.nodeCount : graph.edgeCount) : 0;
    if (!selection || selection.id >= count) {
      this.clear();
      if (selection) this.error = `There is no ${selection.kind} ${selection.id} in this model (it has ${count} ${selection.kind}s).`;
      return;
    }
    this.loading = true;
    try {
      const r = await this.requests.run(async () =>
        selection.kind === 'node'
          ? { node: await client.inspectNode(selection.id, image), edge: null }
          : { node: null, edge: await client.inspectEdge(selection.id, image) },
      );
      if (r === SUPERSEDED) return;
      this.node = r.node;
      this.edge = r.edge;
    } catch (err) {
      this.node = null;
      this.edge = null;
      this.error = messageOf(err);
    }
    this.loading = false;
  }

  /** The pointer is over pixel (y, x) of a layer's map (null: it left). */
  hoverPixel(model: ModelStructure | null, layer: string, p: { y: number; x: number } | null): void {
    if (!model || !p) {
      this.hover = null;
      return;
    }
    try {
      this.hover = { layer, y: p.y, x: p.x, rect: receptiveField(model, layer, p.y, p.x) };
    } catch {
      this.hover = null;
    }
  }

  clear(): void {
    this.requests.cancel();
    this.node = null;
    this.edge = null;
    this.hover = null;
    this.error = null;
    this.loading = false;
  }
}
