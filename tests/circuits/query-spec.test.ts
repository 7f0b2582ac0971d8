// The URL syntax of circuit targets and image sets: good specs parse to the targets and
// terms worked out by hand, bad ones fail with QuerySpecError naming the bad part, and
// random garbage never raises any other kind of error.

import { describe, it, expect } from 'vitest';
import {
  parseTarget, parseImages, canonicalTarget, canonicalSet, imagesLabel, targetLabel, QuerySpecError, type QueryModel,
} from '../../src/lib/circuits/querySpec';
import { rng } from '../helpers/random';

const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const window3 = { kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 1] as [number, number] };
const model: QueryModel = {
  classes,
  output: 'fc',
  input: { name: 'input', channels: 1, height: 28, width: 28 },
  layers: [
    { name: 'conv1', shape: [8, 28, 28], inputs: ['input'], flow: { kind: 'kernels', groups: 1, window: window3 } },
    { name: 'relu1', shape: [8, 28, 28], inputs: ['conv1'], flow: { kind: 'same', window: null, activation: true } },
    { name: 'conv2', shape: [16, 14, 14], inputs: ['relu1'], flow: { kind: 'kernels', groups: 1, window: { ...window3, stride: [2, 2] } } },
    { name: 'relu2', shape: [16, 14, 14], inputs: ['conv2'], flow: { kind: 'same', window: null, activation: true } },
    { name: 'flat', shape: [3136], inputs: ['relu2'], flow: { kind: 'flatten' } },
    { name: 'fc', shape: [10], inputs: ['flat'], flow: { kind: 'kernels', groups: 1, window: 'whole' } },
  ],
};

function rejects(f: () => unknown, part: 'target' | 'images', message: RegExp) {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(QuerySpecError);
    expect((err as QuerySpecError).part).toBe(part);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a QuerySpecError');
}

