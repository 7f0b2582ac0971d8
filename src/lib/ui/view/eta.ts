// Time left of a running job from its progress reports: the rate within the current phase
// (a new phase restarts the clock), and a short human-readable form ("about 12 s left").

import type { Progress } from '$lib/worker/jobs';

export class EtaClock {
  private phase = '';
  private phaseStart = 0;
  private doneAtStart = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Feeds a progress report; returns the estimated ms left in this phase, or null when unknown. */
  update(p: Progress): number | null {
    const t = this.now();
    if (p.phase !== this.phase || p.done < this.doneAtStart) {
      this.phase = p.phase;
      this.phaseStart = t;
      this.doneAtStart = p.done;
      return null;
    }
    const did = p.done - this.doneAtStart;
    const elapsed = t - this.phaseStart;
    if (p.total <= 0 || did <= 0 || elapsed <= 0 || p.done > p.total) return null;
    return (elapsed * (p.total - p.done)) / did;
  }
}

/** "about 12 s left", "about 3 min left", "less than a second left"; '' when unknown. */
export function formatTimeLeft(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return 'less than a second left';
  const s = Math.round(ms / 1000);
  if (s < 90) return `about ${s} s left`;
  return `about ${Math.round(s / 60)} min left`;
}
