// The warm-up objective (warmup.ts): which channel an edge reads, the weight of its term, and
// which objectives get one. The channel is checked against the support of the edge's own
// functional (terms.ts edgeWeights), which finds it through the convolution's index map.
// On fashion-vgg, edge fc1:5<-0 reads pool3's channel 0, zero on the grey start and on every
// evaluation image: it stays at exactly 0 without the warm-up and rises above 0 with it (the
// value checked through the CPU reference network).

import { describe, it, expect } from 'vitest';
import { edgeInputChannel, edgeBestPosition, edgeCoefficients, gridPositions, preReluMap, warmupObjective, WARMUP_GRID } from '../../src/lib/featureviz/warmup';
import { parseObjective, describeObjective } from '../../src/lib/featureviz/objectives';
import { edgeWeights } from '../../src/lib/featureviz/terms';
import { nodeShape } from '../../src/lib/model/types';
import { visualize } from '../../src/lib/featureviz/visualize';
import { vizSettings, polishStepsOf } from '../../src/lib/featureviz/settings';
import { Engine } from '../../src/lib/engine/engine';
import { cpuForward } from '../../src/lib/cpu/reference';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';
import { rng, freshSeed } from '../helpers/random';

const model = loadFixture('alexnet-mini').model;
const layer = (name: string) => model.layers.find((l) => l.name === name)!;

/** The channels of `node` where an edge's functional has nonzero weight. */
function support(node: string, w: Float64Array): number[] {
  const s = nodeShape(model, node);
  const plane = s.length === 3 ? s[1] * s[2] : 1;
  const out = new Set<number>();
  w.forEach((v, f) => { if (v !== 0) out.add(Math.floor(f / plane)); });
  return [...out];
}

