// The worker API's questions about units across the network and the image set: the weights of
// many kernels at once (the circuit diagram draws them), and the images of the set that drive a
// unit most and least, with the unit's map on each (a job over the set, cached per layer).
import * as Comlink from 'comlink';
import { channelMeans, rankImages, type ChannelMeans } from '$lib/circuits/topImages';
import { pixelImageStream } from '$lib/circuits/imageStream';
import { nodeShape } from '$lib/model/types';
import type { ImageSet } from '$lib/images/imageSet';
import { newJobId } from './jobs';
import { runViewJob } from './view/jobRun';
import { checkEdge, checkNode, Inspector } from './view/inspection';
import { channelPlane, mapData } from './view/maps';
import type { MicroscopeSession, RunOptions } from './view/session';
import { exclusive, progressFn, releaseCallback, requireLoaded, waitingNote, type WorkerState } from './apiState';
import type { KernelData, MapData, MicroscopeApi, TopImage, TopImagesResult } from './protocol';

/** At most this many kernels per kernels() call. */
export const KERNELS_MAX = 5000;
/** At most this many images at each end of a ranking. */
export const TOP_IMAGES_MAX = 32;

/** Per session: a CPU-side reader of its weights and map sources (no GPU state of its own). */
const readers = new WeakMap<MicroscopeSession, Inspector>();
/** Per image set: the channel means of each node asked about (a new set or model starts afresh). */
const meansCache = new WeakMap<ImageSet, Map<string, ChannelMeans>>();

function readerOf(session: MicroscopeSession): Inspector {
  let r = readers.get(session);
  if (!r) readers.set(session, (r = new Inspector(session.engine, session.graph)));
  return r;
}

export function unitMethods(state: WorkerState): Pick<MicroscopeApi, 'kernels' | 'topImages'> {
  return {
    async kernels(edges) {
      const { session } = requireLoaded(state);
      if (!Array.isArray(edges) || edges.length > KERNELS_MAX) throw new RangeError(`kernels: expected a list of at most ${KERNELS_MAX} edges`);
      for (const e of edges) checkEdge(session.graph, e);
      const reader = readerOf(session);
      const out: KernelData[] = edges.map((e) => reader.kernelOf(e));
      return Comlink.transfer(out, [...new Set(out.map((k) => k.weights.buffer as ArrayBuffer))]);
    },

    async topImages(node, count = { top: 6, bottom: 3 }, jobId = newJobId('top-images'), onProgress) {
      try {
        const { session } = requireLoaded(state);
        checkNode(session.graph, node);
        const top = Math.max(0, Math.min(TOP_IMAGES_MAX, Math.floor(count.top)));
        const bottom = Math.max(0, Math.min(TOP_IMAGES_MAX, Math.floor(count.bottom)));
        const set = session.images;
        if (!set) throw new Error('this model has no image set to rank');
        const result = await runViewJob(state.jobs, jobId, progressFn(onProgress), (opts) => rankedImages(state, session, set, node, { top, bottom }, opts));
        const buffers = [...result.top, ...result.bottom].map((t) => t.map.data.buffer as ArrayBuffer);
        return Comlink.transfer(result, buffers);
      } finally {
        releaseCallback(onProgress);
      }
    },
  };
}

/** The set's images ranked by the node's channel mean (computed once per set and node), with the unit's map on each listed image. */
async function rankedImages(state: WorkerState, session: MicroscopeSession, set: ImageSet, node: number, count: { top: number; bottom: number }, opts: RunOptions): Promise<TopImagesResult> {
  const t0 = performance.now();
  const src = readerOf(session).nodeMapSource(node);
  const perSet = meansCache.get(set) ?? meansCache.set(set, new Map()).get(set)!;
  let means = perSet.get(src.name);
  const cached = !!means;
  if (!means) {
    const stream = pixelImageStream('images', session.model.input, set.pixels, Array.from({ length: set.count }, (_, i) => i));
    const step = <T>(work: () => Promise<T>) => exclusive(state, work, waitingNote(opts));
    means = await channelMeans(session.engine, src.name, stream, { signal: opts.signal, progress: opts.progress, step });
    perSet.set(src.name, means);
  }
  const ranked = rankImages(means, src.channel, count.top, count.bottom);
  const listed = [...ranked.top, ...ranked.bottom];
  const maps = await unitMaps(state, session, set, src, listed);
  const entry = (index: number, k: number): TopImage => ({
    index, mean: means!.means[index * means!.channels + src.channel], label: set.classes[set.labels[index]] ?? '', map: maps[k],
  });
  return {
    node, mapNode: src.name, channel: src.channel, imageCount: set.count,
    top: ranked.top.map((i, k) => entry(i, k)),
    bottom: ranked.bottom.map((i, k) => entry(i, ranked.top.length + k)),
    ms: performance.now() - t0, cached,
  };
}

/** The unit's map on each of a few images (one forward pass of them, stopped at the unit's node). */
async function unitMaps(state: WorkerState, session: MicroscopeSession, set: ImageSet, src: { name: string; channel: number }, images: number[]): Promise<MapData[]> {
  if (!images.length) return [];
  const stream = pixelImageStream('listed', session.model.input, set.pixels, images);
  const shape = nodeShape(session.model, src.name);
  const per = shape.reduce((a, b) => a * b, 1);
  const engine = session.engine;
  const out: MapData[] = [];
  for (let start = 0; start < images.length; start += engine.maxBatch) {
    const n = Math.min(engine.maxBatch, images.length - start);
    const y = await exclusive(state, async () => {
      engine.forward(stream.images(start, n), n, src.name);
      return engine.read(src.name);
    });
    for (let i = 0; i < n; i++) {
      const p = channelPlane(y.subarray(i * per, (i + 1) * per), shape, src.channel);
      out.push(mapData(p.data.slice(), p.height, p.width, src.name));
    }
  }
  return out;
}
