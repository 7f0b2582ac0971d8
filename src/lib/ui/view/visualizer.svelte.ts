// A feature visualization of the selected node or edge, optimized in the worker: frames shown
// live as they stream, progress with time left, Cancel; one at a time. Finished node
// visualizations are kept for the graph's thumbnails until another model is loaded.

import type { CircuitQuery, VizFrame, VizRequest, VizResult } from '$lib/worker/protocol';
import { JobRun } from './jobRun.svelte';
import type { ViewClient } from './viewClient';

export class Visualizer extends JobRun<VizResult> {
  /** What is being (or was) visualized, e.g. "node:12". */
  unit = $state<string | null>(null);
  frame = $state.raw<VizFrame | null>(null);
  result = $state.raw<VizResult | null>(null);
  /** Finished visualizations of nodes (through the whole network), by graph node. */
  visualized = $state.raw<ReadonlyMap<number, { rgba: Uint8ClampedArray; width: number; height: number }>>(new Map());

  async start(client: ViewClient, unit: VizRequest['unit'], circuit?: CircuitQuery, steps?: number): Promise<void> {
    await this.stopJob();
    this.unit = unit.kind === 'node' ? `node:${unit.node}` : unit.kind === 'edge' ? `edge:${unit.edge}` : unit.objective;
    this.frame = null;
    this.result = null;
    await this.runJob(
      (onProgress, current) =>
        client.visualize(
          { unit, circuit, settings: steps ? { steps } : undefined },
          (f) => {
            if (current()) this.frame = f;
          },
          onProgress,
        ),
      (r) => {
        this.result = r;
        if (unit.kind === 'node' && !circuit) this.visualized = new Map(this.visualized).set(unit.node, { rgba: r.rgba, width: r.width, height: r.height });
      },
    );
  }

  cancel(): Promise<void> {
    return this.stopJob();
  }

  /** Forgets the shown visualization and the finished ones (another model). */
  clear(): void {
    this.visualized = new Map();
    void this.cancel();
    this.unit = null;
    this.frame = null;
    this.result = null;
    this.error = null;
  }
}
