// Ablation: nodes and edges the visitor removed from the network, and what that does to the
// prediction and to the target on the current image (run in the worker after each change).
// What is removed lives in the view state, so the link carries it (url.ts `ablate`).

import type { AblationResult, ImageRef } from '$lib/worker/protocol';
import type { Removed } from '$lib/state/url';
import { Latest, SUPERSEDED } from '$lib/ui/latest';
import { messageOf, type ViewClient } from './viewClient';

/** Where the removed lists are kept (the view state). */
export interface RemovedStore {
  removed: Removed;
}

export class AblationState {
  result = $state.raw<AblationResult | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  private readonly requests = new Latest();

  constructor(private readonly store: RemovedStore) {}

  get removedEdges(): number[] {
    return this.store.removed.edges;
  }

  get removedNodes(): number[] {
    return this.store.removed.nodes;
  }

  get active(): boolean {
    return this.removedEdges.length + this.removedNodes.length > 0;
  }

  has(kind: 'node' | 'edge', id: number): boolean {
    return (kind === 'node' ? this.removedNodes : this.removedEdges).includes(id);
  }

  /** Per-edge and per-node masks (1 = removed) for drawing on the graph; null when nothing is removed. */
  masks(edgeCount: number, nodeCount: number): { edges: Uint8Array; nodes: Uint8Array } | null {
    if (!this.active) return null;
    const edges = new Uint8Array(edgeCount);
    const nodes = new Uint8Array(nodeCount);
    for (const e of this.removedEdges) if (e >= 0 && e < edgeCount) edges[e] = 1;
    for (const n of this.removedNodes) if (n >= 0 && n < nodeCount) nodes[n] = 1;
    return { edges, nodes };
  }

  /** Removes a node or edge, or puts it back. */
  toggle(kind: 'node' | 'edge', id: number): void {
    const list = kind === 'node' ? this.removedNodes : this.removedEdges;
    const next = list.includes(id) ? list.filter((v) => v !== id) : [...list, id];
    const r = this.store.removed;
    this.store.removed = kind === 'node' ? { nodes: next, edges: r.edges } : { nodes: r.nodes, edges: next };
  }

  /** Puts everything back. */
  clear(): void {
    this.store.removed = { nodes: [], edges: [] };
    this.reset();
  }

  /** Forgets the last result (a new model); what is removed stays. */
  reset(): void {
    this.requests.cancel();
    this.result = null;
    this.error = null;
    this.running = false;
  }

  async run(client: ViewClient, image: ImageRef, target: string): Promise<void> {
    if (!this.active) {
      this.reset();
      return;
    }
    this.running = true;
    this.error = null;
    try {
      const r = await this.requests.run(() => client.ablate({ image, removedEdges: this.removedEdges, removedNodes: this.removedNodes, target }));
      if (r === SUPERSEDED) return;
      this.result = r;
    } catch (err) {
      this.error = messageOf(err);
    }
    this.running = false;
  }
}
