// How well the shown circuit preserves its target on the held-out (evaluation) images, run on
// demand in the worker with progress and Cancel; the answer belongs to one query. The curve:
// preservation against keep fraction for the query's criterion (and, asked, the others), cached.

import type { CircuitQuery, PreservationCurveResult, PreservationResult } from '$lib/worker/protocol';
import type { Criterion } from '$lib/state/url';
import { JobRun } from './jobRun.svelte';
import { queryKey } from './queryRunner.svelte';
import type { ViewClient } from './viewClient';

/** The criteria a comparison draws (FORCE, scored again at every keep, only when it is the query's). */
export const CURVE_CRITERIA: readonly Criterion[] = ['actgrad', 'snip', 'magnitude', 'random'];

/** What a curve depends on: everything in the query but the cut (and the criterion, kept apart). */
export function curveKey(q: CircuitQuery): string {
  return JSON.stringify([q.target, q.images, !!q.perLayer, !!q.linear, q.scoringImages ?? null, q.evaluationImages ?? null]);
}

/** Preservation curves of the query on screen, one per criterion, computed once per query and criterion. */
export class PreservationCurves extends JobRun<PreservationCurveResult> {
  /** curveKey of the query the curves and runs belong to. */
  key = $state('');
  curves = $state.raw<PreservationCurveResult[]>([]);
  private readonly cache = new Map<string, PreservationCurveResult>();

  /** The curves of `query` for `criteria` (the query's own first), from the cache or computed in turn. */
  async run(client: ViewClient, query: CircuitQuery, criteria: readonly Criterion[]): Promise<void> {
    await this.stopJob();
    this.key = curveKey(query);
    const wanted = [query.criterion, ...criteria.filter((c) => c !== query.criterion)];
    this.curves = this.cached(query, wanted);
    for (const criterion of wanted) {
      if (this.cache.has(this.cacheKey(query, criterion))) continue;
      const q = { ...query, criterion };
      const outcome = await this.runJob(
        (onProgress) => client.preservationCurve(q, undefined, onProgress),
        (r) => {
          this.cache.set(this.cacheKey(query, criterion), r);
          this.curves = this.cached(query, wanted);
        },
        { phase: `Preservation curve of ${criterion}`, done: 0, total: 0 },
      );
      if (outcome !== 'done') return;
    }
  }

  /** The cached curves of `query` for `criteria`, in that order. */
  cached(query: CircuitQuery, criteria: readonly Criterion[]): PreservationCurveResult[] {
    return criteria.flatMap((c) => this.cache.get(this.cacheKey(query, c)) ?? []);
  }

  private cacheKey(query: CircuitQuery, criterion: Criterion): string {
    return `${curveKey(query)}|${criterion}`;
  }

  cancel(): Promise<void> {
    return this.stopJob();
  }

  /** Forgets every curve (another model or image set). */
  clear(): void {
    this.cache.clear();
    this.curves = [];
    this.key = '';
  }
}

export class PreservationCheck extends JobRun<PreservationResult> {
  /** queryKey of the query the result or run belongs to. */
  key = $state('');
  result = $state.raw<PreservationResult | null>(null);
  /** Preservation against keep fraction (PreservationCurve.svelte). */
  readonly curve = new PreservationCurves();

  async run(client: ViewClient, query: CircuitQuery): Promise<void> {
    await this.stopJob();
    this.key = queryKey(query);
    this.result = null;
    await this.runJob(
      (onProgress) => client.preservation(query, onProgress),
      (r) => (this.result = r),
    );
  }

  /** Stops the check and the curve; the curves are forgotten (the model or its image set changed). */
  cancel(): Promise<void> {
    this.curve.clear();
    return Promise.all([this.stopJob(), this.curve.cancel()]).then(() => {});
  }
}
