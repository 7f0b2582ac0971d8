// Command line: the tool paper's feed-back check of feature visualizations, e.g.
//   npm run featureviz -- --model fashion-vgg --nodes 20 --edges 20 --seed 1
//   npm run featureviz -- --model fashion-vgg --objectives edge:fc1:90:43,channel:conv3_1:5
// For seeded random nodes and edges, the objective on its visualization vs its mean and max
// over the evaluation images; prints a table and a summary line, --json writes the results.

import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { buildGraph } from '../../src/lib/graph/build';
import { seededUniform } from '../../src/lib/circuits/saliency';
import { visualizeBatch, objectiveValuesMany } from '../../src/lib/featureviz/visualize';
import { nodeObjectiveOf, edgeObjectiveOf } from '../../src/lib/featureviz/units';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../node/builtin';
import { parseArgs, vizSettingsFromArgs, nodeDevice, VIZ_OPTIONS } from './args';

const HELP = `usage: npm run featureviz -- --model NAME [--nodes 20] [--edges 20] [--seed 1]
  [--steps 224] [--lr 0.15] [--param fft|pixel] [--no-transforms] [--batch 40] [--json FILE]
  [--cache FILE] [--frame-every 8] [--redirect-steps 0] [--warmup-steps N] [--polish 0.5] [--objectives A,B,...]
  Visualizes seeded random nodes and edges (or the given objectives) and compares the
  objective on each visualization with its mean and max over the model's evaluation images.
  --redirect-steps: first steps that may use the redirected ReLU gradient (0: never).
  --warmup-steps: first steps that also ask for the map before a unit's ReLU (0: never;
    default: until the polish begins, 112 of 224).
  --polish: the fraction of the steps, at the end, on the untransformed image (0: none).`;

/** k distinct items of xs, drawn with a seeded shuffle. */
function pick<T>(xs: T[], k: number, rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, Math.min(k, a.length));
}

async function main() {
  const a = parseArgs(process.argv.slice(2), ['model', 'nodes', 'edges', 'seed', 'viz-seed', 'batch', 'json', 'cache', 'frame-every', 'objectives', ...VIZ_OPTIONS]);
  if (a.help || !a.model) {
    console.log(HELP);
    process.exit(a.help ? 0 : 2);
  }
  const model = loadBuiltinModel(a.model);
  const imgs = loadBuiltinImages(a.model);
  const settings = vizSettingsFromArgs(a, 'viz-seed');
  const nNodes = Number(a.nodes ?? 20), nEdges = Number(a.edges ?? 20);
  const g = buildGraph(model);
  const rand = seededUniform(Number(a.seed ?? 1));
  const given = a.objectives !== undefined && a.objectives !== 'true' ? a.objectives.split(',').map((o) => o.trim()).filter((o) => o) : null;
  if (a.objectives !== undefined && !given?.length) throw new Error('--objectives needs a comma-separated list of objective strings');
  const nodes = given
    ? given.filter((o) => !o.startsWith('edge:'))
    : pick(Array.from({ length: g.nodeCount }, (_, i) => nodeObjectiveOf(model, g, i)).filter((o): o is string => !!o), nNodes, rand);
  const edges = given
    ? given.filter((o) => o.startsWith('edge:'))
    : pick(Array.from({ length: g.edgeCount }, (_, i) => edgeObjectiveOf(g, i)).filter((o): o is string => !!o), nEdges, rand);
  const objectives = [...nodes, ...edges];
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  const batch = Math.min(Number(a.batch ?? objectives.length), engine.maxBatch);
  console.log(`${model.name} on ${adapterDescription}: ${nodes.length} nodes, ${edges.length} edges, ${settings.param}, ${settings.steps} steps, lr ${settings.lr}, transforms ${settings.transforms}, redirected ReLU for ${settings.redirectSteps} steps, warm-up ${settings.warmupSteps} steps, polish ${settings.polish} of the steps`);
  const t0 = Date.now();
  const evalSet = namedImageSet(model, imgs, 'all', 'evaluation');
  // --cache FILE keeps the dataset values of these objectives between runs (same model and seed).
  const key = JSON.stringify({ model: model.name, objectives, images: evalSet.count });
  const cached = a.cache && existsSync(a.cache) ? JSON.parse(readFileSync(a.cache, 'utf8')) : null;
  const dataset: Float64Array[] = cached?.key === key
    ? cached.values.map((v: number[]) => Float64Array.from(v))
    : await objectiveValuesMany(engine, objectives, (s, n) => evalSet.images(s, n), evalSet.count);
  if (a.cache && cached?.key !== key) writeFileSync(a.cache, JSON.stringify({ key, values: dataset.map((d) => Array.from(d)) }));
  console.log(`dataset values over ${evalSet.count} evaluation images in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const vis = new Float64Array(objectives.length);
  for (let start = 0; start < objectives.length; start += batch) {
    const chunk = objectives.slice(start, start + batch);
    const t1 = Date.now();
    const r = await visualizeBatch(engine, chunk, {
      settings, frameEvery: Number(a['frame-every'] ?? 8),
      onFrame: (step, steps) => {
        const el = (Date.now() - t1) / 1000;
        process.stderr.write(`\rvisualizing ${start + 1}..${start + chunk.length} of ${objectives.length}: step ${step}/${steps}, ${el.toFixed(0)} s, about ${((el / step) * (steps - step)).toFixed(0)} s left   `);
      },
    });
    process.stderr.write('\n');
    vis.set(r.values, start);
  }
  const rows = objectives.map((o, k) => {
    const d = dataset[k];
    let sum = 0, max = -Infinity;
    for (const v of d) { sum += v; max = Math.max(max, v); }
    const mean = sum / d.length;
    return { kind: k < nodes.length ? 'node' : 'edge', objective: o, visualization: vis[k], mean, max, overMean: vis[k] / mean, overMax: vis[k] / max };
  });
  const f = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3));
  console.log('| kind | objective | on visualization | dataset mean | dataset max | vis / mean | vis / max |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.kind} | ${r.objective} | ${f(r.visualization)} | ${f(r.mean)} | ${f(r.max)} | ${f(r.overMean)} | ${f(r.overMax)} |`);
  const aboveMax = rows.filter((r) => r.visualization > r.max).length;
  const tenMean = rows.filter((r) => r.visualization >= 10 * Math.abs(r.mean) && r.visualization > 0).length;
  const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN; };
  // The check's goal: above the dataset max and at least 10x the dataset mean.
  const goal = rows.filter((r) => r.visualization > r.max && r.visualization >= 10 * r.mean).length;
  console.log(`summary: ${aboveMax}/${rows.length} above the dataset max, ${tenMean}/${rows.length} at least 10x |dataset mean|, ${goal}/${rows.length} both above the max and at least 10x the mean; ` +
    `median vis/max ${f(median(rows.map((r) => r.overMax)))}, median vis/|mean| ${f(median(rows.map((r) => r.visualization / Math.abs(r.mean))))}; ` +
    `${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (a.json) {
    writeFileSync(a.json, JSON.stringify({ format: 'cnn-microscope-featureviz-check/1', model: model.name, settings, seed: Number(a.seed ?? 1), images: evalSet.count, rows }, null, 1));
    console.log(`wrote ${a.json}`);
  }
  engine.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
