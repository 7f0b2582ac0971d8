// The link corpus through the URL parser (state/url.ts): 10,000 seeded random and hostile query
// strings, every parameter with every hostile payload (100 kB values included), and the page's
// own corpus. Each case: no exception, a valid state that round trips, warnings that are plain
// short text (no markup, no control characters, under 300 characters), under a second (the
// slowest is printed with the counts).
import { describe, expect, it } from 'vitest';
import { isValidState, parseViewState, viewStateToParams } from '../../src/lib/state/url';
import { ALL_PAYLOADS } from './payloads.mjs';
import { LINK_KEYS, linkCorpus, pageLinks } from './links.mjs';

function check(query: string): number {
  const t0 = performance.now();
  const { state, warnings } = parseViewState(query);
  const ms = performance.now() - t0;
  const shown = query.length > 120 ? `${query.slice(0, 120)}… (${query.length} chars)` : query;
  expect(isValidState(state), shown).toBe(true);
  for (const w of warnings) {
    expect(typeof w, shown).toBe('string');
    expect(w, shown).not.toMatch(/[<>&`\u0000-\u001f\u007f]/);
    expect(w.length, shown).toBeLessThan(300);
  }
  expect(parseViewState(viewStateToParams(state).toString()).state, shown).toEqual(state);
  expect(ms, shown).toBeLessThan(1000);
  return ms;
}

describe('link corpus', () => {
  it('10,000 random links, every parameter with every payload, and the page corpus', () => {
    const random = linkCorpus(10_000);
    const everyPayload = LINK_KEYS.flatMap((k) => ALL_PAYLOADS.map((v) => `${k}=${encodeURIComponent(v.toWellFormed())}`));
    const page = pageLinks().map(([, q]) => q);
    let slowest = 0;
    let count = 0;
    for (const q of [...random, ...everyPayload, ...page]) {
      slowest = Math.max(slowest, check(q));
      count++;
    }
    console.log(`link corpus: ${random.length} random + ${everyPayload.length} parameter x payload + ${page.length} page links = ${count} links, all clean; slowest ${slowest.toFixed(1)} ms`);
    expect(random.length).toBe(10_000);
    expect(count).toBeGreaterThanOrEqual(10_000);
  });
});
