// What the import dialog suggests and checks before an ONNX file becomes a model: the input size
// (the file's own when it is fixed, else 224x224), channel order, mean and std per channel, and
// class labels whose count must match the model's outputs. Plain functions, no DOM. The ImageNet
// defaults come with the importer (loaded with the first file, so the page does not carry it).

import type { OnnxSummary, Preprocessing } from '$lib/model/onnx/import';

/** ImageNet's input size, mean, std and channel order (the importer's IMAGENET_PREPROCESSING). */
export type ImportDefaults = Omit<Preprocessing, 'classes'>;

/** Where the class names come from: the ImageNet list the site ships, "class 0..n-1", or the visitor's own list. */
export type ClassSource = 'imagenet' | 'numbered' | 'own';

/** The dialog's fields, as the visitor edits them (numbers as typed). */
export interface ImportForm {
  height: string;
  width: string;
  channelOrder: 'rgb' | 'bgr';
  mean: string[];
  std: string[];
  classSource: ClassSource;
  /** The visitor's own labels, one per line. */
  ownClasses: string;
}

export interface NormalizationPreset {
  label: string;
  mean: (channels: number) => number[];
  std: (channels: number) => number[];
}

/** Per-channel normalization presets: ImageNet's, pixels in [0, 1] as they are, and [-1, 1]. */
export function normalizationPresets(imagenet: ImportDefaults): NormalizationPreset[] {
  return [
    { label: 'ImageNet', mean: (c) => imagenetOr(imagenet.mean, c, 0.5), std: (c) => imagenetOr(imagenet.std, c, 0.25) },
    { label: '0…1', mean: (c) => new Array(c).fill(0), std: (c) => new Array(c).fill(1) },
    { label: '−1…1', mean: (c) => new Array(c).fill(0.5), std: (c) => new Array(c).fill(0.5) },
  ];
}

/** ImageNet's per-channel values for RGB; for another channel count, the same value in each. */
function imagenetOr(values: number[], channels: number, other: number): number[] {
  return channels === values.length ? [...values] : new Array(channels).fill(other);
}

/** The form a file opens with: its stored preprocessing when there is one, else its fixed input size or 224x224 with ImageNet's normalization. */
export function initialForm(summary: OnnxSummary, stored: Preprocessing | null, imagenet: ImportDefaults): ImportForm {
  const c = summary.channels;
  const fromStored = stored && stored.mean.length === c && stored.std.length === c;
  const preset = normalizationPresets(imagenet)[0];
  const base = fromStored ? stored : { ...imagenet, channelOrder: c === 3 ? imagenet.channelOrder : 'rgb', mean: preset.mean(c), std: preset.std(c) };
  return {
    height: String(summary.height ?? (fromStored ? stored.height : imagenet.height)),
    width: String(summary.width ?? (fromStored ? stored.width : imagenet.width)),
    channelOrder: base.channelOrder,
    mean: base.mean.map(String),
    std: base.std.map(String),
    classSource: fromStored && stored.classes.length ? 'own' : summary.classCount === 1000 ? 'imagenet' : 'numbered',
    ownClasses: fromStored ? stored.classes.join('\n') : '',
  };
}

/** Class names from text: one per line, surrounding spaces and blank lines dropped. */
export function parseClassList(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export const numberedClasses = (n: number): string[] => Array.from({ length: n }, (_, i) => `class ${i}`);

const MAX_SIDE = 4096;

/** A plain decimal number (no hex, no Infinity), or null. */
function decimal(s: string): number | null {
  const t = s.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/**
 * The preprocessing the form describes, or the problems with it (each a sentence). `imagenet`:
 * the ImageNet class list once loaded (null while it loads or when it failed). The class count
 * must equal the model's outputs when the file says how many there are.
 */
export function checkForm(form: ImportForm, summary: OnnxSummary, imagenet: string[] | null): { prep: Preprocessing | null; problems: string[] } {
  const problems: string[] = [];
  const side = (s: string, what: string) => {
    const v = decimal(s);
    if (v === null || !Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      problems.push(`The input ${what} must be a whole number from 1 to ${MAX_SIDE}.`);
      return 0;
    }
    return v;
  };
  const height = side(form.height, 'height');
  const width = side(form.width, 'width');
  const mean = form.mean.map((s, c) => {
    const v = decimal(s);
    if (v === null) problems.push(`The mean of channel ${c + 1} must be a number.`);
    return v ?? 0;
  });
  const std = form.std.map((s, c) => {
    const v = decimal(s);
    if (v === null || v <= 0) problems.push(`The std of channel ${c + 1} must be a number above 0.`);
    return v ?? 1;
  });
  let classes: string[] = [];
  const count = summary.classCount;
  if (form.classSource === 'imagenet') {
    if (imagenet) classes = imagenet;
    else problems.push('The ImageNet class list is not loaded yet.');
  } else if (form.classSource === 'numbered') {
    if (count === null) problems.push('The file does not say how many classes the model has: give the class names as a list.');
    else classes = numberedClasses(count);
  } else {
    classes = parseClassList(form.ownClasses);
    if (classes.length === 0) problems.push('The class list is empty: one class name per line.');
  }
  if (count !== null && classes.length > 0 && classes.length !== count) {
    problems.push(`The model has ${count.toLocaleString('en')} outputs, but there are ${classes.length.toLocaleString('en')} class names: they must be as many.`);
  }
  if (problems.length) return { prep: null, problems };
  return { prep: { height, width, mean, std, channelOrder: form.channelOrder, classes }, problems };
}
