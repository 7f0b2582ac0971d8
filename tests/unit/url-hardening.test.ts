// Links against issue 19: the address is capped before it is parsed (parameters past the cap
// are named), ablate is counted before its parts are checked, unknown parameters and repeats are
// listed in the warnings, and 100 kB values cost milliseconds.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, QUERY_MAX_CHARS, parseViewState } from '../../src/lib/state/url';

const timed = <T>(f: () => T): { value: T; ms: number } => {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
};

describe('hostile links', () => {
  it('unknown parameters are listed in a warning, not dropped silently', () => {
    const { state, warnings } = parseViewState('keep=0.2&utm_source=x&%3Cb%3E=1&colour=red');
    expect(state.cut).toEqual({ kind: 'keep', value: 0.2 });
    expect(warnings).toEqual(['unknown parameter(s) ignored: "utm_source", "?b?", "colour"']);
    const many = parseViewState(Array.from({ length: 9 }, (_, i) => `p${i}=1`).join('&'));
    expect(many.warnings).toEqual(['unknown parameter(s) ignored: "p0", "p1", "p2", "p3", "p4", and 4 more']);
  });

  it('a parameter given twice: the first is read and the repeat is named', () => {
    const { state, warnings } = parseViewState('keep=0.2&keep=0.9&keep=0.5&layout=mds');
    expect(state.cut).toEqual({ kind: 'keep', value: 0.2 });
    expect(state.layout).toBe('mds');
    expect(warnings).toEqual(['parameter "keep" is given 3 times; only the first is read']);
  });

  it('a page that reads parameters of its own names them, and they are not unknown', () => {
    expect(parseViewState('mode=graphics&synthetic=5', ['mode', 'synthetic']).warnings).toEqual([]);
  });

  it('an address over the cap is read up to it; what lies beyond is named', () => {
    const filler = `target=${'a'.repeat(150)}`;
    const query = `keep=0.3&${Array.from({ length: 300 }, () => filler).join('&')}&layout=mds&zoom=4`;
    expect(query.length).toBeGreaterThan(QUERY_MAX_CHARS);
    const { value, ms } = timed(() => parseViewState(query));
    expect(ms).toBeLessThan(200);
    expect(value.state.cut).toEqual({ kind: 'keep', value: 0.3 });
    expect(value.state.layout).toBe('grid');
    expect(value.warnings[0]).toMatch(/^the address is 47,\d{3} characters long; only its first 32,768 are read, so \d+ parameter\(s\) were ignored: "target", "target", "target", …$/);
    expect(value.warnings).toContainEqual(expect.stringMatching(/^parameter "target" is given 2\d\d times; only the first is read$/));
  });

  it('ablate with 20,000 parts (a 208 kB address) is refused at once, with a warning', () => {
    const ablate = Array.from({ length: 20_000 }, (_, i) => `edge:${i}`).join(',');
    const { value, ms } = timed(() => parseViewState(`keep=0.5&ablate=${ablate}`));
    expect(ms).toBeLessThan(200);
    expect(value.state.removed).toEqual(DEFAULT_STATE.removed);
    expect(value.state.cut).toEqual({ kind: 'keep', value: 0.5 });
    expect(value.warnings.join('\n')).toMatch(/only its first 32,768 are read, so 1 parameter\(s\) were ignored: "ablate"/);
    // under the address cap, ablate's own cap: counted before its parts are checked
    const parts = `${Array.from({ length: 1500 }, (_, i) => `node:${i}`).join(',')},kernel:3`;
    expect(parseViewState(`ablate=${parts}`).warnings).toEqual([expect.stringMatching(/^parameter "ablate" = "1501 parts" ignored: at most 1000 removed parts travel in a link$/)]);
  });

  it('100 kB values of every parameter: a warning each, in milliseconds', () => {
    for (const key of ['model', 'target', 'images', 'criterion', 'keep', 'threshold', 'perlayer', 'linear', 'layout', 'select', 'image', 'ablate', 'x', 'y', 'zoom']) {
      for (const value of [`${'9'.repeat(100_000)}x`, `${'1'.repeat(100_000)}e`, `node:${'1'.repeat(100_000)}`, '%3C'.repeat(10_000)]) {
        const { value: r, ms } = timed(() => parseViewState(`${key}=${value}`));
        expect(ms, key).toBeLessThan(100);
        expect(r.state, key).toEqual(DEFAULT_STATE);
        expect(r.warnings.length, key).toBeGreaterThan(0);
        for (const w of r.warnings) expect(w.length).toBeLessThan(300);
      }
    }
  });
});
