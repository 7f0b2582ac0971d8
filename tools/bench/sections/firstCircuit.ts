// Time to a first circuit on each built-in model: the page's default query (loss, all scoring
// images, actgrad, top 10% per layer) through the worker's own core (MicroscopeSession), from the
// start of the query to its first provisional circuit (after the first batch of images) and to
// the final one. Quick mode runs the two smallest models.

import { Engine } from '../../../src/lib/engine/engine';
import { MicroscopeSession } from '../../../src/lib/worker/view/session';
import type { CircuitQuery } from '../../../src/lib/worker/protocol';
import { BUILT_IN_MODELS } from '../../../src/lib/ui/models';
import { loadBuiltinModel, loadBuiltinImages } from '../../node/builtin';
import type { BenchSection, BenchRow } from '../types';

const QUICK_MODELS = ['fashion-small']; // --quick (CI): one model keeps the run under a minute
const QUERY: CircuitQuery = { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true };

export const firstCircuitSection: BenchSection = {
  name: 'firstCircuit',
  description: 'time to the first (provisional) and the final circuit of the default query on each built-in model',
  async run(ctx) {
    const names = ctx.options.quick ? QUICK_MODELS : BUILT_IN_MODELS.map((m) => m.name);
    const rows: BenchRow[] = [];
    for (const name of names) {
      const model = loadBuiltinModel(name);
      const engine = Engine.create(ctx.device, model);
      try {
        const session = new MicroscopeSession(engine, loadBuiltinImages(name));
        // Warm up (pipelines compile) on one image, as a page has by the time it asks.
        await session.circuit({ ...QUERY, scoringImages: 1 });
        const t0 = performance.now();
        let first: { ms: number; images: number } | null = null;
        const r = await session.circuit(QUERY, {
          partial: (p) => {
            first ??= { ms: performance.now() - t0, images: p.provisional!.images };
          },
        });
        const final = performance.now() - t0;
        const firstMs = first?.ms ?? final;
        const firstImages = first?.images ?? r.imageCount;
        ctx.log(`  ${name}: first circuit ${(firstMs / 1000).toFixed(2)} s (${firstImages} of ${r.imageCount} images), final ${(final / 1000).toFixed(2)} s`);
        const row = { section: 'firstCircuit', name, shape: `${r.imageCount} images, batch ${engine.maxBatch}`, batch: engine.maxBatch, flops: 0, gflops: 0, timing: 'wall', maxRelError: 0, checked: 0 };
        rows.push({ ...row, pass: 'first circuit', ms: firstMs, extra: { images: firstImages } });
        rows.push({ ...row, pass: 'final circuit', ms: final, extra: { images: r.imageCount, kernelsKept: r.kernelsKept } });
      } finally {
        engine.destroy();
      }
    }
    return rows;
  },
};
