// The gradient of an objective with respect to the network's (normalized) input on given
// images: the same GPU objective evaluation and seeds the optimizer uses, one backward pass
// per seed node, summed. Tests compare it with PyTorch; the page can show it as saliency.

import type { Engine } from '../engine/engine';
import { parseObjective } from './objectives';
import { compileObjectives } from './terms';
import { ObjectiveEvaluator } from './runner';

/** dF/d(input) of one objective for `count` <= engine.maxBatch normalized images, and F per image. */
export async function objectiveInputGradient(
  engine: Engine, objective: string, images: Float32Array, count: number, opts: { onePass?: boolean } = {},
): Promise<{ grad: Float32Array; values: Float64Array }> {
  const compiled = compileObjectives(engine.model, [parseObjective(objective, engine.model)]);
  if (count < 1 || count > engine.maxBatch) throw new RangeError(`count ${count}: expected 1..${engine.maxBatch}`);
  const ev = new ObjectiveEvaluator(engine, compiled, count);
  try {
    engine.forward(images, count, compiled.until);
    const div = await ev.evaluate(true);
    const totals = await ev.readTotals();
    if (opts.onePass) {
      // One backward pass seeded at every node (as the optimizer runs it).
      engine.backwardFromMany(ev.seeds);
      return { grad: (await engine.readGrad(engine.model.input.name))!, values: Float64Array.from(totals, (v) => v + div) };
    }
    let grad: Float32Array | null = null;
    for (const node of compiled.seedNodes) {
      engine.backwardFrom(node, ev.seeds.get(node)!);
      const g = (await engine.readGrad(engine.model.input.name))!;
      if (!grad) grad = g;
      else for (let i = 0; i < g.length; i++) grad[i] += g[i];
    }
    return { grad: grad!, values: Float64Array.from(totals, (v) => v + div) };
  } finally {
    ev.release();
  }
}
