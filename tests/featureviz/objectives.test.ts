// Objective strings: good ones parse to the expected polynomial and round-trip through the
// canonical text; bad ones fail with an ObjectiveSyntaxError naming the problem; fuzzed
// garbage never throws anything else. Edge functionals against a direct pre-sum computation.

import { describe, it, expect } from 'vitest';
import { parseObjective, describeObjective, nodeObjective, edgeObjective, ObjectiveSyntaxError } from '../../src/lib/featureviz/objectives';
import { edgeWeights } from '../../src/lib/featureviz/terms';
import { nodeShape, shapeSize } from '../../src/lib/model/types';
import { loadFixture } from '../helpers/fixtures';
import { rng, freshSeed } from '../helpers/random';

const model = loadFixture('alexnet-mini').model;

describe('parseObjective', () => {
  it('parses every kind of term into the right polynomial', () => {
    expect(parseObjective('channel:conv2:7', model)).toEqual({ monomials: [{ weight: 1, factors: [{ kind: 'channel', layer: 'conv2', channel: 7 }] }] });
    expect(parseObjective('neuron:conv3:9@1,2', model).monomials[0].factors[0]).toEqual({ kind: 'neuron', layer: 'conv3', channel: 9, y: 1, x: 2 });
    // Position defaults to the centre; 1D layers have position 0,0.
    const [, h, w] = model.layers.find((l) => l.name === 'conv3')!.shape;
    expect(parseObjective('neuron:conv3:1', model).monomials[0].factors[0]).toMatchObject({ y: Math.floor(h / 2), x: Math.floor(w / 2) });
    expect(parseObjective('neuron:fc1:3', model).monomials[0].factors[0]).toMatchObject({ y: 0, x: 0 });
    expect(parseObjective('-logit:2', model).monomials[0]).toEqual({ weight: -1, factors: [{ kind: 'logit', class: 2 }] });
    expect(parseObjective('prob:4', model).monomials[0].factors[0]).toEqual({ kind: 'prob', class: 4 });
    expect(parseObjective('edge:conv2:5:3', model).monomials[0].factors[0]).toEqual({ kind: 'edge', layer: 'conv2', out: 5, input: 3 });
    expect(parseObjective('layer:relu3', model).monomials[0].factors[0]).toEqual({ kind: 'layer', layer: 'relu3' });
    const dir = parseObjective(`direction:conv3:${Array.from({ length: 16 }, (_, i) => (i % 2 ? -i : i / 10)).join(',')}`, model);
    expect(dir.monomials[0].factors[0]).toMatchObject({ kind: 'direction', layer: 'conv3' });
    expect((dir.monomials[0].factors[0] as { weights: number[] }).weights[3]).toBe(-3);
    // Sums, weights, products distribute, parentheses.
    const p = parseObjective('(channel:conv1:0 + 2*logit:1) * (prob:0 - 0.5*channel:conv2:3) - 1e-2*diversity:conv2', model);
    expect(p.monomials.map((m) => m.weight)).toEqual([1, -0.5, 2, -1, -0.01]);
    expect(p.monomials[3].factors.map((f) => f.kind)).toEqual(['logit', 'channel']);
  });

  it('describeObjective is canonical and round-trips', () => {
    const texts = [
      'channel:conv2:7', '-channel:conv1:3', 'channel:conv1:1 + 0.5*channel:conv2:2', 'channel:conv1:1*logit:2',
      'neuron:conv3:9@1,2 - 2*prob:3', 'edge:fc1:4:2', 'layer:conv3 - 0.1*diversity:conv2',
      `direction:conv3:${Array.from({ length: 16 }, (_, i) => (i - 7) * 1e-7).join(',')}`,
      '(channel:conv1:0 - neuron:fc1:1) * (3*logit:0 + prob:1)', '1e+21*logit:0', 'direction:conv3:1e21,-2e-30,0,0,0,0,0,0,0,0,0,0,0,0,0,1.5',
    ];
    for (const t of texts) {
      const o = parseObjective(t, model);
      const d = describeObjective(o);
      expect(parseObjective(d, model), `${t} -> ${d}`).toEqual(o);
      expect(describeObjective(parseObjective(d, model))).toBe(d);
    }
    expect(describeObjective(parseObjective('  channel:conv2:7 +0.5 * logit:1 ', model))).toBe('channel:conv2:7 + 0.5*logit:1');
    expect(nodeObjective('conv2_1', 12)).toBe('channel:conv2_1:12');
    expect(edgeObjective('conv2_1', 12, 5)).toBe('edge:conv2_1:12:5');
  });

  it('rejects bad objectives with a message naming the problem', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['channel:nope:1', /unknown layer "nope"/],
      ['channel:conv2:12', /channel 12 is out of range \(0\.\.11\)/],
      ['channel:conv2', /not a non-negative integer/],
      ['channel:input:0', /input/],
      ['neuron:conv3:1@99,0', /row 99 is out of range/],
      ['neuron:fc1:1@1,1', /no spatial map/],
      ['logit:5', /class 5 is out of range/],
      ['prob:-1', /prob/],
      ['edge:relu1:0:0', /relu layer; edges are the kernels/],
      ['edge:conv2:0:4', /input channel 4 is out of range \(0\.\.3\)/],
      ['edge:fc1:0:16', /input channel 16 is out of range/],
      ['direction:conv3:1,2', /needs 16 weights, got 2/],
      ['direction:conv3:1,x,3', /direction weight "x" is not a number/],
      ['foo:1', /unknown objective "foo"/],
      ['banana', /unknown token "banana"/],
      ['channel:conv1:1 +', /ends where a term was expected/],
      ['channel:conv1:1 logit:2', /unexpected "logit:2"/],
      ['(channel:conv1:1', /expected "\)"/],
      ['3', /constant/],
      ['channel:conv1:1 + 2', /constant/],
      ['diversity:conv2 * logit:1', /can be added \(weighted\), not multiplied/],
      ['1e999*logit:1', /not finite/],
      ['channel:conv1:1 # x', /unexpected "#"/],
    ];
    for (const [text, msg] of bad) {
      let err: unknown = null;
      try { parseObjective(text, model); } catch (e) { err = e; }
      expect(err, text).toBeInstanceOf(ObjectiveSyntaxError);
      expect((err as Error).message, text).toMatch(msg);
    }
  });

  it('fuzzed garbage throws nothing but ObjectiveSyntaxError', () => {
    const seed = freshSeed();
    const r = rng(seed);
    const pieces = ['channel', 'neuron', 'layer', 'logit', 'prob', 'edge', 'direction', 'diversity', ':', '@', ',', '+', '-', '*', '(', ')', ' ',
      'conv1', 'conv2', 'fc1', 'relu3', '0', '1', '7', '99', '1e5', '.5', '-3', 'e', 'x', '\u00e9', '\n', '1e-3', 'NaN', 'Infinity'];
    let parsed = 0;
    for (let k = 0; k < 3000; k++) {
      const n = 1 + Math.floor(r() * 12);
      let t = '';
      for (let i = 0; i < n; i++) t += r() < 0.1 ? String.fromCharCode(Math.floor(r() * 128)) : pieces[Math.floor(r() * pieces.length)];
      try {
        const o = parseObjective(t, model);
        parsed++;
        expect(parseObjective(describeObjective(o), model), `${JSON.stringify(t)} (seed ${seed})`).toEqual(o);
      } catch (e) {
        if (!(e instanceof ObjectiveSyntaxError)) throw new Error(`${JSON.stringify(t)} threw ${(e as Error).name}: ${(e as Error).message} (seed ${seed})`);
      }
    }
    // Mutations of valid objectives (a character dropped, doubled or replaced): some stay valid.
    const valid = ['channel:conv2:7 + 0.5*logit:1', 'neuron:conv3:9@1,2 * prob:3', '-edge:conv2:5:3 - 0.1*diversity:conv2'];
    let stillValid = 0;
    for (let k = 0; k < 3000; k++) {
      const v = valid[k % valid.length];
      const at = Math.floor(r() * v.length);
      const c = pieces[Math.floor(r() * pieces.length)];
      const op = Math.floor(r() * 3);
      const t = op === 0 ? v.slice(0, at) + v.slice(at + 1) : op === 1 ? v.slice(0, at) + v[at] + v.slice(at) : v.slice(0, at) + c + v.slice(at + 1);
      try {
        parseObjective(t, model);
        stillValid++;
      } catch (e) {
        if (!(e instanceof ObjectiveSyntaxError)) throw new Error(`${JSON.stringify(t)} threw ${(e as Error).name}: ${(e as Error).message} (seed ${seed})`);
      }
    }
    expect(stillValid, `parsed ${parsed} random strings`).toBeGreaterThan(0);
  });
});

