// Long-running worker jobs: each has an id, an AbortSignal the work polls, and a
// throttled progress callback. The registry is plain TypeScript (no worker, no Comlink),
// so cancellation and throttling are unit-testable; the worker wires it to Comlink.

/** How far a job has got. `total` 0 means unknown (indeterminate progress). */
export interface Progress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressFn = (p: Progress) => unknown;

/** Thrown inside a job (and seen by the caller) when the job was cancelled. */
export class JobCancelledError extends Error {
  constructor(id: string) {
    super(`job ${id} was cancelled`);
    this.name = 'JobCancelledError';
  }
}

/** True for a JobCancelledError, also after it crossed the worker boundary (name kept). */
export function isCancelled(err: unknown): boolean {
  return err instanceof Error && err.name === 'JobCancelledError';
}

/** What the work of one job sees. */
export interface Job {
  readonly id: string;
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
  /** Throws JobCancelledError if cancel() was called; call it between steps. */
  throwIfCancelled(): void;
  /**
   * Reports progress; calls closer than the registry's interval are dropped, except the
   * last step and the first report of a new phase.
   */
  progress(phase: string, done: number, total?: number): void;
}

export interface JobRegistryOptions {
  /** Minimum time between forwarded progress reports, ms. */
  minIntervalMs?: number;
  now?: () => number;
}

export class JobRegistry {
  private readonly jobs = new Map<string, AbortController>();
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(options: JobRegistryOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  /** Ids of the jobs running now. */
  get active(): string[] {
    return [...this.jobs.keys()];
  }

  /** Cancels a running job; false if no job has that id (finished or never started). */
  cancel(id: string): boolean {
    const controller = this.jobs.get(id);
    if (!controller) return false;
    controller.abort(new JobCancelledError(id));
    return true;
  }

  /**
   * Runs `work` as job `id`. The job is registered before `work` starts and removed when
   * it settles; if it was cancelled, the caller gets JobCancelledError even when `work`
   * ignored the signal and finished anyway.
   */
  async run<T>(id: string, onProgress: ProgressFn | undefined, work: (job: Job) => Promise<T>): Promise<T> {
    if (this.jobs.has(id)) throw new Error(`a job with id ${id} is already running`);
    const controller = new AbortController();
    this.jobs.set(id, controller);
    const job = this.makeJob(id, controller.signal, onProgress);
    try {
      const result = await work(job);
      job.throwIfCancelled();
      return result;
    } finally {
      this.jobs.delete(id);
    }
  }

  private makeJob(id: string, signal: AbortSignal, onProgress: ProgressFn | undefined): Job {
    let last = -Infinity;
    let lastPhase: string | null = null;
    const report = (p: Progress) => {
      if (!onProgress) return;
      try {
        // A remote callback returns a promise; a closed page must not fail the job.
        void Promise.resolve(onProgress(p)).catch(() => {});
      } catch {
        /* the listener's problem, not the job's */
      }
    };
    return {
      id,
      signal,
      get cancelled() {
        return signal.aborted;
      },
      throwIfCancelled() {
        if (signal.aborted) throw new JobCancelledError(id);
      },
      progress: (phase, done, total = 0) => {
        const t = this.now();
        const final = total > 0 && done >= total;
        if (!final && phase === lastPhase && t - last < this.minIntervalMs) return;
        last = t;
        lastPhase = phase;
        report({ phase, done, total });
      },
    };
  }
}

/** Client-side ids for jobs: unique within the page. */
let counter = 0;
export function newJobId(prefix = 'job'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
