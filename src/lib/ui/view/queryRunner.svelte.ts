// Runs circuit queries in the worker: one at a time (a new one cancels the old), progress with
// time left, Cancel, and a small cache of results so going back to an earlier query is instant.

import type { CircuitQuery, CircuitResult } from '$lib/worker/protocol';
import { JobRun } from './jobRun.svelte';
import type { ViewClient } from './viewClient';

const CACHE_SIZE = 24;

/** A stable key for a query (field order fixed). */
export function queryKey(q: CircuitQuery): string {
  return JSON.stringify([q.target, q.images, q.criterion, q.cut.kind, q.cut.value, !!q.perLayer]);
}

export class QueryRunner extends JobRun<CircuitResult> {
  result = $state.raw<CircuitResult | null>(null);
  /** Set when the last query was cancelled by the visitor. */
  cancelled = $state(false);
  /** Wall time of the last query seen from the page, ms (0 from the page's cache). */
  wallMs = $state(0);

  private pending: { key: string; promise: Promise<CircuitResult | null>; settled: boolean } | null = null;
  private readonly cache = new Map<string, CircuitResult>();

  /** Runs a query (or takes it from the cache); resolves to its result, or null if it failed or was superseded. */
  run(client: ViewClient, query: CircuitQuery): Promise<CircuitResult | null> {
    const key = queryKey(query);
    // the same query asked again while it runs joins the running one
    if (this.pending && this.pending.key === key && !this.pending.settled) return this.pending.promise;
    const pending = { key, promise: this.start(client, query, key), settled: false };
    pending.promise.finally(() => (pending.settled = true));
    this.pending = pending;
    return pending.promise;
  }

  private async start(client: ViewClient, query: CircuitQuery, key: string): Promise<CircuitResult | null> {
    await this.stop();
    this.error = null;
    this.cancelled = false;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      this.result = hit;
      this.wallMs = 0;
      return hit;
    }
    const t0 = performance.now();
    let result: CircuitResult | null = null;
    const outcome = await this.runJob(
      (onProgress) => client.circuit(query, onProgress),
      (r) => {
        this.cache.set(key, r);
        while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
        this.result = result = r;
        this.wallMs = performance.now() - t0;
      },
      { phase: 'Starting the query', done: 0, total: 0 },
    );
    if (outcome === 'cancelled') this.cancelled = true;
    return result;
  }

  /** Cancels the running query (the visitor's Cancel). */
  async cancel(): Promise<void> {
    if (!this.inFlight) return;
    await this.stop();
    this.cancelled = true;
  }

  /** Forgets results (another model). */
  reset(): void {
    void this.stop();
    this.cache.clear();
    this.result = null;
    this.error = null;
    this.cancelled = false;
  }

  private stop(): Promise<void> {
    if (this.pending) this.pending.settled = true;
    return this.stopJob();
  }
}
