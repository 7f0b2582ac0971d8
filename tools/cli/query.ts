// Shared by the command-line tools: scores for a target over an image set or a contrast
// of sets (`Sandal - all`), combined per edge and clipped at 0.

import type { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, type Criterion, type Scores, type QueryOptions } from '../../src/lib/circuits/saliency';
import { parseContrast, combineScores } from '../../src/lib/circuits/contrast';
import { namedImageSet, type BuiltinImages } from '../node/builtin';

export async function contrastScores(
  engine: Engine, target: Target, imgs: BuiltinImages, expr: string, criterion: Criterion, opts: QueryOptions,
): Promise<Scores> {
  const terms = parseContrast(expr);
  const parts: { weight: number; scores: Scores }[] = [];
  for (const t of terms) {
    const set = namedImageSet(engine.model, imgs, t.set, 'scoring');
    parts.push({ weight: t.weight, scores: await computeScores(engine, target, set, criterion, opts) });
  }
  if (parts.length === 1 && parts[0].weight === 1) return parts[0].scores;
  const first = parts[0].scores;
  const edges = combineScores(parts.map((p) => ({ weight: p.weight, values: p.scores.edges })));
  const nodes = new Map<string, Float32Array>();
  for (const name of first.nodes.keys()) {
    nodes.set(name, combineScores(parts.map((p) => ({ weight: p.weight, values: p.scores.nodes.get(name)! }))));
  }
  return { ...first, edges, nodes, images: parts.reduce((a, p) => a + p.scores.images, 0) };
}
