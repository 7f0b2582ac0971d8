// The warm-up objective (warmup.ts): which channel an edge reads, the weight of its term, and
// which objectives get one. The channel is checked against the support of the edge's own
// functional (terms.ts edgeWeights), which finds it through the convolution's index map.

import { describe, it, expect } from 'vitest';
import { edgeInputChannel, edgeWeightNorm, preReluMap, warmupObjective } from '../../src/lib/featureviz/warmup';
import { parseObjective, describeObjective } from '../../src/lib/featureviz/objectives';
import { edgeWeights } from '../../src/lib/featureviz/terms';
import { nodeShape } from '../../src/lib/model/types';
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

  it('the warm-up weight is sum |W[o, i]|', () => {
    const l = layer('conv2');
    const [, cinG, KH, KW] = l.paramShapes.weight;
    const W = l.params.weight;
    let want = 0;
    for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) want += Math.abs(W[((4 * cinG + 2) * KH + ky) * KW + kx]);
    expect(edgeWeightNorm(model, l, 4, 2)).toBeCloseTo(want, 10);
    const fc = layer('fc1');
    const ew = edgeWeights(model, fc, 3, 1).weights;
    expect(edgeWeightNorm(model, fc, 3, 1)).toBeCloseTo(ew.reduce((a, v) => a + Math.abs(v), 0), 10);
  });

  it('the map before the ReLU, through pooling and LRN', () => {
    expect(preReluMap(model, 'pool2')).toBe('conv2'); // pool2 <- lrn2 <- relu2 <- conv2
    expect(preReluMap(model, 'relu3')).toBe('conv3');
    expect(preReluMap(model, 'relu4')).toBe('fc1');
    expect(preReluMap(model, 'conv3')).toBeNull();
    expect(preReluMap(model, 'fc2')).toBeNull();
  });

  it('adds a centre-neuron term on the pre-ReLU map to lone channel and edge terms', () => {
    const norm = edgeWeightNorm(model, layer('conv3'), 5, 7);
    const [, ph, pw] = nodeShape(model, 'pool2');
    const [, ch, cw] = nodeShape(model, 'conv2');
    const w = warmupObjective(model, parseObjective('-2*edge:conv3:5:7', model))!;
    expect(w.monomials).toHaveLength(2);
    expect(w.monomials[0]).toEqual({ weight: -2, factors: [{ kind: 'edge', layer: 'conv3', out: 5, input: 7 }] });
    expect(w.monomials[1].factors).toEqual([{ kind: 'neuron', layer: 'conv2', channel: 7, y: Math.floor(ch / 2), x: Math.floor(cw / 2) }]);
    expect(w.monomials[1].weight).toBeCloseTo((2 * norm) / (ph * pw), 10);
    const [, rh, rw] = nodeShape(model, 'relu3');
    const c = warmupObjective(model, parseObjective('0.5*channel:relu3:4 + logit:1', model))!;
    expect(c.monomials.slice(0, 2)).toEqual(parseObjective('0.5*channel:relu3:4 + logit:1', model).monomials);
    expect(c.monomials[2]).toEqual({ weight: 0.5 / (rh * rw), factors: [{ kind: 'neuron', layer: 'conv3', channel: 4, y: Math.floor(rh / 2), x: Math.floor(rw / 2) }] });
    // The warm-up objective prints and parses back like any other.
    expect(parseObjective(describeObjective(c), model)).toEqual(c);
    expect(warmupObjective(model, parseObjective('channel:relu4:3', model))!.monomials[1].factors[0]).toEqual({ kind: 'neuron', layer: 'fc1', channel: 3, y: 0, x: 0 });
    expect(warmupObjective(model, parseObjective('channel:conv3:4', model))).toBeNull(); // no ReLU read
    expect(warmupObjective(model, parseObjective('edge:conv3:5:7 * logit:1', model))).toBeNull();
    expect(warmupObjective(model, parseObjective('edge:conv1:2:0', model))).toBeNull(); // reads the image
  });
});
