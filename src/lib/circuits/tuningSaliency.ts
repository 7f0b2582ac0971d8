// Tunes the actgrad edge reduction's kernel families (circuits/actgradEdges.ts) per layer shape,
// as engine/tuningConv.ts does for conv: each family runs on random data of the actual shape,
// sampled edges are checked against the f64 oracle, the ones that pass are timed (engine/tuning.ts)
// and the choice is recorded in Kernels, so saliency.ts's dispatches follow it.

import type { Kernels } from '../engine/kernels';
import type { Engine } from '../engine/engine';
import type { Model } from '../model/types';
import { adapterKey, chooseVariant, type TuningOptions, type TuningResult } from '../engine/tuning';
import { buildGraph } from '../graph/build';
import {
  SALIENCY_VARIANTS, DEFAULT_SALIENCY_VARIANT, actgradEdgeDispatches, actgradEdgeEntry, actgradShapeClass, actgradShapeOf,
  type ActgradProblem, type ActgradShape, type SaliencyVariant,
} from './actgradEdges';

/** Edges of each result compared with the CPU. */
const SAMPLES = 24;

function randomData(n: number, seed: number): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

/** Random problem data of a shape: x, w, and the output gradient. */
export function actgradProblem(s: ActgradShape, seed = 1): ActgradProblem {
  const [C, H, W] = s.inShape, [O, OH, OW] = s.outShape;
  const wLen = O * (C / s.g.groups) * s.g.kernel[0] * s.g.kernel[1];
  return { ...s, x: randomData(s.batch * C * H * W, seed), w: randomData(wLen, seed + 1), gy: randomData(s.batch * O * OH * OW, seed + 2) };
}

async function readBack(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Float32Array> {
  const st = device.createBuffer({ label: 'tuning.readback', size: n * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder({ label: 'tuning.readback' });
  enc.copyBufferToBuffer(buf, 0, st, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(st.getMappedRange().slice(0));
  st.unmap();
  st.destroy();
  return out;
}

/** Sampled edges of `got` agree with the f64 oracle within f32 rounding of their terms. */
export function actgradAgrees(p: ActgradProblem, got: Float32Array, seed: number, samples = SAMPLES): boolean {
  const n = got.length;
  for (let s = 0; s < samples; s++) {
    const e = s === 0 ? n - 1 : (Math.imul(seed + s, 2654435761) >>> 0) % n;
    const { value, scale } = actgradEdgeEntry(p, e);
    if (!(Math.abs(got[e] - value) <= 1e-5 * scale + 1e-6)) return false;
  }
  return true;
}

/** Chooses a family (of `variants`, default all) for one reduction shape and records it in `k.variantChoices`. */
export async function tuneActgradShape(
  k: Kernels, shape: ActgradShape, opts: TuningOptions, variants: readonly SaliencyVariant[] = SALIENCY_VARIANTS,
): Promise<TuningResult> {
  const p = actgradProblem(shape);
  const [O] = shape.outShape;
  const len = O * (shape.inShape[0] / shape.g.groups);
  const acquire = (data: Float32Array<ArrayBuffer> | number, name: string) => {
    const b = k.pool.acquire((typeof data === 'number' ? data : data.length) * 4, `tuning.${name}`);
    if (typeof data !== 'number') k.device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const bufs = { x: acquire(p.x, 'x'), w: acquire(p.w, 'w'), g: acquire(p.gy, 'g'), target: acquire(len, 'edges') };
  const key = actgradShapeClass(shape);
  try {
    const candidates = variants.map((v) => {
      const list = actgradEdgeDispatches(k, shape, bufs, `tuning.${v}`, v);
      const run = async () => {
        k.run(list, `tuning.actgrad.${v}`);
        await k.device.queue.onSubmittedWorkDone();
      };
      const check = async () => {
        // The dispatches add into the target: start from zero, run once, compare.
        k.device.queue.writeBuffer(bufs.target, 0, new Float32Array(len));
        await run();
        return actgradAgrees(p, await readBack(k.device, bufs.target, len), 17);
      };
      return { name: v, run, check };
    });
    const result = await chooseVariant(key, candidates, { preferred: DEFAULT_SALIENCY_VARIANT, ...opts });
    if (result.choice) k.variantChoices.set(key, result.choice);
    return result;
  } finally {
    // Returns the buffers and frees the pool's idle ones: tuning must not keep memory the plans need.
    for (const b of [...Object.values(bufs), ...k.takeOwned()]) k.pool.release(b);
    k.pool.trim();
  }
}

/** The reduction shapes of a model's kernel layers at `batch` images, one per shape class. */
export function modelActgradShapes(model: Model, batch: number): ActgradShape[] {
  const shapes = new Map<string, ActgradShape>();
  for (const s of buildGraph(model).kernelLayers) {
    const shape = actgradShapeOf(s, batch);
    shapes.set(actgradShapeClass(shape), shape);
  }
  return [...shapes.values()];
}

/**
 * Chooses the actgrad reduction's family for each kernel layer shape of the engine's model at
 * `batch` images (default: the largest batch), or takes the stored choice. Like Engine.tune.
 */
export async function tuneSaliency(engine: Engine, opts: Omit<TuningOptions, 'adapterKey'> & { adapterKey?: string; batch?: number }): Promise<TuningResult[]> {
  const info = (engine.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const options = { ...opts, adapterKey: opts.adapterKey ?? adapterKey(info) };
  const results: TuningResult[] = [];
  for (const shape of modelActgradShapes(engine.model, opts.batch ?? engine.maxBatch)) results.push(await tuneActgradShape(engine.kernels, shape, options));
  return results;
}
