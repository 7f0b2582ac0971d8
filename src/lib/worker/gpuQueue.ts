// Engine calls run one at a time (an engine's buffers are not shared between passes): a FIFO
// of async work. A call that has to wait is told so at once, so a job queued behind another
// (a visualization behind a circuit query) can say why it has not started.

/** The progress phase of a job queued behind another. */
export const WAITING_PHASE = 'Waiting for the GPU: another job is running';

export class GpuQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Work queued or running now. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Runs `work` after everything queued before it; `onWait` is called first when it must wait. */
  run<T>(work: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.pending > 0) onWait?.();
    this.pending++;
    const done = () => void this.pending--;
    const next = this.tail.then(work, work);
    next.then(done, done);
    this.tail = next.catch(() => {});
    return next;
  }
}
