// Command line: the pruning paper's comparison on a built-in model, through the page worker's
// core (MicroscopeSession). For `units` random feature targets (conv channels before their
// activation, seeded), each criterion's circuit at each keep fraction, scored on the scoring
// images, is measured on the evaluation images. Prints median |r| (criteria x keep fractions)
// and the collapse rate.
//   npm run preservation -- --model fashion-vgg --units 20 [--criteria actgrad,snip,force,magnitude]
//     [--keeps .01,.05,.1,.2,.3,.5,.7,.9] [--scoring 100] [--evaluation 100] [--perlayer 0] [--json out.json]

import { writeFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { seededUniform } from '../../src/lib/circuits/saliency';
import { CRITERIA, type Criterion } from '../../src/lib/state/url';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import type { Model } from '../../src/lib/model/types';
import { loadBuiltinModel, loadBuiltinImages } from '../node/builtin';
import { parseArgs, nodeDevice } from './args';

const OPTIONS = ['model', 'units', 'criteria', 'keeps', 'scoring', 'evaluation', 'layers', 'seed', 'perlayer', 'json'];

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** `units` seeded random conv channels as node targets before their activation (`node:L:c:pre`). */
function randomUnits(model: Model, units: number, seed: number, layers?: string): string[] {
  const rand = seededUniform(seed);
  const convs = model.layers.filter((l) => l.op === 'conv2d' && (!layers || layers.split(',').includes(l.name)));
  // Skip the first conv (its circuit is a single layer of kernels) unless it is all there is.
  const pool = convs.length > 1 && !layers ? convs.slice(1) : convs;
  if (pool.length === 0) throw new Error(`no conv layer matches --layers ${layers} (conv layers: ${model.layers.filter((l) => l.op === 'conv2d').map((l) => l.name).join(', ')})`);
  return Array.from({ length: units }, () => {
    const l = pool[Math.floor(rand() * pool.length)];
    return `node:${l.name}:${Math.floor(rand() * l.shape[0])}:pre`;
  });
}

async function main() {
  const a = parseArgs(process.argv.slice(2), OPTIONS);
  if (!a.model || a.help) {
    console.log(`usage: npm run preservation -- --model NAME [--units 20] [--criteria a,b] [--keeps .1,.5] [--scoring N] [--evaluation N] [--layers conv2,conv4] [--perlayer 0|1] [--json FILE]`);
    process.exit(a.help ? 0 : 2);
  }
  const model = loadBuiltinModel(a.model);
  const criteria = (a.criteria ?? 'actgrad,snip,force,magnitude').split(',') as Criterion[];
  for (const c of criteria) if (!CRITERIA.includes(c)) throw new Error(`unknown criterion "${c}" (${CRITERIA.join(', ')})`);
  const keeps = (a.keeps ?? '.01,.05,.1,.2,.3,.5,.7,.9').split(',').map(Number);
  const units = Number(a.units ?? 20);
  const targets = randomUnits(model, units, Number(a.seed ?? 7), a.layers);
  // The paper ranks kernels globally; the page's default is per layer (perlayer=1).
  const perLayer = (a.perlayer ?? '0') === '1';
  const caps = { scoringImages: Number(a.scoring ?? 100), evaluationImages: Number(a.evaluation ?? 100) };
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  const session = new MicroscopeSession(engine, loadBuiltinImages(a.model), { scoreCacheSize: criteria.length + 1 });
  console.log(`${model.name} on ${adapterDescription}: ${units} units, at most ${caps.scoringImages} scoring / ${caps.evaluationImages} evaluation images`);
  const r: Record<string, number[][]> = Object.fromEntries(criteria.map((c) => [c, keeps.map(() => [])]));
  const collapsed: Record<string, number[]> = Object.fromEntries(criteria.map((c) => [c, keeps.map(() => 0)]));
  const t0 = Date.now();
  let evaluated = 0;
  for (const [u, target] of targets.entries()) {
    for (const criterion of criteria) {
      for (const [ki, keep] of keeps.entries()) {
        const p = await session.preservation({ target, images: 'all', criterion, cut: { kind: 'keep', value: keep }, perLayer, ...caps });
        r[criterion][ki].push(Math.abs(p.r));
        if (p.collapsed) collapsed[criterion][ki]++;
        evaluated = p.images;
      }
    }
    process.stderr.write(`\runit ${u + 1}/${units} (${target}), ${((Date.now() - t0) / 1000).toFixed(0)} s   `);
  }
  process.stderr.write('\n');
  const header = 'keep'.padEnd(12) + keeps.map((k) => String(k).padStart(7)).join('');
  console.log(`\nmedian |r| over ${units} units\n${header}`);
  for (const c of criteria) console.log(c.padEnd(12) + r[c].map((v) => median(v).toFixed(3).padStart(7)).join(''));
  console.log(`\ncollapse rate\n${header}`);
  for (const c of criteria) console.log(c.padEnd(12) + collapsed[c].map((v) => (v / units).toFixed(2).padStart(7)).join(''));
  if (a.json) {
    writeFileSync(a.json, JSON.stringify({
      model: model.name, units: targets, keeps, perLayer, ...caps, evaluatedImages: evaluated,
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
