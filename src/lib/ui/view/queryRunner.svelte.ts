// Runs circuit queries in the worker: one at a time (a new one cancels the old), progress with
// time left, Cancel, and a small cache of results so going back to an earlier query is instant.

import { isCancelled } from '$lib/worker/client';
import type { CircuitQuery, CircuitResult } from '$lib/worker/protocol';
import { EtaClock } from './eta';
import { messageOf, type Progress, type RunningJob, type ViewClient } from './viewClient';

const CACHE_SIZE = 24;

/** A stable key for a query (field order fixed). */
export function queryKey(q: CircuitQuery): string {
  return JSON.stringify([q.target, q.images, q.criterion, q.cut.kind, q.cut.value, !!q.perLayer]);
}

export class QueryRunner {
  result = $state.raw<CircuitResult | null>(null);
  running = $state(false);
  progress = $state.raw<Progress | null>(null);
  timeLeftMs = $state<number | null>(null);
  error = $state<string | null>(null);
  /** Set when the last query was cancelled by the visitor. */
  cancelled = $state(false);
  /** Wall time of the last query seen from the page, ms (0 from the page's cache). */
  wallMs = $state(0);

  private job: RunningJob<CircuitResult> | null = null;
  private pending: { key: string; promise: Promise<CircuitResult | null>; settled: boolean } | null = null;
  private generation = 0;
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
    const gen = ++this.generation;
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
    const clock = new EtaClock();
    this.running = true;
    this.progress = { phase: 'Starting the query', done: 0, total: 0 };
    this.timeLeftMs = null;
    const t0 = performance.now();
    try {
      const job = client.circuit(query, (p) => {
        if (gen !== this.generation) return;
        this.progress = p;
        this.timeLeftMs = clock.update(p);
      });
      this.job = job;
      const r = await job.result;
      if (gen !== this.generation) return null;
      this.cache.set(key, r);
      while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
      this.result = r;
      this.wallMs = performance.now() - t0;
      return r;
    } catch (err) {
      if (gen !== this.generation) return null;
      if (isCancelled(err)) this.cancelled = true;
      else this.error = messageOf(err);
      return null;
    } finally {
      if (gen === this.generation) {
        this.running = false;
        this.job = null;
        this.progress = null;
        this.timeLeftMs = null;
      }
    }
  }

  /** Cancels the running query (the visitor's Cancel). */
  async cancel(): Promise<void> {
    if (!this.job) return;
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

  private async stop(): Promise<void> {
    const job = this.job;
    if (this.pending) this.pending.settled = true;
    this.generation++;
    this.job = null;
    this.running = false;
    this.progress = null;
    this.timeLeftMs = null;
    if (job) await job.cancel().catch(() => false);
  }
}
