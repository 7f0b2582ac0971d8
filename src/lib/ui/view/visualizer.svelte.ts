// A feature visualization of the selected node or edge, optimized in the worker: frames shown
// live as they stream, progress with time left, Cancel; one at a time.

import type { CircuitQuery, VizFrame, VizRequest, VizResult } from '$lib/worker/protocol';
import { JobRun } from './jobRun.svelte';
import type { ViewClient } from './viewClient';

export class Visualizer extends JobRun<VizResult> {
  /** What is being (or was) visualized, e.g. "node:12". */
  unit = $state<string | null>(null);
  frame = $state.raw<VizFrame | null>(null);
  result = $state.raw<VizResult | null>(null);

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
      (r) => (this.result = r),
    );
  }

  cancel(): Promise<void> {
    return this.stopJob();
  }

  /** Forgets the shown visualization (another selection). */
  clear(): void {
    void this.cancel();
    this.unit = null;
    this.frame = null;
    this.result = null;
    this.error = null;
  }
}
