// How well the shown circuit preserves its target on the held-out (evaluation) images, run on
// demand in the worker with progress and Cancel; the answer belongs to one query.

import type { CircuitQuery, PreservationResult } from '$lib/worker/protocol';
import { JobRun } from './jobRun.svelte';
import { queryKey } from './queryRunner.svelte';
import type { ViewClient } from './viewClient';

export class PreservationCheck extends JobRun<PreservationResult> {
  /** queryKey of the query the result or run belongs to. */
  key = $state('');
  result = $state.raw<PreservationResult | null>(null);

  async run(client: ViewClient, query: CircuitQuery): Promise<void> {
    await this.stopJob();
    this.key = queryKey(query);
    this.result = null;
    await this.runJob(
      (onProgress) => client.preservation(query, onProgress),
      (r) => (this.result = r),
    );
  }

  cancel(): Promise<void> {
    return this.stopJob();
  }
}
