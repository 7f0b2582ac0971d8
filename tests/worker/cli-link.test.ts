// One grammar, one core: on every built-in model, a circuit asked on the command line (old
// spellings, options over defaults; tools/cli/query.ts) and the same circuit asked by a page
// link (read by url.ts as the page reads it) keep the same kernels, each in its own
// MicroscopeSession so neither reuses the other's scores. Then the command's JSON record against
// scores and a cut computed directly on the same images, and preservation on capped images.

import { describe, it, expect, beforeAll } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { parseViewState } from '../../src/lib/state/url';
import { computeScores, graphOf } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { pixelImageStream } from '../../src/lib/circuits/imageStream';
import type { CircuitQuery } from '../../src/lib/worker/protocol';
import type { Model } from '../../src/lib/model/types';
import { builtinModelNames, loadBuiltinModel, loadBuiltinImages } from '../../tools/node/builtin';
import { circuitCommand } from '../../tools/cli/query';
import { testDevice } from '../helpers/gpu';

const SCORING = 8;
let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});

/** The query the page asks for a link: url.ts's state, as the view store turns it into a query. */
function pageQuery(link: string): CircuitQuery {
  const { state, warnings } = parseViewState(link);
  expect(warnings).toEqual([]);
  return { target: state.target, images: state.images, criterion: state.criterion, cut: state.cut, perLayer: state.perLayer, linear: state.linear };
}

/** Pairs of (command line, link) that ask the same circuit in different words. */
function sameCircuits(name: string, model: Model): [string[], string][] {
  const convs = model.layers.filter((l) => l.op === 'conv2d');
  const conv = convs[Math.min(1, convs.length - 1)].name;
  const c = model.classes;
  return [
    [['--model', name, '--target', `class:${c[2]}`, '--images', `class:${c[1]}`, '--criterion', 'actgrad', '--keep', '0.1', '--per-layer'],
      `?model=${name}&target=logit%3A2&images=${encodeURIComponent(`class:${c[1]}`)}`],
    [['--model', name, '--target', `${conv}:1`, '--threshold', '0.2', '--perlayer', '0', '--linear'],
      `model=${name}&target=node:${conv}:1&images=all&criterion=actgrad&threshold=0.2&perlayer=0&linear=1`],
  ];
}

describe('the command line and a link ask the same circuit', () => {
  for (const name of builtinModelNames()) {
    it(`${name}: the same kept kernels`, async () => {
      const model = loadBuiltinModel(name);
      const images = loadBuiltinImages(name);
      const engine = Engine.create(device, model);
      try {
        for (const [argv, link] of sameCircuits(name, model)) {
          const command = circuitCommand([...argv, '--scoring-images', String(SCORING)]);
          expect(command.state.model).toBe(name);
          const byCommand = await new MicroscopeSession(engine, images).circuit(command.query);
          const byLink = await new MicroscopeSession(engine, images).circuit({ ...pageQuery(link), scoringImages: SCORING });
          expect(byCommand.imageCount).toBe(SCORING);
          expect(byCommand.kernelsKept, argv.join(' ')).toBeGreaterThan(0);
          expect(byCommand.kernelsKept).toBe(byLink.kernelsKept);
          const differ = byCommand.kept.reduce((n, k, e) => n + (k !== byLink.kept[e] ? 1 : 0), 0);
          expect(differ, `${argv.join(' ')} against ${link}`).toBe(0);
          expect(Array.from(byCommand.nodesKept)).toEqual(Array.from(byLink.nodesKept));
        }
      } finally {
        engine.destroy();
      }
    });
  }
});

describe("the command's JSON record", () => {
  it('fashion-small: kept and relevant kernels, node scores and preservation match a direct computation', async () => {
    const model = loadBuiltinModel('fashion-small');
    const images = loadBuiltinImages('fashion-small');
    const engine = Engine.create(device, model);
    try {
      const command = circuitCommand(['--model', 'fashion-small', '--target', 'conv3:5', '--images', 'class:Sandal', '--keep', '0.2', '--scoring-images', '4', '--eval-images', '6']);
      const session = new MicroscopeSession(engine, images);
      const report = await session.report(command.query, { preservation: command.preservation, url: `?${command.link}` });
      // The same four sandals, picked by hand: every (count/4)-th of the scoring split's sandals.
      const sandals = images.splits.scoring.filter((i) => images.labels[i] === 5);
      const picked = [0, 1, 2, 3].map((k) => sandals[Math.floor((k * sandals.length) / 4)]);
      const target = { kind: 'featureMean' as const, layer: 'relu3', channel: 5 };
      const scores = await computeScores(engine, target, pixelImageStream('sandals', model.input, images.pixels, picked, images.labels), 'actgrad');
      const g = graphOf(engine);
      const direct = extractCircuit(model, g, target, scores, { keep: 0.2, perLayer: true });
      const kernel = (e: number) => `${g.layers[g.edgeLayer[e]].name}:${g.edgeOut[e]}:${g.edgeIn[e]}`;
      const keptDirect = [...direct.kept.keys()].filter((e) => direct.kept[e] && g.edgeIsKernel[e]).map(kernel).sort();
      expect(report.kernels.map((k) => `${k.layer}:${k.out}:${k.in}`).sort()).toEqual(keptDirect);
      const relevant = report.relevant!;
      expect(relevant.length).toBe([...scores.relevant.keys()].filter((e) => scores.relevant[e] && g.edgeIsKernel[e]).length);
      expect(relevant.filter((k) => k.cut).length).toBe(direct.keptBeforeEffective.reduce((a, b) => a + b, 0));
      // Scores are written as the shortest decimals that read back to the same float32.
      for (const k of relevant) {
        const layer = g.kernelLayers.find((l) => l.name === k.layer)!;
        expect(Math.fround(k.score!)).toBe(scores.edges[layer.edgeStart + k.out * layer.cols + k.in]);
      }
      const conv2 = report.nodeScores.find((l) => l.layer === 'conv2')!;
      expect(conv2.scores.map((v) => Math.fround(v!))).toEqual(Array.from(scores.nodes.get('conv2')!));
      expect(report.settings).toMatchObject({
        model: 'fashion-small', targetAsked: 'node:conv3:5', target: 'node:relu3:5', images: 'class:Sandal', criterion: 'actgrad', cut: { kind: 'keep', value: 0.2 },
        perLayer: true, linear: false, seed: 1, scoringImages: 4, scoringImagesPerTerm: 4, evaluationImages: 6, evaluationImagesCap: 6,
      });
      expect(report.summary.kernelsKept).toBe(direct.kernelsKept);
      expect(report.layers).toEqual(direct.layers);
      expect(report.preservation!.images).toBe(6);
      expect(report.forceSchedule).toBeNull();
      expect(JSON.parse(JSON.stringify(report)).url).toBe(`?${command.link}`);
    } finally {
      engine.destroy();
    }
  });
});
