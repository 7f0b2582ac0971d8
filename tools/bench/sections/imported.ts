// Imported ImageNet-scale models (the torchvision ONNX fixtures, tools/python/onnx_fixtures.py):
// time to open the file, build the graph, a first circuit on the demo photos (one image) and
// the whole set, and a new cut from the cached scores, all in the same run.

import { existsSync } from 'node:fs';
import { Engine } from '../../../src/lib/engine/engine';
import { buildGraph } from '../../../src/lib/graph/build';
import { computeScores } from '../../../src/lib/circuits/saliency';
import { extractCircuit } from '../../../src/lib/circuits/circuit';
import { pixelImageStream } from '../../../src/lib/circuits/imageStream';
import { loadOnnxFile, demoPhotosFor } from '../../node/onnx';
import { ONNX_FIXTURES } from '../../../tests/helpers/onnxFixtures';
import type { BenchRow, BenchSection } from '../types';

const MODELS = ['squeezenet1_1', 'mobilenet_v2', 'resnet18', 'googlenet', 'alexnet'];
const QUICK = ['squeezenet1_1'];

function row(name: string, pass: string, shape: string, ms: number, extra?: Record<string, unknown>): BenchRow {
  return { section: 'imported', name, pass, shape, flops: 0, ms, gflops: 0, timing: 'wall', maxRelError: 0, checked: 0, extra };
}

async function benchModel(ctx: Parameters<BenchSection['run']>[0], name: string, images: number): Promise<BenchRow[]> {
  const file = `${ONNX_FIXTURES}${name}/model.onnx`;
  let t0 = performance.now();
  const imp = loadOnnxFile(file, { classes: 'imagenet' });
  const importMs = performance.now() - t0;
  t0 = performance.now();
  const g = buildGraph(imp.model);
  const graphMs = performance.now() - t0;
  const { channels, height, width } = imp.model.input;
  const photos = demoPhotosFor(channels, height, width);
  const count = Math.min(images, photos.count);
  const set = (n: number) => pixelImageStream(`${n} demo photos`, imp.model.input, photos.pixels, Array.from({ length: n }, (_, i) => i), photos.labels);
  const mid = g.kernelLayers[Math.floor(g.kernelLayers.length / 2)];
  const target = { kind: 'featureMean' as const, layer: mid.mapNode, channel: 0 };
  const engine = Engine.create(ctx.device, imp.model);
  try {
    t0 = performance.now();
    await computeScores(engine, target, set(1), 'actgrad');
    const firstMs = performance.now() - t0;
    t0 = performance.now();
    const scores = await computeScores(engine, target, set(count), 'actgrad');
    const setMs = performance.now() - t0;
    t0 = performance.now();
    const circuit = extractCircuit(imp.model, g, target, scores, { keep: 0.05, perLayer: true });
    const cutMs = performance.now() - t0;
    ctx.log(`  ${name}: ${g.edgeCount} kernels; import ${importMs.toFixed(0)} ms, graph ${graphMs.toFixed(0)} ms, first circuit (1 image) ${(firstMs / 1000).toFixed(1)} s, ${count} images ${(setMs / 1000).toFixed(1)} s, new cut ${cutMs.toFixed(0)} ms (${circuit.kernelsKept} of ${circuit.kernelsRelevant} kept)`);
    const shape = `${height}x${width}, ${g.edgeCount} kernels`;
    return [
      row(name, 'import .onnx', shape, importMs), row(name, 'build graph', shape, graphMs),
      row(name, 'first circuit (1 image)', shape, firstMs), row(name, `circuit (${count} images)`, shape, setMs),
      row(name, 'new cut from cached scores', shape, cutMs, { kept: circuit.kernelsKept, relevant: circuit.kernelsRelevant }),
    ];
  } finally {
    engine.destroy();
  }
}

export const importedSection: BenchSection = {
  name: 'imported',
  description: 'torchvision models imported from ONNX at 224x224: open, graph, first circuit, whole set, new cut',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const name of ctx.options.quick ? QUICK : MODELS) {
      if (!existsSync(`${ONNX_FIXTURES}${name}/model.onnx`)) {
        ctx.log(`  ${name}: no ${ONNX_FIXTURES}${name}/model.onnx; run tools/python/onnx_fixtures.py (npm test does)`);
        continue;
      }
      rows.push(...(await benchModel(ctx, name, ctx.options.quick ? 4 : 20)));
    }
    return rows;
  },
};
