// The whole view state (model, target, image set, criterion, keep or threshold, per-layer
// normalization, whether linear layers are pruned, layout, selection, inspected image, ablated
// nodes and edges, viewport, a second view such as the circuit diagram, the classroom tour's step) to and from URL search params. Parsing never throws: bad
// parameters fall back to defaults and each one yields a plain-text warning naming it.

import { CRITERIA, type Criterion } from '../circuits/criteria';
import { isDecimal } from '../text/decimal';

export { CRITERIA, type Criterion };
export const LAYOUTS = ['grid', 'sorted', 'mds'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** Keep the top fraction of relevant kernels, or all above a normalized score threshold. */
export type Cut = { kind: 'keep'; value: number } | { kind: 'threshold'; value: number };
export type Selection = { kind: 'node' | 'edge'; id: number } | null;
/** A view shown over the graph (`show=diagram`: the circuit diagram), or null. */
export const SHOWS = ['diagram'] as const;
export type Show = (typeof SHOWS)[number] | null;
/** Graph nodes and edges removed by ablation, each list without repeats. */
export type Removed = { nodes: number[]; edges: number[] };
/** At most this many removed parts travel in a link. */
export const REMOVED_MAX = 1000;
/** The classroom tour's steps are `tour=0` (the introduction) to `tour=TOUR_LAST` (the end). */
export const TOUR_LAST = 7;

export interface ViewState {
  model: string;
  /** What the circuit preserves, e.g. "loss", "logit:3", "node:conv2:12". */
  target: string;
  /** An image set or a contrast expression, e.g. "all", "class:Sandal", "Sandal - all". */
  images: string;
  criterion: Criterion;
  cut: Cut;
  /**
   * Normalize scores per layer before the cut, so every layer's best kernels compete on equal
   * terms. On by default: ranked globally, a small first layer can drop out of the top
   * fraction entirely, and the effective mask then leaves no path to the input (an empty
   * circuit, as for fashion-small's loss at keep 0.1); perlayer=0 ranks raw scores globally.
   */
  perLayer: boolean;
  /**
   * Prune linear (fully connected) layers' weights too. Off by default: only convolution
   * kernels are cut, as the seed paper does; linear=1 turns it on.
   */
  linear: boolean;
  layout: Layout;
  selection: Selection;
  /** The model image the inspector shows (an index into the model's image set); null: the first sample. */
  image: number | null;
  /** What the visitor removed (ablation): `ablate=node:3,edge:17`. */
  removed: Removed;
  /** Engine precision: 'fast' keeps conv weights as packed f16 (f32 sums); 'exact' is f32 (`precision=fast`). */
  precision: 'exact' | 'fast';
  /** The world point at the centre of the view, and the zoom (screen pixels per unit). */
  view: { x: number; y: number; zoom: number };
  /** A view over the graph: 'diagram' (the circuit diagram), or null. */
  show: Show;
  /** The classroom tour's step on screen (0 to TOUR_LAST), or null outside the tour. */
  tour: number | null;
}

export const DEFAULT_STATE: ViewState = {
  model: 'fashion-small',
  target: 'loss',
  images: 'all',
  criterion: 'actgrad',
  cut: { kind: 'keep', value: 0.1 },
  perLayer: true,
  linear: false,
  layout: 'grid',
  selection: null,
  image: null,
  precision: 'exact',
  removed: { nodes: [], edges: [] },
  view: { x: 0, y: 0, zoom: 1 },
  show: null,
  tour: null,
};

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
/** A model stored in this browser (`local:<name>`): letters, digits, spaces and _ . ( ) -, at most 64, not starting with a space or dot. */
const LOCAL_MODEL_NAME = /^[\p{L}\p{N}_()-][\p{L}\p{N} _.()-]{0,63}$/u;
/**
 * An ONNX file on the page's own site (`url:/path/model.onnx`): one leading "/" (not "//"), plain
 * path characters only (no "\\", ":", "?", "#" or control characters), so it cannot name another site or scheme.
 */
const SITE_MODEL_PATH = /^\/[\p{L}\p{N} ._~%()+,=@!$'*;-][\p{L}\p{N} ._~%/()+,=@!$'*;-]{0,500}\.onnx$/iu;

/** What the `model` parameter names: a built-in model, a model stored in this browser, or an ONNX file on this site. */
export type ModelRef = { kind: 'builtin'; name: string } | { kind: 'local'; name: string } | { kind: 'url'; path: string };

/** The model a `model` value names, or null when it is none of `name`, `local:<name>`, `url:/path/model.onnx`. */
export function parseModelRef(value: string): ModelRef | null {
  if (value.startsWith('local:')) {
    const name = value.slice('local:'.length);
    return LOCAL_MODEL_NAME.test(name) ? { kind: 'local', name } : null;
  }
  if (value.startsWith('url:')) {
    const path = value.slice('url:'.length);
    return SITE_MODEL_PATH.test(path) ? { kind: 'url', path } : null;
  }
  return MODEL_NAME.test(value) ? { kind: 'builtin', name: value } : null;
}

/** Whether `name` can be a stored model's name (`local:<name>` in a link). */
export function isLocalModelName(name: string): boolean {
  return LOCAL_MODEL_NAME.test(name);
}

/**
 * Where a `url:` model is: the path resolved on the page's own origin, or null when it is not a
 * same-origin .onnx path (checked again after resolving, whatever the path's syntax let through).
 */
export function siteModelUrl(path: string, pageHref: string): URL | null {
  if (!SITE_MODEL_PATH.test(path)) return null;
  let page: URL, url: URL;
  try {
    page = new URL(pageHref);
    url = new URL(path, page);
  } catch {
    return null;
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  return web && url.origin === page.origin && !url.username && !url.password ? url : null;
}

/** Targets and image expressions: letters, digits and a little punctuation (= for sparse directions); no markup characters. */
const EXPRESSION = /^[\p{L}\p{N} _.:,@+\-*/()'=]{1,200}$/u;
const ZOOM_MIN = 1e-6;
const ZOOM_MAX = 1e6;
const COORD_MAX = 1e9;

export function defaultState(): ViewState {
  return structuredClone(DEFAULT_STATE);
}

/** Shows a bad value in a warning: short, one line, control and markup characters replaced. */
function shown(value: string): string {
  const clean = value.replace(/[\p{C}<>&"`]/gu, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}

/** A number with no surprises: plain decimal or exponent notation, finite. */
function parseNumber(s: string): number | null {
  if (!isDecimal(s.trim())) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v + 0 : null; // + 0 turns -0 into 0
}

/** Reads the address's parameters: `get` never throws, `bad` records a warning naming the parameter. */
interface ParamReader {
  get(key: string): string | null;
  bad(key: string, value: string, why: string): void;
}

/** The parameters a link carries. */
export const LINK_PARAMS = ['model', 'target', 'images', 'criterion', 'keep', 'threshold', 'perlayer', 'linear', 'layout', 'select', 'image', 'ablate', 'precision', 'x', 'y', 'zoom', 'show', 'tour'] as const;
/** The longest query read (1000 removed parts take 16 kB); parameters past it are dropped with a warning. */
export const QUERY_MAX_CHARS = 32_768;

/**
 * Reads a link's view state. `otherParams`: parameters the caller reads itself (the /graph
 * page's switches), which are not warned about as unknown.
 */
export function parseViewState(query: string | URLSearchParams, otherParams: readonly string[] = []): { state: ViewState; warnings: string[] } {
  const state = defaultState();
  const warnings: string[] = [];
  let params: URLSearchParams;
  try {
    const text = typeof query === 'string' ? query : query.toString();
    const read = text.length > QUERY_MAX_CHARS ? capped(text, warnings) : text;
    params = typeof query === 'string' || read !== text ? new URLSearchParams(read) : query;
    warnings.push(...unexpectedParams(params, otherParams));
  } catch {
    return { state, warnings: ['the address could not be read; showing the default view'] };
  }
  const read: ParamReader = {
    get: (key) => {
      try {
        return params.get(key);
      } catch {
        return null;
      }
    },
    bad: (key, value, why) => warnings.push(`parameter "${key}" = ${shown(value)} ignored: ${why}`),
  };
  // each group of parameters in turn (the warnings come in this order)
  for (const readParams of [readModel, readExpressions, readCriterion, readCut, readSwitches, readLayout, readSelection, readRemoved, readImage, readPrecision, readViewport, readShow, readTour]) {
    readParams(read, state);
  }
  return { state, warnings };
}

/** The query up to its last whole parameter within QUERY_MAX_CHARS; a warning names what was dropped. */
function capped(text: string, warnings: string[]): string {
  const end = text.lastIndexOf('&', QUERY_MAX_CHARS);
  const kept = end > 0 ? text.slice(0, end) : '';
  const dropped = text.slice(kept.length).split('&').filter((p) => p !== '');
  const names = dropped.slice(0, 3).map((p) => shown(p.slice(0, Math.min(40, p.includes('=') ? p.indexOf('=') : p.length))));
  warnings.push(
    `the address is ${text.length.toLocaleString('en-US')} characters long; only its first ${QUERY_MAX_CHARS.toLocaleString('en-US')} are read, so ${dropped.length} parameter(s) were ignored: ${names.join(', ')}${dropped.length > names.length ? ', …' : ''}`,
  );
  return kept;
}

/** Warnings for parameters no one reads and for repeats (only the first of each is read). */
function unexpectedParams(params: URLSearchParams, otherParams: readonly string[]): string[] {
  const known = new Set<string>([...LINK_PARAMS, ...otherParams]);
  const counts = new Map<string, number>();
  for (const key of params.keys()) counts.set(key, (counts.get(key) ?? 0) + 1);
  const unknown = [...counts.keys()].filter((k) => !known.has(k));
  const repeated = [...counts].filter(([k, n]) => known.has(k) && n > 1);
  const warnings: string[] = [];
  if (unknown.length)
    warnings.push(`unknown parameter(s) ignored: ${unknown.slice(0, 5).map(shown).join(', ')}${unknown.length > 5 ? `, and ${unknown.length - 5} more` : ''}`);
  for (const [key, n] of repeated.slice(0, 5)) warnings.push(`parameter "${key}" is given ${n} times; only the first is read`);
  return warnings;
}

function readModel(read: ParamReader, state: ViewState): void {
  const model = read.get('model');
  if (model === null) return;
  if (parseModelRef(model)) state.model = model;
  else if (model.startsWith('url:')) read.bad('model', model, 'a model file is url:/path/model.onnx on this site (one leading "/"; no other site, "//", "http:" or "data:")');
  else if (model.startsWith('local:')) read.bad('model', model, 'a stored model is local:NAME (letters, digits, spaces and _ . ( ) -, at most 64)');
  else read.bad('model', model, 'a model name is letters, digits, "-" and "_" (at most 64), or local:NAME, or url:/path/model.onnx');
}

/** The target and the image set (or contrast). */
function readExpressions(read: ParamReader, state: ViewState): void {
  for (const key of ['target', 'images'] as const) {
    const v = read.get(key);
    if (v === null) continue;
    if (EXPRESSION.test(v) && v.trim() !== '') state[key] = v;
    else read.bad(key, v, 'only letters, digits, spaces and _ . : , @ + - * / ( ) \' = are allowed (at most 200)');
  }
}

function readCriterion(read: ParamReader, state: ViewState): void {
  const criterion = read.get('criterion');
  if (criterion === null) return;
  if ((CRITERIA as readonly string[]).includes(criterion)) state.criterion = criterion as Criterion;
  else read.bad('criterion', criterion, `expected one of ${CRITERIA.join(', ')}`);
}

/** `keep` or `threshold`; when both are given, a valid keep wins. */
function readCut(read: ParamReader, state: ViewState): void {
  const keep = read.get('keep');
  let keepTaken = false;
  if (keep !== null) {
    const v = parseNumber(keep);
    if (v !== null && v > 0 && v <= 1) {
      state.cut = { kind: 'keep', value: v };
      keepTaken = true;
    } else read.bad('keep', keep, 'expected a fraction in (0, 1]');
  }
  const threshold = read.get('threshold');
  if (threshold === null) return;
  const v = parseNumber(threshold);
  if (keepTaken) read.bad('threshold', threshold, '"keep" is given too, and wins');
  else if (v !== null && v >= 0 && v <= 1) state.cut = { kind: 'threshold', value: v };
  else read.bad('threshold', threshold, 'expected a normalized score in [0, 1]');
}

/** The on/off parameters: per-layer normalization, pruning linear layers. */
function readSwitches(read: ParamReader, state: ViewState): void {
  for (const [key, field] of [['perlayer', 'perLayer'], ['linear', 'linear']] as const) {
    const v = read.get(key);
    if (v === null) continue;
    if (v === '1' || v === '0') state[field] = v === '1';
    else read.bad(key, v, 'expected 1 or 0');
  }
}

function readLayout(read: ParamReader, state: ViewState): void {
  const layout = read.get('layout');
  if (layout === null) return;
  if ((LAYOUTS as readonly string[]).includes(layout)) state.layout = layout as Layout;
  else read.bad('layout', layout, `expected one of ${LAYOUTS.join(', ')}`);
}

function readSelection(read: ParamReader, state: ViewState): void {
  const select = read.get('select');
  if (select === null) return;
  const m = /^(node|edge):(\d{1,10})$/.exec(select);
  const id = m ? Number(m[2]) : NaN;
  if (m && Number.isSafeInteger(id) && id < 2 ** 32) state.selection = { kind: m[1] as 'node' | 'edge', id };
  else read.bad('select', select, 'expected node:N or edge:N');
}

/** `ablate=node:3,edge:17`: all or nothing, repeats dropped. */
function readRemoved(read: ParamReader, state: ViewState): void {
  const ablate = read.get('ablate');
  if (ablate === null) return;
  const items = ablate.split(',').filter((t) => t !== '');
  // counted before anything else is done with them
  if (items.length > REMOVED_MAX) return read.bad('ablate', `${items.length} parts`, `at most ${REMOVED_MAX} removed parts travel in a link`);
  const badItem = items.find((t) => !/^(node|edge):\d{1,10}$/.test(t) || Number(t.split(':')[1]) >= 2 ** 32);
  if (badItem !== undefined) return read.bad('ablate', badItem, 'expected a comma-separated list of node:N and edge:N');
  for (const t of items) {
    const [kind, id] = t.split(':');
    const list = kind === 'node' ? state.removed.nodes : state.removed.edges;
    if (!list.includes(Number(id))) list.push(Number(id));
  }
}

function readImage(read: ParamReader, state: ViewState): void {
  const image = read.get('image');
  if (image === null) return;
  const v = /^\d{1,10}$/.test(image) ? Number(image) : NaN;
  if (Number.isSafeInteger(v) && v < 2 ** 32) state.image = v;
  else read.bad('image', image, 'expected an image number (0, 1, 2, ...)');
}

/** The graph's viewport: centre x, y and zoom. */
function readViewport(read: ParamReader, state: ViewState): void {
  for (const key of ['x', 'y'] as const) {
    const raw = read.get(key);
    if (raw === null) continue;
    const v = parseNumber(raw);
    if (v !== null && Math.abs(v) <= COORD_MAX) state.view[key] = v;
    else read.bad(key, raw, `expected a number within ±${COORD_MAX}`);
  }
  const zoom = read.get('zoom');
  if (zoom === null) return;
  const v = parseNumber(zoom);
  if (v !== null && v >= ZOOM_MIN && v <= ZOOM_MAX) state.view.zoom = v;
  else read.bad('zoom', zoom, `expected a number in [${ZOOM_MIN}, ${ZOOM_MAX}]`);
}

function readShow(read: ParamReader, state: ViewState): void {
  const show = read.get('show');
  if (show === null) return;
  if ((SHOWS as readonly string[]).includes(show)) state.show = show as Show;
  else read.bad('show', show, `expected ${SHOWS.join(' or ')}`);
}

/** `precision=fast` or `precision=exact` (the default). */
function readPrecision(read: ParamReader, state: ViewState): void {
  const precision = read.get('precision');
  if (precision === null) return;
  if (precision === 'fast' || precision === 'exact') state.precision = precision;
  else read.bad('precision', precision, 'expected fast or exact');
}

/** `tour=N`: the classroom tour's step N (0 to TOUR_LAST). */
function readTour(read: ParamReader, state: ViewState): void {
  const tour = read.get('tour');
  if (tour === null) return;
  const v = /^\d{1,2}$/.test(tour) ? Number(tour) : NaN;
  if (v >= 0 && v <= TOUR_LAST) state.tour = v;
  else read.bad('tour', tour, `expected a tour step from 0 to ${TOUR_LAST}`);
}

/** The search params for a state; parameters at their default are left out. */
export function viewStateToParams(state: ViewState): URLSearchParams {
  const p = new URLSearchParams();
  const d = DEFAULT_STATE;
  if (state.model !== d.model) p.set('model', state.model);
  if (state.target !== d.target) p.set('target', state.target);
  if (state.images !== d.images) p.set('images', state.images);
  if (state.criterion !== d.criterion) p.set('criterion', state.criterion);
  if (state.cut.kind === 'threshold') p.set('threshold', String(state.cut.value));
  else if (state.cut.value !== d.cut.value) p.set('keep', String(state.cut.value));
  if (state.perLayer !== d.perLayer) p.set('perlayer', state.perLayer ? '1' : '0');
  if (state.linear !== d.linear) p.set('linear', state.linear ? '1' : '0');
  if (state.layout !== d.layout) p.set('layout', state.layout);
  if (state.selection) p.set('select', `${state.selection.kind}:${state.selection.id}`);
  if (state.image !== null) p.set('image', String(state.image));
  const removed = [...state.removed.nodes.map((n) => `node:${n}`), ...state.removed.edges.map((e) => `edge:${e}`)];
  if (removed.length) p.set('ablate', removed.join(','));
  if (state.precision !== d.precision) p.set('precision', state.precision);
  if (state.view.x !== d.view.x) p.set('x', String(state.view.x));
  if (state.view.y !== d.view.y) p.set('y', String(state.view.y));
  if (state.view.zoom !== d.view.zoom) p.set('zoom', String(state.view.zoom));
  if (state.show !== null) p.set('show', state.show);
  if (state.tour !== null) p.set('tour', String(state.tour));
  return p;
}

/** True when a state is one `parseViewState` could return (used by tests and callers). */
export function isValidState(s: ViewState): boolean {
  const finite = (v: number) => typeof v === 'number' && Number.isFinite(v);
  return (
    parseModelRef(s.model) !== null &&
    EXPRESSION.test(s.target) &&
    EXPRESSION.test(s.images) &&
    (CRITERIA as readonly string[]).includes(s.criterion) &&
    (LAYOUTS as readonly string[]).includes(s.layout) &&
    typeof s.perLayer === 'boolean' &&
    typeof s.linear === 'boolean' &&
    (s.precision === 'exact' || s.precision === 'fast') &&
    (s.image === null || (Number.isSafeInteger(s.image) && s.image >= 0 && s.image < 2 ** 32)) &&
    finite(s.cut.value) &&
    (s.cut.kind === 'keep' ? s.cut.value > 0 && s.cut.value <= 1 : s.cut.kind === 'threshold' && s.cut.value >= 0 && s.cut.value <= 1) &&
    [s.removed.nodes, s.removed.edges].every((l) => Array.isArray(l) && new Set(l).size === l.length && l.every((v) => Number.isSafeInteger(v) && v >= 0 && v < 2 ** 32)) &&
    s.removed.nodes.length + s.removed.edges.length <= REMOVED_MAX &&
    (s.selection === null || ((s.selection.kind === 'node' || s.selection.kind === 'edge') && Number.isSafeInteger(s.selection.id) && s.selection.id >= 0)) &&
    finite(s.view.x) && Math.abs(s.view.x) <= COORD_MAX &&
    finite(s.view.y) && Math.abs(s.view.y) <= COORD_MAX &&
    finite(s.view.zoom) && s.view.zoom >= ZOOM_MIN && s.view.zoom <= ZOOM_MAX &&
    (s.show === null || (SHOWS as readonly string[]).includes(s.show)) &&
    (s.tour === null || (Number.isSafeInteger(s.tour) && s.tour >= 0 && s.tour <= TOUR_LAST))
  );
}
