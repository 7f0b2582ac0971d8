// One worker job at a time, as runes the panels read: start (a new one stops the old), progress
// with time left, Cancel, the error message, and results of a superseded run ignored (latest.ts).
// The circuit query, the preservation check and the feature visualization all run this way.

import { isCancelled } from '$lib/worker/client';
import { Latest } from '$lib/ui/latest';
import { EtaClock } from './eta';
import { messageOf, type Progress, type RunningJob } from './viewClient';

/** How a run ended: its result was taken, the visitor cancelled it, it failed, or a newer run replaced it. */
export type JobOutcome = 'done' | 'cancelled' | 'failed' | 'stale';

export class JobRun<T> {
  running = $state(false);
  progress = $state.raw<Progress | null>(null);
  timeLeftMs = $state<number | null>(null);
  error = $state<string | null>(null);
  private job: RunningJob<T> | null = null;
  /** The last progress report as the worker sent it (`progress` is what `shown` makes of it). */
  private reported: Progress | null = null;
  private readonly latest = new Latest();

  /** Whether a job is in flight. */
  protected get inFlight(): boolean {
    return this.job !== null;
  }

  /**
   * Stops the job before, then starts one with `start` (given the progress callback and a test
   * for whether this run is still the current one); `ondone` gets the result only if it is.
   */
  protected async runJob(
    start: (onProgress: (p: Progress) => void, current: () => boolean) => RunningJob<T>,
    ondone: (result: T) => void,
    initial: Progress | null = null,
  ): Promise<JobOutcome> {
    if (this.job) await this.stopJob();
    const ticket = this.latest.begin();
    const current = () => ticket.current;
    const clock = new EtaClock();
    this.error = null;
    this.running = true;
    this.progress = initial;
    this.timeLeftMs = null;
    try {
      const job = start((p) => {
        if (!current()) return;
        this.reported = p;
        this.progress = this.shown(p);
        this.timeLeftMs = clock.update(p);
      }, current);
      this.job = job;
      const r = await job.result;
      if (!current()) return 'stale';
      ondone(r);
      return 'done';
    } catch (err) {
      if (!current()) return 'stale';
      if (isCancelled(err)) return 'cancelled';
      this.error = messageOf(err);
      return 'failed';
    } finally {
      if (current()) {
        this.running = false;
        this.job = null;
        this.progress = null;
        this.timeLeftMs = null;
      }
    }
  }

  /** What the panel shows of a progress report (a subclass may add a note; the time left uses the report). */
  protected shown(p: Progress): Progress {
    return p;
  }

  /** Shows the last report again, after what `shown` adds has changed. */
  protected reshow(): void {
    if (this.running && this.reported) this.progress = this.shown(this.reported);
  }

  /** Cancels the job in flight (if any); a run still awaiting it ends as 'stale'. */
  protected async stopJob(): Promise<void> {
    const job = this.job;
    this.latest.cancel();
    this.job = null;
    this.running = false;
    this.progress = null;
    this.timeLeftMs = null;
    if (job) await job.cancel().catch(() => false);
  }
}
