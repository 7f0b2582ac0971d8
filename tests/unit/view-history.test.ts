// Which changes of the view state become a step in the browser's history (src/lib/state/history.ts):
// each field changed on its own, against the rule written out by hand here, and the address
// written for every state reads back as that state.
import { describe, expect, it } from 'vitest';
import { addressWrite } from '../../src/lib/state/history';
import { DEFAULT_STATE, parseViewState, viewStateToParams, type ViewState } from '../../src/lib/state/url';

const base: ViewState = structuredClone(DEFAULT_STATE);

/** One change of each field, and how the page must write it. */
const changes: [string, Partial<ViewState>, 'push' | 'replace' | 'viewport'][] = [
  ['model', { model: 'digits' }, 'push'],
  ['target', { target: 'logit:Bag' }, 'push'],
  ['images', { images: 'class:Bag' }, 'push'],
  ['criterion', { criterion: 'force' }, 'push'],
  ['cut kind', { cut: { kind: 'threshold', value: 0.1 } }, 'push'],
  ['per-layer', { perLayer: false }, 'push'],
  ['linear', { linear: true }, 'push'],
  ['layout', { layout: 'mds' }, 'push'],
  ['ablation', { removed: { nodes: [3], edges: [] } }, 'push'],
  ['keep fraction', { cut: { kind: 'keep', value: 0.125 } }, 'replace'],
  ['selection', { selection: { kind: 'edge', id: 17 } }, 'replace'],
  ['image', { image: 12 }, 'replace'],
  ['viewport', { view: { x: 3, y: -4, zoom: 2 } }, 'viewport'],
  ['nothing', {}, 'replace'],
];

describe('address writes', () => {
  it.each(changes)('a change of %s is written as %s', (_, change, how) => {
    const next = { ...base, ...change };
    expect(addressWrite(base, next)).toBe(how);
    // and the address written holds exactly that state
    expect(parseViewState(viewStateToParams(next).toString()).state).toEqual(next);
  });

  it('a step wins over everything else changed with it', () => {
    expect(addressWrite(base, { ...base, criterion: 'snip', image: 4, view: { x: 1, y: 1, zoom: 1 } })).toBe('push');
    expect(addressWrite(base, { ...base, selection: { kind: 'node', id: 2 }, view: { x: 1, y: 1, zoom: 1 } })).toBe('replace');
  });

  it('removing the same parts in another order is another address, so another step', () => {
    const a = { ...base, removed: { nodes: [1, 2], edges: [] } };
    expect(addressWrite(a, { ...base, removed: { nodes: [2, 1], edges: [] } })).toBe('push');
    expect(addressWrite(a, structuredClone(a))).toBe('replace');
  });
});
