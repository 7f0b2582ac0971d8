// The circuit command's grammar: its options are the page link's parameters (or --link, a whole
// page link), put into URLSearchParams and read by the page's own parser (src/lib/state/url.ts),
// so a command and a link with the same settings ask the same CircuitQuery, defaults included.

import { parseArgs } from './args';
import { defaultState, parseViewState, viewStateToParams, type ViewState } from '../../src/lib/state/url';
import type { CircuitQuery } from '../../src/lib/worker/protocol';
import { queryOfState } from '../../src/lib/state/query';

/** Options spelled as the link's parameters. */
export const LINK_OPTIONS = ['model', 'target', 'images', 'criterion', 'keep', 'threshold', 'perlayer', 'linear'];
/** The command's own options: a whole link, image caps, preservation, the JSON file. */
export const COMMAND_OPTIONS = ['link', 'scoring-images', 'eval-images', 'preservation', 'json', 'onnx', 'classes', 'size', 'bgr'];
/** Older spellings, still accepted: --per-layer is --perlayer 1. */
export const ALIAS_OPTIONS = ['per-layer'];
export const CIRCUIT_OPTIONS = [...LINK_OPTIONS, ...COMMAND_OPTIONS, ...ALIAS_OPTIONS];

export interface CircuitCommand {
  /** The view the command describes: what the page shows for its link. */
  state: ViewState;
  query: CircuitQuery;
  /** The page link's search string with the same settings (parameters at their default left out). */
  link: string;
  preservation: boolean;
  json: string | null;
  /** An .onnx file to open instead of a built-in model, with the import dialog's choices. */
  onnx: { file: string; classes?: string; size?: string; bgr: boolean } | null;
  help: boolean;
}

const TARGET_KINDS = /^(loss$|logit:|prob:|node:|direction:)/i;

/** A target in an older spelling, in the link's: class:X is logit:X, layer:c[:max|@y,x] is node:layer:c[...]. */
export function targetAlias(text: string): string {
  const t = text.trim();
  if (TARGET_KINDS.test(t)) return t;
  if (/^class:/i.test(t)) return `logit:${t.slice(6)}`;
  if (/^[^:@\s]+:\d+/.test(t)) return `node:${t}`;
  return t;
}

/** The search params of a page link given whole (`https://host/?model=...`), as `?query` or bare `a=b&c=d`. */
export function linkSearch(link: string): URLSearchParams {
  const text = link.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return new URL(text).searchParams;
  const q = text.indexOf('?');
  const hash = text.indexOf('#');
  return new URLSearchParams(text.slice(q + 1, hash > q ? hash : undefined));
}

/** The value of an option that must have one (a bare --target would read as "true"). */
function valueOf(options: Record<string, string>, key: string): string {
  const v = options[key];
  if (v === 'true') throw new Error(`option --${key} needs a value`);
  return v;
}

/** --perlayer and --linear as 1 or 0 (a bare flag is 1), as the link spells them. */
function switchValue(options: Record<string, string>, key: string): string {
  const v = options[key];
  return v === 'true' ? '1' : v;
}

/** The link parameters of the options: --link's first, then each option given over it. */
export function linkParams(options: Record<string, string>): URLSearchParams {
  const params = options.link !== undefined ? linkSearch(valueOf(options, 'link')) : new URLSearchParams();
  if (options.keep !== undefined || options.threshold !== undefined) {
    params.delete('keep');
    params.delete('threshold');
  }
  for (const key of ['model', 'images', 'criterion', 'keep', 'threshold']) {
    if (options[key] !== undefined) params.set(key, valueOf(options, key));
  }
  if (options.target !== undefined) params.set('target', targetAlias(valueOf(options, 'target')));
  if (options['per-layer'] !== undefined) {
    if (options.perlayer !== undefined) throw new Error('give --perlayer or --per-layer, not both');
    if (options['per-layer'] !== 'true') throw new Error('--per-layer is a flag (it means --perlayer 1)');
    params.set('perlayer', '1');
  }
  for (const key of ['perlayer', 'linear']) if (options[key] !== undefined) params.set(key, switchValue(options, key));
  return params;
}

/** The CircuitQuery a view state asks for, as the page's view store builds it. */
/** --scoring-images and --eval-images: a whole number of images, at least 1. */
function imageCap(options: Record<string, string>, key: string): number | undefined {
  if (options[key] === undefined) return undefined;
  const v = valueOf(options, key);
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${key} ${JSON.stringify(v)}: expected a whole number of images, at least 1`);
  return Number(v);
}

function flag(options: Record<string, string>, key: string): boolean {
  const v = options[key];
  if (v === undefined || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new Error(`--${key} ${JSON.stringify(v)}: expected no value, 1 or 0`);
}

/** The command line read as a link: the query, the link itself and the command's own settings. */
export function circuitCommand(argv: string[]): CircuitCommand {
  const options = parseArgs(argv, CIRCUIT_OPTIONS);
  const { state, warnings } = parseViewState(linkParams(options));
  if (warnings.length) throw new Error(`refused: ${warnings.join('; ')}`);
  const scoringImages = imageCap(options, 'scoring-images');
  const evaluationImages = imageCap(options, 'eval-images');
  const query: CircuitQuery = {
    ...queryOfState(state),
    ...(scoringImages !== undefined ? { scoringImages } : {}),
    ...(evaluationImages !== undefined ? { evaluationImages } : {}),
  };
  // The link to the circuit alone: the view's own parameters (layout, selection, viewport, ...) at their default.
  const { layout, selection, image, removed, view } = defaultState();
  const link = viewStateToParams({ ...state, layout, selection, image, removed, view });
  return {
    state,
    query,
    link: link.toString(),
    // --eval-images says how many images preservation runs on, so it asks for preservation.
    preservation: flag(options, 'preservation') || evaluationImages !== undefined,
    json: options.json !== undefined ? valueOf(options, 'json') : null,
    onnx: options.onnx !== undefined
      ? { file: valueOf(options, 'onnx'), classes: options.classes, size: options.size, bgr: flag(options, 'bgr') }
      : null,
    help: options.help !== undefined,
  };
}
