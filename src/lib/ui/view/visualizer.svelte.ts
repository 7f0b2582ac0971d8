// A feature visualization of the selected node or edge, optimized in the worker: frames shown
// live as they stream, progress with time left, Cancel; one at a time.

import { isCancelled } from '$lib/worker/client';
import type { CircuitQuery, VizFrame, VizRequest, VizResult } from '$lib/worker/protocol';
import { EtaClock } from './eta';
import { messageOf, type Progress, type RunningJob, type ViewClient } from './viewClient';

export class Visualizer {
  /** What is being (or was) visualized, e.g. "node:12". */
  unit = $state<string | null>(null);
  frame = $state.raw<VizFrame | null>(null);
  result = $state.raw<VizResult | null>(null);
  progress = $state.raw<Progress | null>(null);
  timeLeftMs = $state<number | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  private job: RunningJob<VizResult> | null = null;
  private generation = 0;

  async start(client: ViewClient, unit: VizRequest['unit'], circuit?: CircuitQuery, steps?: number): Promise<void> {
    await this.cancel();
    const gen = ++this.generation;
    this.unit = unit.kind === 'node' ? `node:${unit.node}` : unit.kind === 'edge' ? `edge:${unit.edge}` : unit.objective;
    this.frame = null;
    this.result = null;
    this.error = null;
    this.running = true;
    const clock = new EtaClock();
    try {
      const job = client.visualize(
        { unit, circuit, settings: steps ? { steps } : undefined },
        (f) => {
          if (gen === this.generation) this.frame = f;
        },
        (p) => {
          if (gen !== this.generation) return;
          this.progress = p;
          this.timeLeftMs = clock.update(p);
        },
      );
      this.job = job;
      const r = await job.result;
      if (gen === this.generation) this.result = r;
    } catch (err) {
      if (gen === this.generation && !isCancelled(err)) this.error = messageOf(err);
    } finally {
      if (gen === this.generation) {
        this.running = false;
        this.job = null;
        this.progress = null;
        this.timeLeftMs = null;
      }
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    this.generation++;
    this.job = null;
    this.running = false;
    this.progress = null;
    if (job) await job.cancel().catch(() => false);
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
