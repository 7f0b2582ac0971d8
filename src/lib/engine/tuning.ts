// Chooses a kernel family by measurement: each candidate is first checked against a CPU
// reference, the ones that pass are timed for a few milliseconds on the actual shapes, and the
// fastest is kept per adapter and shape class in a small store (memory, IndexedDB, a JSON file).

/** Where choices outlive the engine: key -> family name. */
export interface ChoiceStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** A store that lives as long as the object (tests; pages without IndexedDB). */
export class MemoryChoiceStore implements ChoiceStore {
  readonly entries = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

/** One kernel family on one shape: `run` does the work once and resolves when the GPU is done. */
export interface TuningCandidate {
  name: string;
  /** True when the result agrees with the CPU reference (also compiles and warms up). */
  check(): Promise<boolean>;
  run(): Promise<void>;
}

export interface TuningOptions {
  store: ChoiceStore;
  /** Names the adapter (adapterKey); a choice is never reused on another adapter. */
  adapterKey: string;
  /** Milliseconds now (performance.now by default; tests pass a fake clock). */
  clock?: () => number;
  /** Time spent timing each candidate, at least (default 20 ms). */
  budgetMs?: number;
  /**
   * The family kept unless another passing one beats it by more than `margin` (default 0.1 =
   * 10%), so timing noise does not swap families back and forth; without it, the fastest wins.
   */
  preferred?: string;
  margin?: number;
  /** Runs per candidate at most (default 20) and at least (default 3). */
  maxRuns?: number;
  minRuns?: number;
}

export interface TuningResult {
  /** The family to use, or null when none passed its check (the caller keeps its default). */
  choice: string | null;
  /** True when the choice came from the store, untimed. */
  cached: boolean;
  /** Best run of each timed candidate, in ms (absent: failed its check, or cached). */
  ms: Record<string, number>;
  failed: string[];
}

/** The adapter's identity as WebGPU reports it (GPUAdapterInfo). */
export function adapterKey(info: { vendor?: string; architecture?: string; device?: string; description?: string } | undefined): string {
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].map((s) => (s ?? '').trim());
  return parts.some((s) => s) ? parts.join('/') : 'unknown-adapter';
}

/**
 * Each candidate's fastest run. Candidates take turns (one run each per round), so a load that
 * drifts while timing (other work on the GPU, a clock boost) does not favour whoever ran first.
 */
async function bestRuns(cs: TuningCandidate[], clock: () => number, budgetMs: number, minRuns: number, maxRuns: number): Promise<Record<string, number>> {
  const best: Record<string, number> = Object.fromEntries(cs.map((c) => [c.name, Infinity]));
  const started = clock();
  for (let round = 0; round < maxRuns; round++) {
    for (const c of cs) {
      const t0 = clock();
      await c.run();
      best[c.name] = Math.min(best[c.name], clock() - t0);
    }
    if (round + 1 >= minRuns && clock() - started >= budgetMs * cs.length) break;
  }
  return best;
}

/**
 * The store's key of a choice: the adapter, the shape class and the candidates it was made among,
 * so a choice made before a family existed is not reused once it does (the shape is timed again).
 */
export function choiceKey(adapter: string, shapeClass: string, names: string[]): string {
  return `${adapter}|${shapeClass}|${[...names].sort().join('+')}`;
}

/**
 * The family for `shapeClass` on this adapter: the stored choice among the same candidates when
 * there is one, else the fastest candidate that passes its check, which is then stored.
 */
export async function chooseVariant(shapeClass: string, candidates: TuningCandidate[], opts: TuningOptions): Promise<TuningResult> {
  const key = choiceKey(opts.adapterKey, shapeClass, candidates.map((c) => c.name));
  const stored = await opts.store.get(key);
  if (stored !== undefined && candidates.some((c) => c.name === stored)) return { choice: stored, cached: true, ms: {}, failed: [] };
  const clock = opts.clock ?? (() => performance.now());
  const passing: TuningCandidate[] = [];
  const failed: string[] = [];
  for (const c of candidates) {
    if (await c.check()) passing.push(c);
    else failed.push(c.name);
  }
  const ms = passing.length ? await bestRuns(passing, clock, opts.budgetMs ?? 20, Math.max(1, opts.minRuns ?? 3), Math.max(1, opts.maxRuns ?? 20)) : {};
  const timed = Object.entries(ms).sort((a, b) => a[1] - b[1]);
  let choice = timed.length ? timed[0][0] : null;
  const kept = opts.preferred !== undefined ? ms[opts.preferred] : undefined;
  if (choice !== null && kept !== undefined && timed[0][1] * (1 + (opts.margin ?? 0.1)) >= kept) choice = opts.preferred!;
  if (choice !== null) await opts.store.set(key, choice);
  return { choice, cached: false, ms, failed };
}
