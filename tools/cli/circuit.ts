// Command line: the circuit of a target in a built-in model, e.g.
//   npm run circuit -- --model fashion-vgg --target conv4:12 --images "class:Sandal" \
//     --criterion actgrad --keep 0.1 --json out.json
// Prints kernels and filters kept per layer; --json writes kept kernels, scores and settings.

import { writeFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { describeTarget } from '../../src/lib/engine/targets';
import { CRITERIA, channelGraphOf, type Criterion } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { preservation, targetValues } from '../../src/lib/circuits/preservation';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../node/builtin';
import { parseArgs, nodeDevice, parseTarget, progressPrinter } from './args';
import { contrastScores } from './query';

const HELP = `usage: npm run circuit -- --model NAME --target TARGET [--images SET] [--criterion C]
  [--keep F | --threshold T] [--per-layer] [--no-effective] [--preservation] [--json FILE]
  TARGET: layer:channel (map mean), layer:channel:max, layer:channel@y,x, class:Name, prob:Name, loss
  SET: all (default), a class name, class:N, image:N, or a contrast like "Sandal - all"
  C: ${CRITERIA.join(', ')} (default actgrad)`;

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.help || !a.model || !a.target) {
    console.log(HELP);
    process.exit(a.help ? 0 : 2);
  }
  const criterion = (a.criterion ?? 'actgrad') as Criterion;
  if (!CRITERIA.includes(criterion)) throw new Error(`unknown criterion "${criterion}" (${CRITERIA.join(', ')})`);
  const model = loadBuiltinModel(a.model);
  const imgs = loadBuiltinImages(a.model);
  const target = parseTarget(model, a.target);
  const keep = a.threshold ? undefined : Number(a.keep ?? 0.1);
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  console.log(`${model.name} on ${adapterDescription}: ${describeTarget(target)}, images "${a.images ?? 'all'}", ${criterion}`);
  const t0 = Date.now();
  const scores = await contrastScores(engine, target, imgs, a.images ?? 'all', criterion, {
    keep, seed: Number(a.seed ?? 1), onProgress: progressPrinter('scoring'),
  });
  const g = channelGraphOf(engine);
  const circuit = extractCircuit(model, g, target, scores, {
    keep, threshold: a.threshold ? Number(a.threshold) : undefined, perLayer: !!a['per-layer'], effective: !a['no-effective'],
  });
  console.log(`scored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log('layer'.padEnd(14) + 'kernels kept / relevant / total'.padEnd(34) + 'filters kept / total');
  for (const l of circuit.layers) {
    console.log(l.layer.padEnd(14) + `${l.kernelsKept} / ${l.kernelsRelevant} / ${l.kernelsTotal}`.padEnd(34) + `${l.filtersKept} / ${l.filtersTotal}`);
  }
  console.log(`kept ${circuit.kernelsKept} of ${circuit.kernelsRelevant} relevant kernels (sparsity ${(circuit.sparsity * 100).toFixed(1)}%)`);
  let pres;
  if (a.preservation) {
    const evalSet = namedImageSet(model, imgs, 'all', 'evaluation');
    const original = await targetValues(engine, target, evalSet);
    pres = await preservation(engine, target, circuit.kept, evalSet, { original });
    console.log(`preservation on ${evalSet.count} evaluation images: r = ${pres.r.toFixed(4)}, mean |diff|/std = ${pres.meanAbsDiffOverStd.toFixed(4)}${pres.collapsed ? ' (collapsed)' : ''}`);
  }
  if (a.json) {
    const layers = g.scored.map((s) => {
      const kept: [number, number, number][] = [];
      for (let o = 0; o < s.rows; o++)
        for (let j = 0; j < s.cols; j++) {
          const e = s.edgeOffset + o * s.cols + j;
          if (circuit.kept[e]) kept.push([o, Math.floor(o / (s.rows / s.groups)) * s.cols + j, scores.edges[e]]);
        }
      return { layer: s.name, kernelsKept: kept.length, kept: kept.map(([o, i, score]) => ({ out: o, in: i, score })) };
    });
    writeFileSync(a.json, JSON.stringify({
      format: 'cnn-microscope-circuit/1', model: model.name, target, images: a.images ?? 'all', criterion,
      keep: keep ?? null, threshold: a.threshold ? Number(a.threshold) : null, perLayer: !!a['per-layer'],
      effective: !a['no-effective'], stats: circuit.layers, preservation: pres ?? null, layers,
    }, null, 1));
    console.log(`wrote ${a.json}`);
  }
  engine.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
