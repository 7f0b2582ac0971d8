// Rows of the query section for the actgrad edge reduction alone: every kernel layer shape of
// the query model at the query's batch, once per kernel family (blocked; split with subgroups;
// split with a workgroup-memory tree; gemm), each timed result checked against the f64 oracle on
// sampled edges, and the tuner's pick per shape (stored in the bench's kernel-choices file).

import type { BenchContext, BenchRow } from '../types';
import type { Model } from '../../../src/lib/model/types';
import { actgradEdgeDispatches, actgradEdgeEntry, actgradShapeClass, type ActgradShape, type SaliencyVariant } from '../../../src/lib/circuits/actgradEdges';
import { actgradProblem, modelActgradShapes, tuneActgradShape } from '../../../src/lib/circuits/tuningSaliency';
import { FileChoiceStore } from '../../../src/lib/engine/tuningFileStore';
import { upload, readBack, rng } from '../buffers';
import { checkSampled, sampleIndices } from '../check';

interface Family {
  name: string;
  variant: SaliencyVariant;
  subgroups: boolean;
}

function families(ctx: BenchContext): Family[] {
  const out: Family[] = [{ name: 'blocked', variant: 'blocked', subgroups: false }];
  if (ctx.device.features.has('subgroups')) out.push({ name: 'split', variant: 'split', subgroups: true });
  out.push({ name: ctx.device.features.has('subgroups') ? 'split, no subgroups' : 'split', variant: 'split', subgroups: false });
  out.push({ name: 'gemm', variant: 'gemm', subgroups: false });
  return out;
}

function shapeString(s: ActgradShape): string {
  const { kernel: k, stride, padding, groups } = s.g;
  return `${s.inShape.join('x')} -> ${s.outShape.join('x')} k${k.join('x')}${stride[0] > 1 ? ` s${stride[0]}` : ''}${padding[0] ? ` p${padding[0]}` : ''}${groups > 1 ? ` g${groups}` : ''}`;
}

/** One family on one shape: timed, then run once more from zero and checked. */
async function measure(ctx: BenchContext, model: string, s: ActgradShape, f: Family, pick: string, seed: number): Promise<BenchRow> {
  const { device, kernels: k, pool } = ctx;
  const p = actgradProblem(s, seed);
  const len = s.outShape[0] * (s.inShape[0] / s.g.groups);
  const acquire = (n: number, name: string) => pool.acquire(n * 4, `bench.actgrad.${name}`);
  const bufs = { x: acquire(p.x.length, 'x'), w: acquire(p.w.length, 'w'), g: acquire(p.gy.length, 'g'), target: acquire(len, 'edges') };
  upload(device, bufs.x, p.x);
  upload(device, bufs.w, p.w);
  upload(device, bufs.g, p.gy);
  const subgroups = k.subgroups;
  k.subgroups = f.subgroups;
  const dispatches = actgradEdgeDispatches(k, s, bufs, `bench.${f.name}`, f.variant);
  k.subgroups = subgroups;
  try {
    const chosen = pick === f.variant && (f.variant !== 'split' || f.subgroups === subgroups);
    const label = `${model} actgrad edges ${shapeString(s)} [${f.name}]`;
    const t = await ctx.timer.measure(dispatches, ctx.options.runs, label);
    // The dispatches add into the target: clear it, run once, compare with the oracle.
    upload(device, bufs.target, new Float32Array(len));
    await ctx.timer.once(dispatches, label);
    const got = await readBack(device, bufs.target, len);
    const expected = sampleIndices(len, ctx.options.samples, rng(seed + 7)).map((e) => {
      const { value, scale } = actgradEdgeEntry(p, e);
      return { index: e, value, absSum: scale };
    });
    const check = checkSampled(label, got, expected);
    const flops = dispatches.reduce((a, d) => a + d.flops, 0);
    ctx.log(`  ${label.padEnd(64)} ${t.ms.toFixed(2).padStart(9)} ms${chosen ? '  (tuner pick)' : ''}`);
    return {
      section: 'query', name: `${model} [${f.name}]`, pass: 'actgrad edges', shape: shapeString(s), batch: s.batch, flops, ms: t.ms,
      gflops: flops / (t.ms * 1e6), timing: t.source, maxRelError: check.maxRelError, checked: check.checked,
      extra: { family: f.name, subgroups: f.subgroups, tunerChoice: chosen, shapeClass: actgradShapeClass(s), samples: t.samples },
    };
  } finally {
    for (const b of [...Object.values(bufs), ...k.takeOwned()]) pool.release(b);
    pool.trim();
  }
}

/** Every kernel layer shape of `model` at `batch` images (two with --quick), per family, with the tuner's pick. */
export async function saliencyFamilyRows(ctx: BenchContext, model: Model, batch: number, choicesPath: string): Promise<BenchRow[]> {
  const store = new FileChoiceStore(choicesPath);
  const rows: BenchRow[] = [];
  // --quick (CI) keeps the first two shapes: the few-edge first layer and one full 3x3 layer
  const shapes = modelActgradShapes(model, batch);
  for (const [i, s] of (ctx.options.quick ? shapes.slice(0, 2) : shapes).entries()) {
    const r = await tuneActgradShape(ctx.kernels, s, { store, adapterKey: ctx.adapterDescription, minRuns: ctx.options.quick ? 2 : 3 });
    const how = r.cached ? 'stored choice' : Object.entries(r.ms).map(([v, ms]) => `${v} ${ms.toFixed(1)} ms`).join(', ') + (r.failed.length ? `; failed check: ${r.failed.join(', ')}` : '');
    const pick = r.choice ?? 'blocked';
    ctx.log(`  actgrad edges ${shapeString(s)}: tuner -> ${pick} (${how})`);
    for (const f of families(ctx)) rows.push(await measure(ctx, model.name, s, f, pick, 500 + 10 * i));
  }
  return rows;
}
