// Which images of a set drive a unit most and least: every channel's mean activation per image
// at one node, from forward passes over the set in batches (the network stops at that node and
// only its output is read back), and the ranking of one channel's images by that mean.

import type { Engine } from '../engine/engine';
import { nodeShape, shapeSize } from '../model/types';
import type { ImageStream } from './imageStream';
import { QueryCancelled } from './saliency';

/** Per image of a set, the mean of each channel's map at one node: means[image * channels + channel]. */
export interface ChannelMeans {
  node: string;
  count: number;
  channels: number;
  means: Float32Array;
}

export interface ChannelMeansOptions {
  signal?: AbortSignal;
  progress?: (phase: string, done: number, total: number) => void;
  /** Runs one batch's GPU work (the worker queues it behind other engine calls); default: at once. */
  step?: <T>(work: () => Promise<T>) => Promise<T>;
  batchSize?: number;
}

/** The mean over each channel's plane of a [C, H, W] (or [F]) row, into out[0..C). */
export function planeMeans(row: Float32Array, channels: number, plane: number, out: Float32Array, at: number): void {
  for (let c = 0; c < channels; c++) {
    let s = 0;
    const base = c * plane;
    for (let q = 0; q < plane; q++) s += row[base + q];
    out[at + c] = s / plane;
  }
}

/** Mean activation of every channel of `node` on every image of the set, in batches. */
export async function channelMeans(engine: Engine, node: string, set: ImageStream, opts: ChannelMeansOptions = {}): Promise<ChannelMeans> {
  const shape = nodeShape(engine.model, node);
  const channels = shape.length === 3 ? shape[0] : shapeSize(shape);
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  const per = shapeSize(shape);
  const means = new Float32Array(set.count * channels);
  const batch = Math.max(1, Math.min(opts.batchSize ?? engine.maxBatch, engine.maxBatch));
  const step = opts.step ?? (<T>(work: () => Promise<T>) => work());
  for (let start = 0; start < set.count; start += batch) {
    if (opts.signal?.aborted) throw new QueryCancelled();
    const n = Math.min(batch, set.count - start);
    const y = await step(async () => {
      engine.forward(set.images(start, n), n, node);
      return engine.read(node);
    });
    for (let i = 0; i < n; i++) planeMeans(y.subarray(i * per, (i + 1) * per), channels, plane, means, (start + i) * channels);
    opts.progress?.('Ranking images', start + n, set.count);
  }
  return { node, count: set.count, channels, means };
}

/** Images ordered by one channel's mean: the `top` highest (descending) and the `bottom` lowest (ascending); ties by index. */
export function rankImages(m: ChannelMeans, channel: number, top: number, bottom: number): { top: number[]; bottom: number[] } {
  if (!Number.isInteger(channel) || channel < 0 || channel >= m.channels) throw new RangeError(`channel ${channel} is not a channel of ${m.node} (0..${m.channels - 1})`);
  const value = (i: number) => m.means[i * m.channels + channel];
  const order = Array.from({ length: m.count }, (_, i) => i).sort((a, b) => value(b) - value(a) || a - b);
  const t = Math.min(top, m.count);
  const b = Math.min(bottom, m.count - t);
  return { top: order.slice(0, t), bottom: order.slice(m.count - b).reverse() };
}
