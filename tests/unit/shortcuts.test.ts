// The [ and ] shortcuts' cut steps: keep fractions scale by 25% within [0.001, 1], thresholds
// move by 0.02 within [0, 1], and values stay on a 0.001 grid so the URL stays short.
import { describe, expect, it } from 'vitest';
import { stepCut } from '../../src/lib/ui/view/shortcuts';

describe('stepCut', () => {
  it.each([
    [{ kind: 'keep', value: 0.1 }, true, 0.125],
    [{ kind: 'keep', value: 0.1 }, false, 0.08],
    [{ kind: 'keep', value: 0.9 }, true, 1],
    [{ kind: 'keep', value: 0.001 }, false, 0.001],
    [{ kind: 'keep', value: 0.333 }, true, 0.416],
    [{ kind: 'threshold', value: 0.5 }, true, 0.48],
    [{ kind: 'threshold', value: 0.5 }, false, 0.52],
    [{ kind: 'threshold', value: 0.01 }, true, 0],
    [{ kind: 'threshold', value: 0.99 }, false, 1],
  ] as const)('%o, looser %s -> %d', (cut, up, value) => {
    const next = stepCut(cut, up);
    expect(next.kind).toBe(cut.kind);
    expect(next.value).toBeCloseTo(value, 12);
  });
});
