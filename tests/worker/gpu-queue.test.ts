// The worker's GPU queue: work runs one at a time in call order, a failure does not block what
// follows, and a call made while another runs is told it waits (and only then).
import { describe, expect, it } from 'vitest';
import { GpuQueue } from '../../src/lib/worker/gpuQueue';

const tick = () => new Promise((ok) => setTimeout(ok, 1));

describe('GpuQueue', () => {
  it('runs work one at a time, in order, and says when a call must wait', async () => {
    const q = new GpuQueue();
    const log: string[] = [];
    let running = 0, most = 0;
    const work = (name: string, fail = false) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    const waited: string[] = [];
    expect(q.busy).toBe(false);
    const a = q.run(work('a'), () => waited.push('a'));
    const b = q.run(work('b', true), () => waited.push('b'));
    const c = q.run(work('c'), () => waited.push('c'));
    expect(q.busy).toBe(true);
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(most).toBe(1);
    expect(waited).toEqual(['b', 'c']);
    await tick();
    expect(q.busy).toBe(false);
    const d: string[] = [];
    await q.run(work('d'), () => d.push('d'));
    expect(d).toEqual([]);
  });
});
