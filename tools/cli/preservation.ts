// Command line: the pruning paper's comparison on a built-in model. For `units` random
// feature targets (conv layers' channels, seeded), score with each criterion on the
// scoring images, extract circuits at each keep fraction, and measure preservation on the
// evaluation images. Prints median |r| (criteria x keep fractions) and the collapse rate.
//   npm run preservation -- --model fashion-vgg --units 20 [--criteria actgrad,snip,force,magnitude]
//     [--keeps .01,.05,.1,.2,.3,.5,.7,.9] [--scoring 100] [--evaluation 100] [--json out.json]

import { writeFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, channelGraphOf, CRITERIA, seededUniform, type Criterion } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { preservation, targetValues } from '../../src/lib/circuits/preservation';
import { pixelImageStream } from '../../src/lib/circuits/imageStream';
import { loadBuiltinModel, loadBuiltinImages } from '../node/builtin';
import { parseArgs, nodeDevice } from './args';

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Every `step`-th index of a split, so a subset still covers all classes. */
function subset(indices: number[], n: number): number[] {
  if (n >= indices.length) return indices;
  const step = indices.length / n;
  return Array.from({ length: n }, (_, k) => indices[Math.floor(k * step)]);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (!a.model) {
    console.log('usage: npm run preservation -- --model NAME [--units 20] [--criteria a,b] [--keeps .1,.5] [--scoring N] [--evaluation N] [--layers conv2,conv4] [--json FILE]');
    process.exit(2);
  }
  const model = loadBuiltinModel(a.model);
  const imgs = loadBuiltinImages(a.model);
  const criteria = (a.criteria ?? 'actgrad,snip,force,magnitude').split(',') as Criterion[];
  for (const c of criteria) if (!CRITERIA.includes(c)) throw new Error(`unknown criterion "${c}"`);
  const keeps = (a.keeps ?? '.01,.05,.1,.2,.3,.5,.7,.9').split(',').map(Number);
  const units = Number(a.units ?? 20);
  const rand = seededUniform(Number(a.seed ?? 7));
  const convs = model.layers.filter((l) => l.op === 'conv2d' && (!a.layers || a.layers.split(',').includes(l.name)));
  // Skip the first conv (its circuit is a single layer of kernels) unless it is all there is.
  const pool = convs.length > 1 && !a.layers ? convs.slice(1) : convs;
  if (pool.length === 0) throw new Error(`no conv layer matches --layers ${a.layers} (conv layers: ${model.layers.filter((l) => l.op === 'conv2d').map((l) => l.name).join(', ')})`);
  const targets: Target[] = Array.from({ length: units }, () => {
    const l = pool[Math.floor(rand() * pool.length)];
    return { kind: 'featureMean', layer: l.name, channel: Math.floor(rand() * l.shape[0]) };
  });
  const scoring = pixelImageStream('scoring', model.input, imgs.pixels, subset(imgs.splits.scoring, Number(a.scoring ?? 100)), imgs.labels);
  const evaluation = pixelImageStream('evaluation', model.input, imgs.pixels, subset(imgs.splits.evaluation, Number(a.evaluation ?? 100)), imgs.labels);
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  const g = channelGraphOf(engine);
  console.log(`${model.name} on ${adapterDescription}: ${units} units, ${scoring.count} scoring / ${evaluation.count} evaluation images`);
  const r: Record<string, number[][]> = Object.fromEntries(criteria.map((c) => [c, keeps.map(() => [])]));
  const collapsed: Record<string, number[]> = Object.fromEntries(criteria.map((c) => [c, keeps.map(() => 0)]));
  const t0 = Date.now();
  for (const [u, target] of targets.entries()) {
    const original = await targetValues(engine, target, evaluation);
    for (const c of criteria) {
      const shared = c === 'force' ? null : await computeScores(engine, target, scoring, c, { seed: u + 1 });
      for (const [ki, keep] of keeps.entries()) {
        const scores = shared ?? (await computeScores(engine, target, scoring, c, { keep }));
        const circuit = extractCircuit(model, g, target, scores, { keep });
        const p = await preservation(engine, target, circuit.kept, evaluation, { original });
        r[c][ki].push(Math.abs(p.r));
        if (p.collapsed) collapsed[c][ki]++;
      }
    }
    const t = target as { layer: string; channel: number };
    process.stderr.write(`\runit ${u + 1}/${units} (${t.layer}:${t.channel}), ${((Date.now() - t0) / 1000).toFixed(0)} s   `);
  }
  process.stderr.write('\n');
  const header = 'keep'.padEnd(12) + keeps.map((k) => String(k).padStart(7)).join('');
  console.log(`\nmedian |r| over ${units} units\n${header}`);
  for (const c of criteria) console.log(c.padEnd(12) + r[c].map((v) => median(v).toFixed(3).padStart(7)).join(''));
  console.log(`\ncollapse rate\n${header}`);
  for (const c of criteria) console.log(c.padEnd(12) + collapsed[c].map((v) => (v / units).toFixed(2).padStart(7)).join(''));
  if (a.json) {
    writeFileSync(a.json, JSON.stringify({
      model: model.name, units: targets, keeps, scoringImages: scoring.count, evaluationImages: evaluation.count,
      medianAbsR: Object.fromEntries(criteria.map((c) => [c, r[c].map(median)])),
      collapseRate: Object.fromEntries(criteria.map((c) => [c, collapsed[c].map((v) => v / units)])),
      seconds: (Date.now() - t0) / 1000,
    }, null, 1));
  }
  engine.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