describe('edge functionals', () => {
  it("equal the mean of the kernel's pre-sum map computed directly (grouped conv, dilated conv, linear run)", () => {
    const seed = freshSeed();
    const r = rng(seed);
    for (const [layer, o, i] of [['conv2', 9, 1], ['conv3', 4, 6], ['conv1', 3, 2], ['fc1', 4, 2]] as [string, number, number][]) {
      const l = model.layers.find((x) => x.name === layer)!;
      const { node, weights } = edgeWeights(model, l, o, i);
      expect(node).toBe(l.inputs[0]);
      const x = Float64Array.from({ length: shapeSize(nodeShape(model, node)) }, () => r() * 2 - 1);
      let viaWeights = 0;
      for (let k = 0; k < x.length; k++) viaWeights += weights[k] * x[k];
      let direct = 0;
      const W = l.params.weight;
      if (l.op === 'linear') {
        const F = l.paramShapes.weight[1];
        for (let f = i * 4; f < (i + 1) * 4; f++) direct += W[o * F + f] * x[f];
      } else {
        const [, H, Wd] = nodeShape(model, node);
        const [O, cinG, KH, KW] = l.paramShapes.weight;
        const a = l.attrs as { stride: number[]; padding: number[]; dilation: number[]; groups: number };
        const ci = Math.floor(o / (O / a.groups)) * cinG + i;
        const [, OH, OW] = l.shape;
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            let s = 0;
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
                const ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
                if (iy >= 0 && iy < H && ix >= 0 && ix < Wd) s += W[((o * cinG + i) * KH + ky) * KW + kx] * x[(ci * H + iy) * Wd + ix];
              }
            direct += s / (OH * OW);
          }
      }
      expect(Math.abs(viaWeights - direct), `${layer}:${o}:${i} (seed ${seed})`).toBeLessThan(1e-9 * Math.max(1, Math.abs(direct)));
    }
  });
});
