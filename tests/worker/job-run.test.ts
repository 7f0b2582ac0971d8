// A circuit job run the way the worker runs it: cancelling through the job registry stops the
// scoring and the caller sees JobCancelledError (not the session's own cancellation error);
// failures that are not cancellations pass through with their message.

import { describe, it, expect, afterAll } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { runViewJob } from '../../src/lib/worker/view/jobRun';
import { JobRegistry, isCancelled, type Progress } from '../../src/lib/worker/jobs';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { builtinImageSet } from './helpers';

const model = loadBuiltinModel('fashion-small');
let engine: Engine | null = null;
afterAll(() => engine?.destroy());

describe('circuit jobs', () => {
  it('cancel stops a running circuit job with JobCancelledError; bad queries fail with their message', async () => {
    engine = Engine.create(await testDevice(), model);
    const session = new MicroscopeSession(engine, builtinImageSet('fashion-small'));
    const jobs = new JobRegistry({ minIntervalMs: 0 });
    const seen: Progress[] = [];
    const query = { target: 'loss', images: 'all', criterion: 'actgrad' as const, cut: { kind: 'keep' as const, value: 0.1 } };
    const result = runViewJob(jobs, 'c1', (p) => {
      seen.push(p);
      if (p.done > 0) jobs.cancel('c1');
    }, (opts) => session.circuit(query, opts));
    const err = await result.then(() => null, (e) => e);
    expect(isCancelled(err)).toBe(true);
    expect(seen[0].phase).toMatch(/^Scoring all images \(500 images\)/);
    expect(seen.at(-1)!.done).toBeLessThan(500);
    expect(jobs.active).toEqual([]);
    const bad = runViewJob(jobs, 'c2', undefined, (opts) => session.circuit({ ...query, target: 'logit:Hat' }, opts));
    await expect(bad).rejects.toThrow(/unknown class "Hat"/);
  });
});
