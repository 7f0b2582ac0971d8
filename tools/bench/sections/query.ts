// Circuit query benchmark: the full edge-level actgrad query (every kernel of fashion-vgg,
// class-logit target) over an image set, next to a plain forward+backward over the same
// images; GPU memory with 10x fewer images (it must not grow with the set); and the same
// query in PyTorch on this machine's CPU (tools/python/query_bench.py) for context; and the
// query's per-edge reduction alone per kernel family on each layer shape (saliencyFamilies.ts).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Engine } from '../../../src/lib/engine/engine';
import type { Target } from '../../../src/lib/engine/targets';
import { computeScores } from '../../../src/lib/circuits/saliency';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../node/builtin';
import type { BenchSection, BenchRow } from '../types';
import type { ConvSectionOptions } from './conv';
import { saliencyFamilyRows } from './saliencyFamilies';

const MODEL = 'fashion-vgg';

export const querySection: BenchSection = {
  name: 'query',
  description: `actgrad edge scores of ${MODEL} over an image set vs forward+backward; memory vs set size; PyTorch CPU`,
  async run(ctx) {
    const n = ctx.options.queryImages;
    const model = loadBuiltinModel(MODEL);
    const imgs = loadBuiltinImages(MODEL);
    const all = namedImageSet(model, imgs, 'all', 'all');
    const take = (count: number) => ({ ...all, count: Math.min(count, all.count), label: `${count} images` });
    const target: Target = { kind: 'classLogit', class: 5 };
    const rows: BenchRow[] = [];

    const engine = Engine.create(ctx.device, model);
    try {
      const set = take(n);
      // One batch size for both set sizes (a tenth of the set, within the adapter's limit),
      // so the memory comparison sees only the effect of the set's size.
      const small = Math.max(1, Math.round(n / 10));
      const batch = Math.min(engine.maxBatch, small);
      // Warm up (pipelines compile), then time plain forward+backward over the set.
      engine.forward(set.images(0, Math.min(batch, n)), Math.min(batch, n));
      engine.backward(target, { weightGrads: 'none' });
      await ctx.device.queue.onSubmittedWorkDone();
      let t0 = performance.now();
      for (let s = 0; s < n; s += batch) {
        const k = Math.min(batch, n - s);
        engine.forward(set.images(s, k), k);
        engine.backward(target, { weightGrads: 'none' });
        await ctx.device.queue.onSubmittedWorkDone();
      }
      const fb = performance.now() - t0;
      const plain = engine.forwardDispatches.reduce((a, d) => a + d.flops, 0) / engine.batchSize;
      rows.push({ section: 'query', name: MODEL, pass: 'forward+backward', shape: `${n} images, batch ${batch}`, batch, flops: 0, ms: fb, gflops: 0, timing: 'wall', maxRelError: 0, checked: 0, extra: { forwardFlopsPerImage: plain } });
      ctx.log(`  forward+backward over ${n} images: ${(fb / 1000).toFixed(2)} s`);

      // Memory with a tenth of the images, then the full set.
      await computeScores(engine, target, take(small), 'actgrad', { batchSize: batch });
      const bytesSmall = engine.gpuBytes;
      t0 = performance.now();
      await computeScores(engine, target, set, 'actgrad', { batchSize: batch });
      const q = performance.now() - t0;
      const bytesLarge = engine.gpuBytes;
      ctx.log(`  actgrad query over ${n} images: ${(q / 1000).toFixed(2)} s (${(q / fb).toFixed(2)}x forward+backward); GPU bytes ${small} images ${bytesSmall}, ${n} images ${bytesLarge}`);
      rows.push({
        section: 'query', name: MODEL, pass: 'actgrad query', shape: `${n} images`, batch, flops: 0, ms: q, gflops: 0,
        timing: 'wall', maxRelError: 0, checked: 0,
        extra: { ratioToForwardBackward: q / fb, gpuBytes: { [small]: bytesSmall, [n]: bytesLarge }, memoryEqual: bytesSmall === bytesLarge },
      });

      // The per-edge reduction alone, per kernel family, at the query's batch.
      const choices = (ctx.options as typeof ctx.options & ConvSectionOptions).kernelChoices ?? 'bench-results/kernel-choices.json';
      rows.push(...(await saliencyFamilyRows(ctx, model, batch, choices)));
    } finally {
      engine.destroy();
    }

    const py = '/usr/bin/python3';
    if (existsSync(py)) {
      const r = spawnSync(py, ['tools/python/query_bench.py', '--model', MODEL, '--images', String(n)], {
        encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' }, timeout: 30 * 60_000,
      });
      const m = /seconds=([\d.]+)/.exec(r.stdout ?? '');
      if (m) {
        const ms = Number(m[1]) * 1000;
        ctx.log(`  PyTorch CPU, same query: ${(ms / 1000).toFixed(2)} s`);
        rows.push({ section: 'query', name: MODEL, pass: 'actgrad query (PyTorch CPU)', shape: `${n} images`, flops: 0, ms, gflops: 0, timing: 'wall', maxRelError: 0, checked: 0 });
      } else {
        ctx.log(`  PyTorch comparison skipped: ${(r.stderr || r.error?.message || 'no output').split('\n').slice(-2).join(' ')}`);
      }
    } else {
      ctx.log('  PyTorch comparison skipped: /usr/bin/python3 not found');
    }
    return rows;
  },
};
