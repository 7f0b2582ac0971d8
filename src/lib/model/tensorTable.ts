// The tensor table of model.json (name -> {shape, offset} in weights.bin): every entry's rank,
// dims and byte range checked against the budgets and the file before any data is read; data
// read only for the tensors layers use, each value checked finite.

import { ModelFormatError, type Shape } from './types';
import { MODEL_LIMITS, ModelSizeError, bounded, checkBudget, named, quote, type GpuBufferLimits } from './limits';

export interface TensorEntry {
  name: string;
  shape: Shape;
  offset: number;
  bytes: number;
}

const fail = (msg: string): never => {
  throw new ModelFormatError(bounded(msg));
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** The table's entries, each within weights.bin and none overlapping another. */
export function readTensors(raw: unknown, weightBytes: number, gpu?: GpuBufferLimits): Map<string, TensorEntry> {
  if (!isObject(raw)) return fail(`"tensors" must be an object mapping tensor names to {shape, offset} (got ${quote(raw)})`);
  const names = Object.keys(raw);
  checkBudget('the number of tensors in "tensors"', names.length, MODEL_LIMITS.tensors);
  const table = new Map<string, TensorEntry>();
  for (const name of names) {
    const entry = readEntry(name, raw[name], weightBytes, gpu);
    table.set(name, entry);
  }
  const sorted = [...table.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.offset < a.offset + a.bytes) fail(`tensors ${named(a.name)} and ${named(b.name)} overlap in weights.bin (bytes ${b.offset}..${a.offset + a.bytes})`);
  }
  return table;
}

function readEntry(name: string, t: unknown, weightBytes: number, gpu?: GpuBufferLimits): TensorEntry {
  const where = `tensor ${named(name)}`;
  checkBudget(`the name of ${where} (characters)`, name.length, MODEL_LIMITS.nameChars);
  if (!isObject(t)) return fail(`${where} must be an object {shape, offset} (got ${quote(t)})`);
  const { shape, offset, dtype } = t;
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > MODEL_LIMITS.rank || !shape.every(isPosInt))
    fail(`${where}: shape must list 1 to ${MODEL_LIMITS.rank} positive integers (got ${quote(shape)})`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset % 4 !== 0)
    fail(`${where}: offset must be a non-negative multiple of 4 (got ${quote(offset)})`);
  if (dtype !== undefined && dtype !== 'float32') fail(`${where}: only float32 is supported (got ${quote(dtype)})`);
  let elements = 1;
  for (const d of shape as number[]) {
    elements *= d;
    if (elements > MODEL_LIMITS.tensorElements)
      throw new ModelSizeError(bounded(`${where}: shape ${quote(shape)} holds more than ${MODEL_LIMITS.tensorElements.toLocaleString('en-US')} elements, the most a tensor may have`));
  }
  const bytes = elements * 4;
  const gpuMax = gpu ? Math.min(gpu.maxStorageBufferBindingSize, gpu.maxBufferSize) : Infinity;
  if (bytes > gpuMax)
    throw new ModelSizeError(bounded(`${where} is ${bytes.toLocaleString('en-US')} bytes; this GPU holds at most ${gpuMax.toLocaleString('en-US')} bytes in one buffer`));
  const end = (offset as number) + bytes;
  if (end > weightBytes)
    fail(`${where} needs bytes ${offset}..${end} but weights.bin has only ${weightBytes} bytes (truncated file, or the wrong weights.bin?)`);
  return { name, shape: shape as number[], offset: offset as number, bytes };
}

/**
 * After the layers took their tensors: weights.bin must end where the table does, so bytes no
 * entry describes (a missing entry, or another model's file) are named as such.
 */
export function checkCoverage(table: Map<string, TensorEntry>, weightBytes: number): void {
  let last: TensorEntry | null = null;
  for (const t of table.values()) if (!last || t.offset + t.bytes > last.offset + last.bytes) last = t;
  const end = last ? last.offset + last.bytes : 0;
  if (end !== weightBytes)
    fail(`weights.bin is ${weightBytes} bytes but the tensor table ends at byte ${end}${last ? ` (after ${named(last.name)})` : ''}: an entry is missing from the table, or this weights.bin does not belong to this model.json`);
}

/** A tensor's values (little-endian float32), each checked finite. */
export function readData(t: TensorEntry, weights: ArrayBuffer): Float32Array {
  const n = t.bytes / 4;
  const out = new Float32Array(n);
  const view = new DataView(weights, t.offset, t.bytes);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) fail(`tensor ${named(t.name)} holds ${out[i]} at element ${i}: weights must be finite`);
  }
  return out;
}
