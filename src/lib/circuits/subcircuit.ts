// Sub-feature circuits: a circuit that preserves a feature only on some images (one image,
// one class), extracted inside a general circuit by scoring with the general circuit
// applied; and the cross-preservation matrix (circuit A evaluated on the images of B).

import type { Engine } from '../engine/engine';
import type { Target } from '../engine/targets';
import type { ImageStream } from './imageStream';
import { computeScores, graphOf, layerMasks, type Criterion, type QueryOptions, type Scores } from './saliency';
import { extractCircuit, type Circuit } from './circuit';
import { preservation, targetValues, type Preservation } from './preservation';

/** The circuit of `target` on `subset`, restricted to the kernels of `general`. */
export async function subFeatureCircuit(
  engine: Engine, target: Target, general: Uint8Array, subset: ImageStream, criterion: Criterion, keep: number, opts: QueryOptions = {},
): Promise<{ scores: Scores; circuit: Circuit }> {
  const g = graphOf(engine);
  engine.setEdgeMasks(layerMasks(g, general));
  let scores: Scores;
  try {
    scores = await computeScores(engine, target, subset, criterion, opts);
  } finally {
    engine.setEdgeMasks(null);
  }
  const relevant = new Uint8Array(scores.relevant.length);
  for (let e = 0; e < relevant.length; e++) relevant[e] = scores.relevant[e] && general[e] ? 1 : 0;
  const inside = { ...scores, relevant };
  return { scores: inside, circuit: extractCircuit(engine.model, g, target, inside, { keep }) };
}

/** r[i][j]: preservation of circuit i on image set j. */
export async function crossPreservation(
  engine: Engine, target: Target, circuits: Uint8Array[], sets: ImageStream[], opts: QueryOptions = {},
): Promise<Preservation[][]> {
  const originals = [];
  for (const s of sets) originals.push(await targetValues(engine, target, s, opts));
  const out: Preservation[][] = [];
  for (const kept of circuits) {
    const row: Preservation[] = [];
    for (const [j, s] of sets.entries()) row.push(await preservation(engine, target, kept, s, { ...opts, original: originals[j] }));
    out.push(row);
  }
  return out;
}
