// The loader's budgets: every size a model file declares is checked against these (and against
// the GPU's own buffer limits, when known) before any array is made from it, so a hostile file
// costs a message, not memory. Shared by model.json (load.ts) and the ONNX importer.

import { ModelFormatError } from './types';

export const MODEL_LIMITS = {
  /** model.json as text. */
  jsonChars: 64 * 2 ** 20,
  /** Nesting of arrays and objects in model.json (a valid file needs 4). */
  jsonDepth: 32,
  /** weights.bin (VGG-16 is 528 MB). */
  weightBytes: 2 ** 31,
  layers: 100_000,
  tensors: 200_000,
  /** Inputs of one layer. */
  layerInputs: 1024,
  classes: 100_000,
  /** A layer, tensor, parameter, class or input name. */
  nameChars: 256,
  /** model.json's name and format. */
  titleChars: 256,
  descriptionChars: 20_000,
  /** Rank of a tensor. */
  rank: 6,
  /** Channels of a map (the input's included). */
  channels: 65_536,
  /** Height or width of a map (the input's included). */
  spatial: 16_384,
  /** Elements of one tensor (weights). */
  tensorElements: 2 ** 28,
  /** Elements of one layer's output for one image. */
  activationElements: 2 ** 28,
  /** How much of what the file says a message quotes. */
  quoteChars: 80,
  /** The longest message the loader gives. */
  messageChars: 280,
} as const;

/** The GPU's buffer limits (GPUSupportedLimits has them); a tensor or map above them cannot run. */
export interface GpuBufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * A model that declares more than a budget allows: a kind of format error that says so. Its
 * `name` stays 'ModelFormatError', so code that tells format errors by name (across a worker
 * boundary, say) still sees one; `instanceof ModelSizeError` or `tooLarge` tells it apart.
 */
export class ModelSizeError extends ModelFormatError {
  readonly tooLarge = true;
}

/** Cuts a message to the loader's longest. */
export function bounded(message: string): string {
  const max = MODEL_LIMITS.messageChars;
  return message.length > max ? `${message.slice(0, max - 1)}…` : message;
}

/**
 * What the file says, for a message: JSON-like, at most `max` characters (then "…"), without
 * walking more of the value than it shows (a deeply nested or 50 MB value costs nothing).
 */
export function quote(value: unknown, max: number = MODEL_LIMITS.quoteChars): string {
  const out: string[] = [];
  let length = 0;
  const put = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length < max;
  };
  const write = (v: unknown): boolean => {
    if (typeof v === 'string') return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return put(String(v));
    if (v === undefined) return put('nothing');
    if (typeof v !== 'object') return put(typeof v);
    const isArray = Array.isArray(v);
    if (!put(isArray ? '[' : '{')) return false;
    let first = true;
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      if (!first && !put(', ')) return false;
      first = false;
      if (!isArray && !put(`${JSON.stringify(key.length > max ? key.slice(0, max) : key)}: `)) return false;
      if (!write((v as Record<string, unknown>)[key])) return false;
    }
    return put(isArray ? ']' : '}');
  };
  const complete = write(value);
  const text = out.join('');
  return complete && text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A name from the file, quoted for a message (shorter than `quote`, as messages often hold two). */
export const named = (name: string): string => quote(name, 60);

/** Throws a ModelSizeError unless `value` <= `limit`; `what` says whose size it is. */
export function checkBudget(what: string, value: number, limit: number, unit = ''): void {
  if (!(value <= limit)) throw new ModelSizeError(bounded(`${what} is ${value.toLocaleString('en-US')}${unit}; at most ${limit.toLocaleString('en-US')}${unit} is allowed`));
}

/**
 * The deepest nesting of arrays and objects in a parsed JSON value, measured without recursion;
 * stops counting once past `limit` (returns limit + 1).
 */
export function jsonDepth(value: unknown, limit: number = MODEL_LIMITS.jsonDepth): number {
  let deepest = 0;
  if (typeof value !== 'object' || value === null) return 0;
  // only containers go on the stack, each with its own depth
  const stack: [object, number][] = [[value, 1]];
  const push = (child: unknown, d: number) => {
    if (typeof child === 'object' && child !== null) stack.push([child, d]);
  };
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (d > limit) return d;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) push(v[i], d + 1);
    else for (const key of Object.keys(v)) push((v as Record<string, unknown>)[key], d + 1);
  }
  return deepest;
}

/**
 * The deepest nesting of brackets in JSON text, outside strings, in one pass; stops once past
 * `limit`. Lets a reader refuse a deeply nested file before parsing it.
 */
export function jsonTextDepth(text: string, limit: number = MODEL_LIMITS.jsonDepth): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (depth > limit) return depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}
