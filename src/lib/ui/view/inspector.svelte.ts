// What the inspector shows for the selection: a node's map and incoming kernels or an edge's
// kernel and maps on the current image (fetched from the worker, latest request wins), and the
// exact receptive field of the map pixel under the pointer.

import { receptiveField, type ModelStructure, type Rect } from '$lib/graph/receptiveField';
import type { CircuitGraph, EdgeInspection, ImageRef, NodeInspection } from '$lib/worker/protocol';
import type { Selection } from '$lib/state/url';
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
  private generation = 0;

  async inspect(client: ViewClient, graph: CircuitGraph, selection: Selection, image: ImageRef): Promise<void> {
    const gen = ++this.generation;
    this.hover = null;
    this.error = null;
    if (!selection) {
      this.node = null;
      this.edge = null;
      this.loading = false;
      return;
    }
    const count = selection.kind === 'node' ? graph.nodeCount : graph.edgeCount;
    if (selection.id >= count) {
      this.node = null;
      this.edge = null;
      this.loading = false;
      this.error = `There is no ${selection.kind} ${selection.id} in this model (it has ${count} ${selection.kind}s).`;
      return;
    }
    this.loading = true;
    try {
      if (selection.kind === 'node') {
        const r = await client.inspectNode(selection.id, image);
        if (gen !== this.generation) return;
        this.node = r;
        this.edge = null;
      } else {
        const r = await client.inspectEdge(selection.id, image);
        if (gen !== this.generation) return;
        this.edge = r;
        this.node = null;
      }
    } catch (err) {
      if (gen !== this.generation) return;
      this.node = null;
      this.edge = null;
      this.error = messageOf(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
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
    this.generation++;
    this.node = null;
    this.edge = null;
    this.hover = null;
    this.error = null;
    this.loading = false;
  }
}
