// Runs a session call as a worker job: the session sees an AbortSignal and a progress
// function; whatever it throws after the job was cancelled reaches the page as the job's
// JobCancelledError, so the page can tell a cancel from a failure.

import type { Job, JobRegistry, ProgressFn } from '../jobs';
import type { RunOptions } from './session';

export function runViewJob<T>(
  jobs: JobRegistry, id: string, onProgress: ProgressFn | undefined, work: (opts: RunOptions, job: Job) => Promise<T>,
): Promise<T> {
  return jobs.run(id, onProgress, async (job) => {
    try {
      return await work({ signal: job.signal, progress: (phase, done, total) => job.progress(phase, done, total) }, job);
    } catch (err) {
      job.throwIfCancelled();
      throw err;
    }
  });
}
