// The gradient of an objective with respect to the network's (normalized) input on given
// images: the same GPU objective evaluation and seeds the optimizer uses, one backward pass
// per seed node, summed. Tests compare it with PyTorch; the page can show it as saliency.

import type { Engine } from '../engine/engine';
import { parseObjective } from './objectives';
import { compileObjectives } from './terms';
import { ObjectiveEvaluator, readGpu } from './runner';

const imageSize = (engine: Engine) => engine.model.input.channels * engine.model.input.height * engine.model.input.width;

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
    const input = engine.model.input.name;
    const values = Float64Array.from(totals, (v) => v + div);
    // A seed at the input itself (a kernel reading the input) is already dF/d(input): no backward pass.
    const nodes = compiled.seedNodes.filter((n) => n !== input);
    let grad: Float32Array | null = nodes.length < compiled.seedNodes.length ? await readGpu(engine.device, ev.seeds.get(input)!, count * imageSize(engine) * 4) : null;
    const add = (g: Float32Array) => {
      if (!grad) grad = g;
      else for (let i = 0; i < g.length; i++) grad[i] += g[i];
    };
    if (opts.onePass && nodes.length) {
      // One backward pass seeded at every node (as the optimizer runs it).
      engine.backwardFromMany(new Map(nodes.map((n) => [n, ev.seeds.get(n)!])));
      add((await engine.readGrad(input))!);
      return { grad: grad!, values };
    }
    for (const node of nodes) {
      engine.backwardFrom(node, ev.seeds.get(node)!);
      add((await engine.readGrad(input))!);
    }
    return { grad: grad!, values };
  } finally {
    ev.release();
  }
}