describe('targets', () => {
  it('parses every form', () => {
    expect(parseTarget('loss', model)).toEqual({ kind: 'loss' });
    expect(parseTarget(' LOSS ', model)).toEqual({ kind: 'loss' });
    expect(parseTarget('logit:Sandal', model)).toEqual({ kind: 'classLogit', class: 5 });
    expect(parseTarget('logit:sandal', model)).toEqual({ kind: 'classLogit', class: 5 });
    expect(parseTarget('logit:3', model)).toEqual({ kind: 'classLogit', class: 3 });
    expect(parseTarget('prob:T-shirt/top', model)).toEqual({ kind: 'classProbability', class: 0 });
    expect(parseTarget('prob:Ankle boot', model)).toEqual({ kind: 'classProbability', class: 9 });
    // A filter's node reads its map after the nonlinearity; :pre reads the map before it.
    expect(parseTarget('node:conv2:12', model)).toEqual({ kind: 'featureMean', layer: 'relu2', channel: 12 });
    expect(parseTarget('node:conv2:12:mean', model)).toEqual({ kind: 'featureMean', layer: 'relu2', channel: 12 });
    expect(parseTarget('node:conv2:12:pre', model)).toEqual({ kind: 'featureMean', layer: 'conv2', channel: 12 });
    expect(parseTarget('node:conv2:12:pre:max', model)).toEqual({ kind: 'featureMax', layer: 'conv2', channel: 12 });
    expect(parseTarget('node:conv2:3:pre@1,2', model)).toEqual({ kind: 'featureAt', layer: 'conv2', channel: 3, y: 1, x: 2 });
    expect(parseTarget('node:relu1:7:max', model)).toEqual({ kind: 'featureMax', layer: 'relu1', channel: 7 });
    expect(parseTarget('node:conv2:0@13,2', model)).toEqual({ kind: 'featureAt', layer: 'relu2', channel: 0, y: 13, x: 2 });
    expect(parseTarget('node:fc:9', model)).toEqual({ kind: 'featureMean', layer: 'fc', channel: 9 });
  });

  it('canonical strings and labels', () => {
    expect(canonicalTarget(parseTarget('logit:Sandal', model))).toBe('logit:5');
    expect(canonicalTarget(parseTarget('node:conv2:1:max', model))).toBe('node:relu2:1:max');
    expect(canonicalTarget(parseTarget('node:conv2:1@2,3', model))).toBe('node:relu2:1@2,3');
    expect(canonicalTarget(parseTarget('node:conv2:1:pre', model))).toBe('node:conv2:1');
    for (const text of ['node:conv2:1:pre', 'node:conv2:1:pre:max', 'node:conv2:1:pre@2,3', 'node:conv2:1', 'node:relu1:4@0,0', 'logit:3', 'loss']) {
      const t = parseTarget(text, model);
      expect(parseTarget(canonicalTarget(t, model), model), text).toEqual(t);
    }
    expect(targetLabel(parseTarget('node:conv2:12', model), classes)).toBe('mean of relu2:12');
    expect(targetLabel(parseTarget('node:conv2:12', model), classes, model)).toBe('mean of conv2:12 after its activation (relu2)');
    expect(targetLabel(parseTarget('node:conv2:12:pre', model), classes, model)).toBe('mean of conv2:12 before its activation');
    expect(targetLabel(parseTarget('logit:5', model), classes)).toBe('logit of Sandal');
  });

  it('every target error starts with the word target, every image set error names the image set', () => {
    for (const bad of ['', 'los', 'logit:Hat', 'prob:99', 'node:x:1', 'node:conv2:99', 'node:conv2:1@9,99', 'node:conv2:1@x', 'node:input:0']) {
      rejects(() => parseTarget(bad, model), 'target', /^(the )?target/);
    }
    for (const bad of ['', 'Hat', 'Bag - Hat', 'image:5000', 'class:', '2*', 'Bag -']) rejects(() => parseImages(bad, classes, 1000), 'images', /^(the )?image set/);
  });

  it('rejects bad targets naming the problem', () => {
    rejects(() => parseTarget('', model), 'target', /empty/);
    rejects(() => parseTarget('los', model), 'target', /"los" is not one of/);
    rejects(() => parseTarget('logit:Hat', model), 'target', /^target "logit:Hat": unknown class "Hat"/);
    rejects(() => parseTarget('logit:10', model), 'target', /class 10 does not exist.*10 classes/);
    rejects(() => parseTarget('node:conv9:1', model), 'target', /no layer named "conv9"/);
    rejects(() => parseTarget('node:conv2:16', model), 'target', /channel 16 is outside conv2's 16 channels/);
    rejects(() => parseTarget('node:conv2', model), 'target', /expected node:<layer>:<channel>/);
    rejects(() => parseTarget('node:conv2:1@14,0', model), 'target', /position \(14, 0\) is outside conv2's 14x14/);
    rejects(() => parseTarget('node:conv2:1@a,b', model), 'target', /^target "node:conv2:1@a,b": position "a,b" is not @<y>,<x>/);
    rejects(() => parseTarget('node:input:0', model), 'target', /input "input" has no circuit/);
    rejects(() => parseTarget('node:conv2:1:max@1,1', model), 'target', /both a position and :max/);
    rejects(() => parseTarget('x'.repeat(600), model), 'target', /600 characters/);
  });
});

describe('image sets', () => {
  const n = 1000;
  it('parses sets and contrasts', () => {
    expect(parseImages('all', classes, n)).toEqual([{ weight: 1, set: { kind: 'all' } }]);
    expect(parseImages('class:Sandal', classes, n)).toEqual([{ weight: 1, set: { kind: 'class', class: 5 } }]);
    expect(parseImages('class:5', classes, n)).toEqual([{ weight: 1, set: { kind: 'class', class: 5 } }]);
    expect(parseImages('Bag', classes, n)).toEqual([{ weight: 1, set: { kind: 'class', class: 8 } }]);
    expect(parseImages('image:999', classes, n)).toEqual([{ weight: 1, set: { kind: 'image', index: 999 } }]);
    expect(parseImages('Sandal - all', classes, n)).toEqual([
      { weight: 1, set: { kind: 'class', class: 5 } }, { weight: -1, set: { kind: 'all' } },
    ]);
    expect(parseImages('2*Bag - 0.5*class:Coat + image:3', classes, n)).toEqual([
      { weight: 2, set: { kind: 'class', class: 8 } }, { weight: -0.5, set: { kind: 'class', class: 4 } }, { weight: 1, set: { kind: 'image', index: 3 } },
    ]);
  });

  it('class names holding operators need no quotes', () => {
    expect(parseImages('T-shirt/top', classes, n)).toEqual([{ weight: 1, set: { kind: 'class', class: 0 } }]);
    expect(parseImages('class:T-shirt/top', classes, n)).toEqual([{ weight: 1, set: { kind: 'class', class: 0 } }]);
    expect(parseImages('T-shirt/top - Shirt', classes, n)).toEqual([
      { weight: 1, set: { kind: 'class', class: 0 } }, { weight: -1, set: { kind: 'class', class: 6 } },
    ]);
    expect(parseImages("Shirt - class:t-shirt/top", classes, n)).toEqual([
      { weight: 1, set: { kind: 'class', class: 6 } }, { weight: -1, set: { kind: 'class', class: 0 } },
    ]);
    expect(parseImages("'T-shirt/top' - all", classes, n)[0]).toEqual({ weight: 1, set: { kind: 'class', class: 0 } });
  });

  it('canonical strings and labels', () => {
    const terms = parseImages('Sandal - all', classes, n);
    expect(terms.map((t) => canonicalSet(t.set))).toEqual(['class:5', 'all']);
    expect(imagesLabel(terms, classes)).toBe('class Sandal − all images');
    expect(imagesLabel(parseImages('2*Bag', classes, n), classes)).toBe('2 × class Bag');
  });

  it('rejects bad sets naming the problem', () => {
    rejects(() => parseImages('', classes, n), 'images', /empty/);
    rejects(() => parseImages('Hat', classes, n), 'images', /"Hat".*unknown class "Hat"/);
    rejects(() => parseImages('Sandal - Hat', classes, n), 'images', /unknown class "Hat"/);
    rejects(() => parseImages('image:1000', classes, n), 'images', /there are 1000 images/);
    rejects(() => parseImages('image:x', classes, n), 'images', /expected image:<index>/);
    rejects(() => parseImages('class:', classes, n), 'images', /names no class/);
    rejects(() => parseImages('Sandal -', classes, n), 'images', /ends after an operator/);
    rejects(() => parseImages('class:42', classes, n), 'images', /class 42 does not exist/);
  });
});

describe('direction targets', () => {
  const dense8 = (w: Record<number, number>) => Array.from({ length: 8 }, (_, c) => w[c] ?? 0);

  it('parses the dense and the sparse form to one weight per channel, reading the layer named', () => {
    expect(parseTarget('direction:conv1:1,0,0,-0.5,0,0,0,2e-1', model)).toEqual({ kind: 'direction', layer: 'conv1', weights: dense8({ 0: 1, 3: -0.5, 7: 0.2 }) });
    expect(parseTarget('direction:relu1:3=-0.5, 0=1 ,7=.2', model)).toEqual({ kind: 'direction', layer: 'relu1', weights: dense8({ 0: 1, 3: -0.5, 7: 0.2 }) });
    expect(parseTarget('Direction:fc:9=1', model)).toEqual({ kind: 'direction', layer: 'fc', weights: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
    expect(targetLabel(parseTarget('direction:conv1:0=1', model), classes, model)).toBe('direction in conv1');
  });

  it('canonical text is the shorter form and parses back to the same target', () => {
    expect(canonicalTarget(parseTarget('direction:conv1:0,0,0,0,0,0,0,1.5', model), model)).toBe('direction:conv1:7=1.5');
    expect(canonicalTarget(parseTarget('direction:conv1:0=1,1=2,2=3,3=4,4=5,5=6,6=7,7=8', model), model)).toBe('direction:conv1:1,2,3,4,5,6,7,8');
    const r = rng(3);
    for (let k = 0; k < 50; k++) {
      const weights = dense8({}).map(() => (r() < 0.5 ? 0 : Math.round((r() - 0.5) * 1e6) / 1e3));
      weights[k % 8] = 1e21 * (r() - 0.5); // exponent notation with a sign
      const t = { kind: 'direction' as const, layer: 'relu1', weights };
      const text = canonicalTarget(t, model);
      expect(parseTarget(text, model), text).toEqual(t);
    }
  });

  it('rejects bad directions naming the problem', () => {
    rejects(() => parseTarget('direction:conv1:1,2,3', model), 'target', /^target "direction:conv1:1,2,3": conv1 has 8 channels, the direction gives 3 weights/);
    rejects(() => parseTarget('direction:conv1:1,2,3,4,5,6,7,8,9', model), 'target', /8 channels, the direction gives 9 weights/);
    rejects(() => parseTarget('direction:conv1:1,x,0,0,0,0,0,0', model), 'target', /weight "x" is not a number/);
    rejects(() => parseTarget('direction:conv1:0=1e999', model), 'target', /weight "1e999" is not a number/);
    rejects(() => parseTarget('direction:conv1:8=1', model), 'target', /channel 8 is outside conv1's 8 channels \(0..7\)/);
    rejects(() => parseTarget('direction:conv1:1=1,1=2', model), 'target', /channel 1 is given twice/);
    rejects(() => parseTarget('direction:conv1:1=1,2', model), 'target', /"2" is not <channel>=<weight>/);
    rejects(() => parseTarget('direction:conv1:a=1', model), 'target', /"a=1" is not <channel>=<weight>/);
    rejects(() => parseTarget('direction:conv1:0,0,0,0,0,0,0,-0', model), 'target', /every weight is 0/);
    rejects(() => parseTarget('direction:conv1:3=0', model), 'target', /every weight is 0/);
    rejects(() => parseTarget('direction:conv9:0=1', model), 'target', /no layer named "conv9"/);
    rejects(() => parseTarget('direction:input:0=1', model), 'target', /input "input" has no circuit/);
    rejects(() => parseTarget('direction:conv1', model), 'target', /expected direction:<layer>:<w0>,<w1>,\.\.\. or direction:<layer>:<channel>=<weight>/);
    rejects(() => parseTarget(`direction:conv1:${'0,'.repeat(300)}1`, model), 'target', /characters long \(at most 500\)/);
  });

  it('random direction-like text never raises anything but QuerySpecError', () => {
    const r = rng(11);
    const alphabet = 'direction:conv1:relu1:fc:input:0123456789=,.-+e ';
    for (let k = 0; k < 3000; k++) {
      let s = 'direction:';
      for (let i = Math.floor(r() * 30); i > 0; i--) s += alphabet[Math.floor(r() * alphabet.length)];
      try {
        const t = parseTarget(s, model);
        expect(t.kind).toBe('direction');
      } catch (err) {
        if (!(err instanceof QuerySpecError)) throw new Error(`${JSON.stringify(s)} raised ${String(err)}`);
      }
    }
  });
});

describe('fuzzed garbage', () => {
  it('never throws anything but QuerySpecError', () => {
    const r = rng(7);
    const alphabet = 'node:logit:prob:loss:class:image:all:conv2:fc:Sandal T-shirt/top @,.*+-"\'0123456789 \u0000\u00e9\ud83d';
    let parsed = 0;
    for (let k = 0; k < 4000; k++) {
      const len = Math.floor(r() * 30);
      let s = '';
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      for (const f of [() => parseTarget(s, model), () => parseImages(s, classes, 50)]) {
        try {
          f();
          parsed++;
        } catch (err) {
          if (!(err instanceof QuerySpecError)) throw new Error(`${JSON.stringify(s)} raised ${String(err)}`);
          expect((err as Error).message.length).toBeGreaterThan(0);
        }
      }
    }
    expect(parsed).toBeGreaterThan(0);
    for (const weird of [undefined, null, 42, {}] as unknown as string[]) {
      rejects(() => parseTarget(weird, model), 'target', /must be text/);
      rejects(() => parseImages(weird, classes, 5), 'images', /must be text/);
    }
  });
});
