// Command line: regenerates a built-in model's atlas (every unit node's visualization) into
// static/weights/<model>/atlas.json + atlas.bin, e.g.
//   npm run atlas -- --model fashion-small [--steps 224] [--batch 48] [--out DIR]
// Units are batched layer by layer (one objective per image), so shallow layers run a short net.

import { writeFileSync, mkdirSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { buildGraph } from '../../src/lib/graph/build';
import { visualizeBatch, objectiveValuesMany } from '../../src/lib/featureviz/visualize';
import { nodeObjectiveOf } from '../../src/lib/featureviz/units';
import { ATLAS_FORMAT, parseAtlas, type AtlasUnit } from '../../src/lib/featureviz/atlas';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet, WEIGHTS_DIR } from '../node/builtin';
import { parseArgs, vizSettingsFromArgs, nodeDevice, VIZ_OPTIONS } from './args';
import { VIZ_ALGORITHM } from '../../src/lib/featureviz/settings';

const HELP = `usage: npm run atlas -- --model NAME [--steps 224] [--lr 0.15] [--polish 0.5] [--param fft|pixel] [--batch 48] [--out DIR]`;

async function main() {
  const a = parseArgs(process.argv.slice(2), ['model', 'batch', 'out', 'seed', ...VIZ_OPTIONS]);
  if (a.help || !a.model) {
    console.log(HELP);
    process.exit(a.help ? 0 : 2);
  }
  const model = loadBuiltinModel(a.model);
  const imgs = loadBuiltinImages(a.model);
  const settings = vizSettingsFromArgs(a, 'seed');
  const out = a.out ?? `${WEIGHTS_DIR}${model.name}/`;
  const g = buildGraph(model);
  const units: { node: number; layer: string; channel: number; objective: string }[] = [];
  for (let n = 0; n < g.nodeCount; n++) {
    const o = nodeObjectiveOf(model, g, n);
    if (o) units.push({ node: n, layer: g.layers[g.nodeLayer[n]].name, channel: g.nodeChannel[n], objective: o });
  }
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  const batch = Math.min(Number(a.batch ?? 48), engine.maxBatch);
  const { channels: C, height: H, width: W } = model.input;
  const per = C * H * W;
  console.log(`${model.name} on ${adapterDescription}: ${units.length} units, ${settings.param}, ${settings.steps} steps, lr ${settings.lr}, polish ${settings.polish}, batches of ${batch}`);
  const t0 = Date.now();
  const evalSet = namedImageSet(model, imgs, 'all', 'evaluation');
  const dataset = await objectiveValuesMany(engine, units.map((u) => u.objective), (s, n) => evalSet.images(s, n), evalSet.count);
  const pixels = new Uint8Array(units.length * per);
  const values = new Float64Array(units.length);
  // Units come in graph order, which is model order: consecutive batches share their depth.
  for (let start = 0; start < units.length; start += batch) {
    const chunk = units.slice(start, start + batch);
    const t1 = Date.now();
    const r = await visualizeBatch(engine, chunk.map((u) => u.objective), {
      settings, frameEvery: 16,
      onFrame: (step, steps) => {
        const el = (Date.now() - t1) / 1000;
        process.stderr.write(`\runits ${start + 1}..${start + chunk.length} of ${units.length}: step ${step}/${steps}, ${el.toFixed(0)} s   `);
      },
    });
    process.stderr.write('\n');
    for (let i = 0; i < r.image.length; i++) pixels[start * per + i] = Math.max(0, Math.min(255, Math.round(r.image[i] * 255)));
    values.set(r.values, start);
  }
  const atlasUnits: AtlasUnit[] = units.map((u, k) => {
    const d = dataset[k];
    let sum = 0, max = -Infinity;
    for (const v of d) { sum += v; max = Math.max(max, v); }
    return { ...u, value: values[k], datasetMean: sum / d.length, datasetMax: max };
  });
  const json = {
    format: ATLAS_FORMAT, model: model.name, settings, algorithm: VIZ_ALGORITHM, tile: { channels: C, height: H, width: W }, nodeCount: g.nodeCount,
    evaluationImages: evalSet.count, seconds: Math.round((Date.now() - t0) / 1000), units: atlasUnits,
  };
  parseAtlas(json, pixels); // the page's own check
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}atlas.json`, JSON.stringify(json));
  writeFileSync(`${out}atlas.bin`, pixels);
  const above = atlasUnits.filter((u) => u.value > u.datasetMax).length;
  console.log(`wrote ${out}atlas.json + atlas.bin (${pixels.length} bytes): ${above}/${units.length} units above their dataset max, ${json.seconds} s`);
  engine.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
