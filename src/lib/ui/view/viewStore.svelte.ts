// The microscope's view state as runes, read from the URL once on open and written back with
// replaceState (the viewport debounced), so the address is always a permalink of what is shown.
// Parse warnings are kept as plain text for a dismissible notice.

import { defaultState, parseViewState, viewStateToParams, type Criterion, type Cut, type Layout, type Removed, type Selection, type ViewState } from '$lib/state/url';
import type { CircuitQuery } from '$lib/worker/protocol';

export type Viewport = ViewState['view'];

export class ViewStore {
  model = $state(defaultState().model);
  target = $state(defaultState().target);
  images = $state(defaultState().images);
  criterion = $state<Criterion>(defaultState().criterion);
  cut = $state.raw<Cut>(defaultState().cut);
  perLayer = $state(false);
  layout = $state<Layout>(defaultState().layout);
  selection = $state.raw<Selection>(null);
  image = $state<number | null>(null);
  removed = $state.raw<Removed>(defaultState().removed);
  view = $state.raw<Viewport>(defaultState().view);
  /** True when the URL named a viewport: the graph opens there instead of fitting itself. */
  viewFromUrl = false;
  warnings = $state.raw<string[]>([]);

  /** Reads a search string (or params); bad parameters become warnings and defaults. */
  read(search: string | URLSearchParams): void {
    const { state, warnings } = parseViewState(search);
    const params = typeof search === 'string' ? new URLSearchParams(search) : search;
    this.set(state);
    this.viewFromUrl = params.has('zoom') && !warnings.some((w) => /^parameter "(x|y|zoom)"/.test(w));
    this.warnings = warnings;
  }

  set(s: ViewState): void {
    this.model = s.model;
    this.target = s.target;
    this.images = s.images;
    this.criterion = s.criterion;
    this.cut = s.cut;
    this.perLayer = s.perLayer;
    this.layout = s.layout;
    this.selection = s.selection;
    this.image = s.image;
    this.removed = s.removed;
    this.view = s.view;
  }

  snapshot(): ViewState {
    return {
      model: this.model,
      target: this.target,
      images: this.images,
      criterion: this.criterion,
      cut: { ...this.cut },
      perLayer: this.perLayer,
      layout: this.layout,
      selection: this.selection ? { ...this.selection } : null,
      image: this.image,
      removed: { nodes: [...this.removed.nodes], edges: [...this.removed.edges] },
      view: { ...this.view },
    };
  }

  /** The circuit query the controls describe. */
  query(): CircuitQuery {
    return { target: this.target, images: this.images, criterion: this.criterion, cut: { ...this.cut }, perLayer: this.perLayer };
  }

  /** The page's address for this state, keeping path and hash. */
  href(base: string): string {
    const url = new URL(base);
    url.search = viewStateToParams(this.snapshot()).toString();
    return url.href;
  }

  dismissWarnings(): void {
    this.warnings = [];
  }
}

/** Writes the state to the address bar: at once for most changes, after a pause for the viewport. */
export class UrlWriter {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly write: (href: string) => void, private readonly delayMs = 300) {}

  now(href: string): void {
    clearTimeout(this.timer);
    if (href !== location.href) this.write(href);
  }

  later(href: () => string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.now(href()), this.delayMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
