// The classroom tour's step in the link (`tour=N`): each step round trips, a garbled or
// out-of-range value is one warning naming "tour" and no tour, and the rest of the link is kept;
// the tour's steps as data match the grammar's range and each describes a state a link can carry.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, TOUR_LAST, isValidState, parseViewState, viewStateToParams } from '../../src/lib/state/url';
import { TOUR_STEPS, tourStepState, isTourLink, tourKey, keptOverlap, type TourStore } from '../../src/lib/ui/view/tour';
import type { ViewState } from '../../src/lib/state/url';

describe('tour=N in the link', () => {
  it('round trips every step, and is left out outside the tour', () => {
    for (let n = 0; n <= TOUR_LAST; n++) {
      const s = { ...structuredClone(DEFAULT_STATE), tour: n };
      const params = viewStateToParams(s);
      expect(params.toString()).toBe(`tour=${n}`);
      expect(parseViewState(params.toString())).toEqual({ state: s, warnings: [] });
    }
    expect(viewStateToParams(DEFAULT_STATE).has('tour')).toBe(false);
  });

  it('a garbled or out-of-range step is a warning and no tour; the other parameters stay', () => {
    for (const bad of ['', 'x', '-1', '1.5', String(TOUR_LAST + 1), '99', '1e1', ' 3', '0x2', '<b>3</b>', '３']) {
      const { state, warnings } = parseViewState(`model=digits&tour=${encodeURIComponent(bad)}&keep=0.05`);
      expect(state.tour, bad).toBeNull();
      expect(state.model).toBe('digits');
      expect(state.cut).toEqual({ kind: 'keep', value: 0.05 });
      expect(warnings, bad).toHaveLength(1);
      expect(warnings[0]).toMatch(/^parameter "tour" = .* ignored: expected a tour step from 0 to 7$/);
      expect(warnings[0]).not.toMatch(/[<>]/);
    }
    expect(isValidState({ ...DEFAULT_STATE, tour: TOUR_LAST + 1 })).toBe(false);
    expect(isValidState({ ...DEFAULT_STATE, tour: 0.5 })).toBe(false);
  });

  it('the steps as data: one per step of the grammar, each a valid state that carries its number', () => {
    expect(TOUR_STEPS).toHaveLength(TOUR_LAST + 1);
    for (let n = 0; n <= TOUR_LAST; n++) {
      const s = tourStepState(n);
      expect(isValidState(s), `step ${n}`).toBe(true);
      expect(s.tour).toBe(n);
      expect(TOUR_STEPS[n].title.length).toBeGreaterThan(0);
      expect(TOUR_STEPS[n].text.length).toBeGreaterThanOrEqual(2);
      // the step's own link opens it exactly
      expect(parseViewState(viewStateToParams(s).toString()).state).toEqual(s);
    }
    // the steps the card names: a drawn (or prepared) digit, a circuit, an ablated unit, another criterion
    expect(tourStepState(1).image).not.toBeNull();
    expect(tourStepState(4).target).toMatch(/^logit:/);
    expect(tourStepState(5).removed.nodes.length).toBeGreaterThan(0);
    expect(tourStepState(6).criterion).not.toBe(tourStepState(5).criterion);
  });

  it('a link that names only the step opens the step; one with more names its own view', () => {
    expect(isTourLink('?tour=4')).toBe(true);
    expect(isTourLink('tour=0')).toBe(true);
    expect(isTourLink('?tour=4&zoom=2')).toBe(false);
    expect(isTourLink('?model=digits&tour=4')).toBe(false);
    expect(isTourLink('?tour=9')).toBe(false);
    expect(isTourLink('')).toBe(false);
  });

  it('the keys: n and PageDown go on, p and PageUp back (within the tour), Esc leaves; outside the tour they are not the tour\'s', () => {
    const store: TourStore & { state: ViewState | null } = {
      tour: 3, view: { x: 5, y: 6, zoom: 2 }, viewFromUrl: true, state: null,
      set(s) { this.state = s; this.tour = s.tour; },
    };
    expect(tourKey(store, 'n')).toBe(true);
    expect(store.tour).toBe(4);
    expect(store.state).toEqual({ ...tourStepState(4), view: { x: 5, y: 6, zoom: 2 } });
    expect(store.viewFromUrl).toBe(false);
    tourKey(store, 'PageDown');
    tourKey(store, 'PageUp');
    tourKey(store, 'p');
    expect(store.tour).toBe(3);
    for (let i = 0; i < 12; i++) tourKey(store, 'n');
    expect(store.tour).toBe(TOUR_LAST);
    for (let i = 0; i < 12; i++) tourKey(store, 'p');
    expect(store.tour).toBe(0);
    expect(tourKey(store, 'x')).toBe(false);
    expect(tourKey(store, 'Escape')).toBe(true);
    expect(store.tour).toBeNull();
    expect(tourKey(store, 'n')).toBe(false);
    expect(store.tour).toBeNull();
  });

  it('counts the kernels two circuits keep, each and both', () => {
    expect(keptOverlap(Uint8Array.from([1, 1, 0, 0, 1]), Uint8Array.from([0, 1, 1, 0, 1]))).toEqual({ a: 3, b: 3, both: 2 });
  });
});
