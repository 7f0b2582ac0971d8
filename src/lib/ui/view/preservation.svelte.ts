// How well the shown circuit preserves its target on the held-out (evaluation) images, run on
// demand in the worker with progress and Cancel; the answer belongs to one query.

import { isCancelled } from '$lib/worker/client';
import type { CircuitQuery, PreservationResult } from '$lib/worker/protocol';
import { EtaClock } from './eta';
import { queryKey } from './queryRunner.svelte';
import { messageOf, type Progress, type RunningJob, type ViewClient } from './viewClient';

export class PreservationCheck {
  /** queryKey of the query the result or run belongs to. */
  key = $state('');
  result = $state.raw<PreservationResult | null>(null);
  running = $state(false);
  progress = $state.raw<Progress | null>(null);
  timeLeftMs = $state<number | null>(null);
  error = $state<string | null>(null);
  private job: RunningJob<PreservationResult> | null = null;
  private generation = 0;

  async run(client: ViewClient, query: CircuitQuery): Promise<void> {
    await this.cancel();
    const gen = ++this.generation;
    this.key = queryKey(query);
    this.result = null;
    this.error = null;
    this.running = true;
    const clock = new EtaClock();
    try {
      const job = client.preservation(query, (p) => {
        if (gen !== this.generation) return;
        this.progress = p;
        this.timeLeftMs = clock.update(p);
      });
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
}
