// Tests of the worker's job helper (cancellation, throttled progress, clean-up) and of
// the score helpers (softmax, top-k) against values computed by hand.
import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobRegistry, isCancelled, type Progress } from '../../src/lib/worker/jobs';
import { argmaxRow, softmaxRows, topK } from '../../src/lib/worker/scores';

describe('JobRegistry', () => {
  it('cancels a running job and reports JobCancelledError to the caller', async () => {
    const jobs = new JobRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = jobs.run('a', undefined, async (job) => {
      await gate;
      job.throwIfCancelled();
      return 1;
    });
    expect(jobs.active).toEqual(['a']);
    expect(jobs.cancel('a')).toBe(true);
    release();
    const err = await running.catch((e) => e);
    expect(err).toBeInstanceOf(JobCancelledError);
    expect(isCancelled(err)).toBe(true);
    expect(jobs.active).toEqual([]);
    expect(jobs.cancel('a')).toBe(false);
  });

  it('fails a cancelled job even if its work ignored the signal', async () => {
    const jobs = new JobRegistry();
    const running = jobs.run('b', undefined, async (job) => {
      jobs.cancel(job.id);
      expect(job.signal.aborted).toBe(true);
      return 'done anyway';
    });
    await expect(running).rejects.toThrow(/cancelled/);
  });

  it('forwards progress at most once per interval, always the final step', async () => {
    let now = 0;
    const seen: Progress[] = [];
    const jobs = new JobRegistry({ minIntervalMs: 50, now: () => now });
    await jobs.run('c', (p) => seen.push(p), async (job) => {
      job.progress('x', 1, 4); // t=0: sent
      now = 10;
      job.progress('x', 2, 4); // dropped
      now = 60;
      job.progress('x', 3, 4); // sent
      now = 61;
      job.progress('x', 4, 4); // final: sent
      job.progress('y', 0, 0); // new phase: sent at once
      job.progress('y', 1, 0); // same phase, too soon: dropped
    });
    expect(seen.map((p) => `${p.phase}${p.done}`)).toEqual(['x1', 'x3', 'x4', 'y0']);
  });

  it('survives a progress listener that throws or rejects, and rejects duplicate ids', async () => {
    const jobs = new JobRegistry({ minIntervalMs: 0 });
    const result = await jobs.run('d', () => Promise.reject(new Error('page gone')), async (job) => {
      job.progress('x', 1, 2);
      await expect(jobs.run('d', undefined, async () => 0)).rejects.toThrow(/already running/);
      return 7;
    });
    expect(result).toBe(7);
  });
});

describe('scores', () => {
  it('softmax: [0, ln 3] -> [1/4, 3/4]; huge equal logits stay finite', () => {
    const p = softmaxRows(new Float32Array([0, Math.log(3), 1000, 1000]), 2, 2);
    [0.25, 0.75, 0.5, 0.5].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 6));
  });

  it('top-k is sorted by probability, ties in class order', () => {
    const p = new Float32Array([0.1, 0.4, 0.1, 0.4, 0, 0, 0, 1]);
    expect(topK(p, 4, 0, 3)).toEqual([
      { index: 1, probability: expect.closeTo(0.4, 6) },
      { index: 3, probability: expect.closeTo(0.4, 6) },
      { index: 0, probability: expect.closeTo(0.1, 6) },
    ]);
    expect(argmaxRow(p, 4, 1)).toBe(3);
  });
});
