// "Latest request wins" (src/lib/ui/latest.ts): answers arriving out of order, errors, cancel and
// abort signals, checked against the order the requests were made in.
import { describe, expect, it } from 'vitest';
import { Latest, SUPERSEDED } from '../../src/lib/ui/latest';

/** A promise settled by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Latest', () => {
  it('only the newest call gives its value, whatever order the answers come in', async () => {
    const latest = new Latest();
    const calls = [deferred<string>(), deferred<string>(), deferred<string>()];
    const results = calls.map((d) => latest.run(() => d.promise));
    calls[2].resolve('c');
    calls[0].resolve('a');
    calls[1].resolve('b');
    expect(await Promise.all(results)).toEqual([SUPERSEDED, SUPERSEDED, 'c']);
  });

  it('a superseded call is aborted through its signal; the newest is not', async () => {
    const latest = new Latest();
    const signals: AbortSignal[] = [];
    const first = latest.run((s) => (signals.push(s), new Promise<number>((res) => s.addEventListener('abort', () => res(1)))));
    const second = latest.run((s) => (signals.push(s), Promise.resolve(2)));
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    expect(await first).toBe(SUPERSEDED);
    expect(await second).toBe(2);
  });

  it('the newest call\'s error reaches the caller; a superseded call\'s error is dropped', async () => {
    const latest = new Latest();
    const old = deferred<number>();
    const stale = latest.run(() => old.promise);
    const failing = latest.run(() => Promise.reject(new Error('bad target')));
    old.reject(new Error('old failure'));
    expect(await stale).toBe(SUPERSEDED);
    await expect(failing).rejects.toThrow('bad target');
    // a call that throws before it returns a promise counts the same
    await expect(latest.run(() => { throw new Error('at once'); })).rejects.toThrow('at once');
  });

  it('cancel supersedes the call in flight and starts none', async () => {
    const latest = new Latest();
    const d = deferred<string>();
    const r = latest.run(() => d.promise);
    latest.cancel();
    d.resolve('late');
    expect(await r).toBe(SUPERSEDED);
    expect(await latest.run(() => 'next')).toBe('next');
  });

  it('tickets say whether they are still the newest request', () => {
    const latest = new Latest();
    const a = latest.begin();
    expect(a.current).toBe(true);
    const b = latest.begin();
    expect([a.current, b.current]).toEqual([false, true]);
    expect(a.signal.aborted).toBe(true);
    latest.cancel();
    expect(b.current).toBe(false);
    latest.cancel(); // nothing in flight: harmless
    expect(latest.begin().current).toBe(true);
  });
});
