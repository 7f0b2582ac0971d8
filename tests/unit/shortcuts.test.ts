// The [ and ] shortcuts' cut steps: keep fractions scale by 25% within [0.001, 1], thresholds
// move by 0.02 within [0, 1], and values stay on a 0.001 grid so the URL stays short; C and I
// toggle the side panels, except in a field or with a modifier.
import { describe, expect, it } from 'vitest';
import { handleShortcut, stepCut } from '../../src/lib/ui/view/shortcuts';
import type { MicroscopeView } from '../../src/lib/ui/view/microscopeView.svelte';

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

describe('C and I toggle the side panels', () => {
  const view = { scope: { phase: 'ready' } } as unknown as MicroscopeView;
  const press = (key: string, target: unknown = null, mods: Partial<KeyboardEvent> = {}) => {
    const sides: string[] = [];
    let prevented = false;
    const e = { key, target, altKey: false, ctrlKey: false, metaKey: false, ...mods, preventDefault: () => (prevented = true) } as unknown as KeyboardEvent;
    handleShortcut(e, view, { focusTarget: () => {}, openHelp: () => {}, togglePanel: (side) => sides.push(side) });
    return { sides, prevented };
  };

  it.each([['c', 'left'], ['C', 'left'], ['i', 'right'], ['I', 'right']])('%s toggles the %s panel', (key, side) => {
    expect(press(key)).toEqual({ sides: [side], prevented: true });
  });

  it('leaves the keys to a text field and to modified presses', () => {
    const field = { closest: (sel: string) => (sel.includes('input') ? {} : null) };
    expect(press('c', field).sides).toEqual([]);
    expect(press('i', null, { ctrlKey: true }).sides).toEqual([]);
    expect(press('x').sides).toEqual([]);
  });
});
