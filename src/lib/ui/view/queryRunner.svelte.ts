// Runs circuit queries in the worker: one at a time (a new one cancels the old), progress with
// time left, Cancel, and a small cache of results so going back to an earlier query is instant.
// `result` is the circuit drawn (a provisional first answer while the images stream, then the
// final one); `follow` brings it to the view state's query.

import type { CircuitQuery, CircuitResult } from '$lib/worker/protocol';
import type { Progress } from './viewClient';
import { JobRun } from './jobRun.svelte';
import type { ViewClient } from './viewClient';

const CACHE_SIZE = 24;

/** A stable key for a query (field order fixed). */
export function queryKey(q: CircuitQuery): string {
  return JSON.stringify([q.target, q.images, q.criterion, q.cut.kind, q.cut.value, !!q.perLayer, !!q.linear]);
}

export class QueryRunner extends JobRun<CircuitResult> {
  result = $state.raw<CircuitResult | null>(null);
  /** Set when the last query was cancelled by the visitor. */
  cancelled = $state(false);
  /** The query the visitor cancelled last, to start it again. */
  cancelledQuery = $state.raw<CircuitQuery | null>(null);
  /** Wall time of the last query seen from the page, ms (0 from the page's cache). */
  wallMs = $state(0);

  private pending: { key: string; query: CircuitQuery; promise: Promise<CircuitResult | null>; settled: boolean } | null = null;
  private readonly cache = new Map<string, CircuitResult>();
  private dropProvisional: () => void = () => {};

  /** Whether the circuit drawn is this query's final one. */
  shows(query: CircuitQuery): boolean {
    return this.result !== null && !this.result.provisional && queryKey(this.result.query) === queryKey(query);
  }

  /** Whether the circuit drawn, final or provisional, is this query's. */
  draws(query: CircuitQuery): boolean {
    return this.result !== null && queryKey(this.result.query) === queryKey(query);
  }

  /** The provisional circuit drawn while the images stream, if any. */
  get provisional(): { images: number; total: number } | null {
    return this.result?.provisional ?? null;
  }

  protected override shown(p: Progress): Progress & { note?: string } {
    const v = this.provisional;
    return v ? { ...p, note: `First answer from ${v.images} of ${v.total} images; refining…` } : p;
  }

  /**
   * Brings the circuit drawn to `query`: runs it unless it is drawn already and nothing else is
   * running (so returning to the drawn query after a Cancel starts nothing and keeps the note).
   */
  follow(client: ViewClient, query: CircuitQuery): Promise<CircuitResult | null> {
    if (!this.running && this.shows(query)) return Promise.resolve(this.result);
    return this.run(client, query);
  }

  /** Runs a query (or takes it from the cache); resolves to its result, or null if it failed or was superseded. */
  run(client: ViewClient, query: CircuitQuery): Promise<CircuitResult | null> {
    const key = queryKey(query);
    // the same query asked again while it runs joins the running one
    if (this.pending && this.pending.key === key && !this.pending.settled) return this.pending.promise;
    const pending = { key, query, promise: this.start(client, query, key), settled: false };
    pending.promise.finally(() => (pending.settled = true));
    this.pending = pending;
    return pending.promise;
  }

  private async start(client: ViewClient, query: CircuitQuery, key: string): Promise<CircuitResult | null> {
    await this.stop();
    this.dropProvisional();
    this.error = null;
    this.cancelled = false;
    this.cancelledQuery = null;
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
    const before = this.result;
    let partial: CircuitResult | null = null;
    // A query that does not finish leaves no provisional circuit behind: the one before comes back.
    const drop = () => {
      if (partial && this.result === partial) this.result = before;
    };
    this.dropProvisional = drop;
    const outcome = await this.runJob(
      (onProgress, current) => client.circuit(query, onProgress, (r) => {
        if (!current()) return;
        this.result = partial = r;
        this.reshow();
      }),
      (r) => {
        this.cache.set(key, r);
        while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
        this.result = result = r;
        this.wallMs = performance.now() - t0;
      },
      { phase: 'Starting the query', done: 0, total: 0 },
    );
    drop();
    if (outcome === 'cancelled') this.markCancelled(query);
    return result;
  }

  /** Cancels the running query (the visitor's Cancel); resolves to the query of the circuit drawn, if any. */
  async cancel(): Promise<CircuitQuery | null> {
    const running = this.pending && !this.pending.settled ? this.pending.query : null;
    if (!this.inFlight || !running) return null;
    await this.stop();
    this.dropProvisional();
    this.markCancelled(running);
    return this.result?.query ?? null;
  }

  private markCancelled(query: CircuitQuery): void {
    this.cancelled = true;
    this.cancelledQuery = structuredClone(query);
  }

  /** Forgets results (another model). */
  reset(): void {
    void this.stop();
    this.cache.clear();
    this.result = null;
    this.error = null;
    this.cancelled = false;
    this.cancelledQuery = null;
  }

  private stop(): Promise<void> {
    if (this.pending) this.pending.settled = true;
    return this.stopJob();
  }
}
