// The microscope's view state as runes: the single source of truth for what the page shows,
// kept in the address bar. Read from the URL on open and on Back/Forward; every control writes
// it; UrlWriter writes it back (history.ts says push or replace). Parse warnings are kept as text.

import { defaultState, parseViewState, viewStateToParams, type Criterion, type Cut, type Layout, type Removed, type Selection, type Show, type ViewState } from '$lib/state/url';
import { addressWrite } from '$lib/state/history';
import type { CircuitQuery } from '$lib/worker/protocol';
import { queryOfState } from '$lib/state/query';
import { isTourLink, tourStepState } from './tour';

export type Viewport = ViewState['view'];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The address of a view state: `base` with its search params replaced. */
export function hrefOf(state: ViewState, base: string): string {
  const url = new URL(base);
  url.search = viewStateToParams(state).toString();
  return url.href;
}

/** A view state with a circuit query's fields in place of its own. */
export function withQuery(state: ViewState, q: CircuitQuery): ViewState {
  return { ...state, target: q.target, images: q.images, criterion: q.criterion, cut: { ...q.cut }, perLayer: !!q.perLayer, linear: !!q.linear };
}

export class ViewStore {
  model = $state(defaultState().model);
  target = $state(defaultState().target);
  images = $state(defaultState().images);
  criterion = $state<Criterion>(defaultState().criterion);
  cut = $state.raw<Cut>(defaultState().cut);
  perLayer = $state(defaultState().perLayer);
  linear = $state(defaultState().linear);
  precision = $state(defaultState().precision);
  layout = $state<Layout>(defaultState().layout);
  selection = $state.raw<Selection>(null);
  image = $state<number | null>(null);
  removed = $state.raw<Removed>(defaultState().removed);
  view = $state.raw<Viewport>(defaultState().view);
  /** A view over the graph (the circuit diagram), or null. */
  show = $state<Show>(null);
  /** The classroom tour's step on screen, or null. */
  tour = $state<number | null>(null);
  /** True when the URL named a viewport: the graph opens (or moves) there instead of fitting itself. */
  viewFromUrl = false;
  warnings = $state.raw<string[]>([]);

  /**
   * Reads a search string; bad parameters become warnings and defaults. Only fields that differ
   * are assigned, so reading the address that is already shown reruns nothing. Without a
   * viewport in the URL, the current one stays. A link with only `tour=N` opens the tour step's
   * view (true is returned then: the address is to be completed, not a new step).
   */
  read(search: string | URLSearchParams): boolean {
    const { state, warnings } = parseViewState(search);
    const params = typeof search === 'string' ? new URLSearchParams(search) : search;
    const tourLink = isTourLink(params.toString());
    this.viewFromUrl = params.has('zoom') && !warnings.some((w) => /^parameter "(x|y|zoom)"/.test(w));
    const s = tourLink ? tourStepState(state.tour!) : state;
    this.set({ ...s, view: this.viewFromUrl ? state.view : this.view });
    this.warnings = warnings;
    return tourLink;
  }

  /** Sets the whole state, assigning only the fields that change. */
  set(s: ViewState): void {
    this.model = s.model;
    this.target = s.target;
    this.images = s.images;
    this.criterion = s.criterion;
    this.perLayer = s.perLayer;
    this.linear = s.linear;
    this.precision = s.precision;
    this.layout = s.layout;
    this.image = s.image;
    this.show = s.show;
    this.tour = s.tour;
    if (!same(this.cut, s.cut)) this.cut = s.cut;
    if (!same(this.selection, s.selection)) this.selection = s.selection;
    if (!same(this.removed, s.removed)) this.removed = s.removed;
    if (!same(this.view, s.view)) this.view = s.view;
  }

  snapshot(): ViewState {
    return {
      model: this.model,
      target: this.target,
      images: this.images,
      criterion: this.criterion,
      cut: { ...this.cut },
      perLayer: this.perLayer,
      linear: this.linear,
      precision: this.precision,
      layout: this.layout,
      selection: this.selection ? { ...this.selection } : null,
      image: this.image,
      removed: { nodes: [...this.removed.nodes], edges: [...this.removed.edges] },
      view: { ...this.view },
      show: this.show,
      tour: this.tour,
    };
  }

  /** The circuit query the state describes. */
  query(): CircuitQuery {
    return queryOfState(this);
  }

  /** Sets the query's fields (e.g. back to the circuit drawn, after a Cancel). */
  setQuery(q: CircuitQuery): void {
    this.set(withQuery(this.snapshot(), q));
  }

  /** The page's address for this state, keeping path and hash. */
  href(base: string): string {
    return hrefOf(this.snapshot(), base);
  }

  dismissWarnings(): void {
    this.warnings = [];
  }
}

/** How the address bar is written: a new history entry, or the current one rewritten. */
export type WriteAddress = (href: string, mode: 'push' | 'replace') => void;

/** Writes the state to the address bar: steps as new entries, the viewport after a pause. */
export class UrlWriter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private amending = false;

  constructor(private readonly store: ViewStore, private readonly write: WriteAddress, private readonly delayMs = 300) {}

  /** The next change corrects the address shown (parts a model lacks, a Cancel), so it is no step of its own. */
  amend(): void {
    this.amending = true;
  }

  /** Brings the address bar to the store's state. */
  follow(): void {
    let how = addressWrite(parseViewState(location.search).state, this.store.snapshot());
    if (this.amending && how === 'push') how = 'replace';
    this.amending = false;
    if (how === 'viewport') {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.now('replace'), this.delayMs);
    } else this.now(how);
  }

  private now(mode: 'push' | 'replace'): void {
    clearTimeout(this.timer);
    const href = this.store.href(location.href);
    if (href !== location.href) this.write(href, mode);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