describe('warm-up objective', () => {
  it('an edge reads the channel its functional is supported on (grouped conv, conv, linear through flatten)', () => {
    const r = rng(freshSeed());
    for (const name of ['conv2', 'conv3', 'fc1']) {
      const l = layer(name);
      for (let n = 0; n < 12; n++) {
        const o = Math.floor(r() * l.paramShapes.weight[0]);
        const runs = name === 'fc1' ? nodeShape(model, 'avgpool')[0] : l.paramShapes.weight[1];
        const i = Math.floor(r() * runs);
        const got = edgeInputChannel(model, l, o, i)!;
        const ew = edgeWeights(model, l, o, i);
        const mapNode = name === 'fc1' ? 'avgpool' : ew.node;
        expect(got.layer).toBe(mapNode);
        const want = support(mapNode, ew.weights);
        if (want.length) expect([got.channel]).toEqual(want);
        else expect(got.channel).toBe(i); // an all-zero kernel: the run index still names the channel
      }
    }
    expect(edgeInputChannel(model, layer('conv1'), 3, 1)).toBeNull(); // reads the image
    expect(edgeInputChannel(model, layer('fc2'), 2, 5)).toEqual({ layer: 'relu4', channel: 5 });
  });

  it("an edge's best position: the largest coefficient of its pre-sum map's mean, per read position", () => {
    // Coefficient of read position q, straight from the definition: the mean over output
    // positions of the pre-sum map of a one-hot input at q (a direct convolution here).
    const direct = (l: typeof model.layers[number], o: number, i: number, qy: number, qx: number) => {
      const [, cinG, KH, KW] = l.paramShapes.weight;
      const [, OH, OW] = l.shape;
      const a = l.attrs as { stride: number[]; padding: number[]; dilation: number[] };
      let s = 0;
      for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++)
        for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++)
          if (oy * a.stride[0] - a.padding[0] + ky * a.dilation[0] === qy && ox * a.stride[1] - a.padding[1] + kx * a.dilation[1] === qx)
            s += l.params.weight[((o * cinG + i) * KH + ky) * KW + kx];
      return s / (OH * OW);
    };
    const r = rng(freshSeed());
    for (const name of ['conv2', 'conv3']) {
      const l = layer(name);
      const [, H, W] = nodeShape(model, l.inputs[0]);
      for (let n = 0; n < 4; n++) {
        const o = Math.floor(r() * l.paramShapes.weight[0]), i = Math.floor(r() * l.paramShapes.weight[1]);
        for (const sign of [1, -1]) {
          const best = edgeBestPosition(model, l, o, i, sign);
          expect(best.coefficient).toBeCloseTo(sign * direct(l, o, i, best.y, best.x), 10);
          for (let qy = 0; qy < H; qy++) for (let qx = 0; qx < W; qx++)
            expect(sign * direct(l, o, i, qy, qx)).toBeLessThanOrEqual(best.coefficient + 1e-12);
        }
      }
    }
    // A linear edge through flatten: the largest weight of its run, placed on the read map.
    const fc = layer('fc1');
    const [, ah, aw] = nodeShape(model, 'avgpool');
    const run = fc.params.weight.slice(3 * fc.paramShapes.weight[1] + ah * aw, 3 * fc.paramShapes.weight[1] + 2 * ah * aw);
    const k = run.indexOf(Math.max(...run));
    expect(edgeBestPosition(model, fc, 3, 1, 1)).toEqual({ y: Math.floor(k / aw), x: k % aw, coefficient: run[k] });
    expect(() => edgeBestPosition(model, layer('conv1'), 2, 0, 1)).toThrow(/conv1:2:0 reads the image/);
  });

  it('a fashion-vgg kernel whose weights sum below 0 gains only at the border', () => {
    const vgg = loadBuiltinModel('fashion-vgg');
    const l = vgg.layers.find((x) => x.name === 'conv3_2')!;
    const W = l.params.weight, [, cin] = l.paramShapes.weight;
    const sum = W.slice((19 * cin + 26) * 9, (19 * cin + 27) * 9).reduce((a, v) => a + v, 0);
    expect(sum).toBeLessThan(0);
    const best = edgeBestPosition(vgg, l, 19, 26, 1);
    const [, H, Wd] = nodeShape(vgg, 'relu3_1');
    expect(best.coefficient).toBeGreaterThan(0);
    expect(best.y === 0 || best.x === 0 || best.y === H - 1 || best.x === Wd - 1).toBe(true);
  });

  it('the map before the ReLU, through pooling and LRN', () => {
    expect(preReluMap(model, 'pool2')).toBe('conv2'); // pool2 <- lrn2 <- relu2 <- conv2
    expect(preReluMap(model, 'relu3')).toBe('conv3');
    expect(preReluMap(model, 'relu4')).toBe('fc1');
    expect(preReluMap(model, 'conv3')).toBeNull();
    expect(preReluMap(model, 'fc2')).toBeNull();
  });

  it('grid positions: every WARMUP_GRID-th from the middle of the first cell, the middle of a short side', () => {
    expect(WARMUP_GRID).toBe(4);
    expect(gridPositions(14)).toEqual([2, 6, 10]);
    expect(gridPositions(7)).toEqual([2, 6]);
    expect(gridPositions(3)).toEqual([1]);
    expect(gridPositions(1)).toEqual([0]);
  });

  it('adds pre-ReLU neuron terms on a grid to lone channel and edge terms', () => {
    const neurons = (o: ReturnType<typeof warmupObjective>, from: number) =>
      o!.monomials.slice(from).map((m) => ({ weight: m.weight, ...(m.factors[0] as { layer: string; channel: number; y: number; x: number }) }));
    // A channel: one neuron per grid position of the pre-ReLU map, each weighted like one position.
    const [, rh, rw] = nodeShape(model, 'relu2');
    const c = warmupObjective(model, parseObjective('0.5*channel:relu2:4 + logit:1', model))!;
    expect(c.monomials.slice(0, 2)).toEqual(parseObjective('0.5*channel:relu2:4 + logit:1', model).monomials);
    const grid = gridPositions(rh).flatMap((y) => gridPositions(rw).map((x) => ({ y, x })));
    expect(grid.length).toBeGreaterThan(1);
    expect(neurons(c, 2)).toEqual(grid.map(({ y, x }) => ({ weight: 0.5 / (rh * rw), kind: 'neuron', layer: 'conv2', channel: 4, y, x })));
    // The warm-up objective prints and parses back like any other.
    expect(parseObjective(describeObjective(c), model)).toEqual(c);
    // An edge reading pool2 (conv2 pooled): grid neurons on conv2 weighted by the coefficient of
    // the pool2 position over them, where it is > 0, plus the best position's.
    const l3 = layer('conv3');
    const [, ph, pw] = nodeShape(model, 'pool2');
    const [, ch, cw] = nodeShape(model, 'conv2');
    const { coefficients } = edgeCoefficients(model, l3, 5, 7, 1);
    const expected = new Map<string, number>();
    for (const y of gridPositions(ch)) for (const x of gridPositions(cw)) {
      const q = coefficients[Math.floor((y * ph) / ch) * pw + Math.floor((x * pw) / cw)];
      if (q > 0) expected.set(`${y},${x}`, 2 * q);
    }
    const best = edgeBestPosition(model, l3, 5, 7, 1);
    expected.set(`${Math.floor((best.y * ch) / ph)},${Math.floor((best.x * cw) / pw)}`, 2 * best.coefficient);
    const e = warmupObjective(model, parseObjective('2*edge:conv3:5:7', model))!;
    expect(e.monomials[0]).toEqual({ weight: 2, factors: [{ kind: 'edge', layer: 'conv3', out: 5, input: 7 }] });
    const got = neurons(e, 1);
    expect(got.every((n) => n.layer === 'conv2' && n.channel === 7)).toBe(true);
    expect(new Map(got.map((n) => [`${n.y},${n.x}`, n.weight]))).toEqual(expected);
    // Every coefficient of this edge is >= 0, so its negative is best met by silence: no term.
    expect(edgeBestPosition(model, l3, 5, 7, -1).coefficient).toBeLessThanOrEqual(0);
    expect(warmupObjective(model, parseObjective('-2*edge:conv3:5:7', model))).toBeNull();
    // A fashion-vgg kernel that gains only at the border: no interior grid neuron, the border one alone.
    const vgg = loadBuiltinModel('fashion-vgg');
    const border = warmupObjective(vgg, parseObjective('edge:conv3_2:26:19', vgg))!;
    const b = edgeBestPosition(vgg, vgg.layers.find((x) => x.name === 'conv3_2')!, 26, 19, 1);
    expect(neurons(border, 1)).toEqual([{ weight: b.coefficient, kind: 'neuron', layer: 'conv3_1', channel: 19, y: b.y, x: b.x }]);
    expect(warmupObjective(model, parseObjective('channel:relu4:3', model))!.monomials[1].factors[0]).toEqual({ kind: 'neuron', layer: 'fc1', channel: 3, y: 0, x: 0 });
    expect(warmupObjective(model, parseObjective('channel:conv3:4', model))).toBeNull(); // no ReLU read
    expect(warmupObjective(model, parseObjective('edge:conv3:5:7 * logit:1', model))).toBeNull();
    expect(warmupObjective(model, parseObjective('edge:conv1:2:0', model))).toBeNull(); // reads the image
  });

  it('edge:fc1:5:0 stays at 0 without the warm-up and comes alive with it', async () => {
    const vgg = loadBuiltinModel('fashion-vgg');
    const device = await testDevice();
    const engine = Engine.create(device, vgg);
    /** sum over pool3's channel 0 of W[5, k] x(k), through the CPU network. */
    const cpuEdge = (image: Float32Array) => {
      const { mean, std } = vgg.input;
      const pool3 = cpuForward(vgg, Float32Array.from(image, (v) => (v - mean[0]) / std[0]), 1).values.get('pool3')!;
      const run = pool3.shape[1] * pool3.shape[2], n = pool3.data.length;
      const w = vgg.layers.find((l) => l.name === 'fc1')!.params.weight;
      let s = 0;
      for (let k = 0; k < run; k++) s += w[5 * n + k] * pool3.data[k];
      return s;
    };
    try {
      await expectNoGpuErrors(device, async () => {
        const base = { param: 'pixel' as const, steps: 16, lr: 0.2, transforms: false };
        const plain = await visualize(engine, 'edge:fc1:5:0', { settings: { ...base, warmupSteps: 0 } });
        expect(plain.objective).toBe(0);
        expect(cpuEdge(plain.image)).toBe(0);
        const warm = await visualize(engine, 'edge:fc1:5:0', { settings: { ...base, warmupSteps: 8 } });
        const cpu = cpuEdge(warm.image);
        expect(Math.abs(cpu - warm.objective)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu)));
        console.log(`edge:fc1:5:0: ${plain.objective} without, ${warm.objective} with 8 warm-up steps (16 steps)`);
        expect(warm.objective, `history ${warm.history}`).toBeGreaterThan(1e-3);
      });
    } finally {
      engine.destroy();
    }
  }, 120_000);

  it('warmupSteps must be an integer in 0..10000 (default 112, until the polish begins)', () => {
    expect(vizSettings().warmupSteps).toBe(112);
    expect(vizSettings().warmupSteps).toBe(vizSettings().steps - polishStepsOf(vizSettings()));
    // not given, it follows the steps and the polish; given, it is kept
    expect(vizSettings({ steps: 448 }).warmupSteps).toBe(224);
    expect(vizSettings({ steps: 160, polish: 0.4 }).warmupSteps).toBe(96);
    expect(vizSettings({ steps: 160, polish: 0.4, warmupSteps: 32 }).warmupSteps).toBe(32);
    expect(vizSettings({ polish: 1 }).warmupSteps).toBe(0);
    expect(vizSettings({ warmupSteps: 0 }).warmupSteps).toBe(0);
    for (const bad of [-1, 2.5, NaN, 10001]) expect(() => vizSettings({ warmupSteps: bad })).toThrow(/warm-up steps/);
  });
});

