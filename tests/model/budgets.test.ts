// The loader against the hostile files of issue 19: declared sizes beyond the budgets, deep
// nesting, long chains and cycles, huge strings, wrong blame, batchnorm statistics that fold
// into NaN or Infinity, numbers beyond float32. Each case must end in a short ModelFormatError
// that names the culprit, quickly, without allocating what the file declares.

import { describe, expect, it } from 'vitest';
import { parseJsonText, parseModel } from '../../src/lib/model/load';
import { ModelFormatError } from '../../src/lib/model/types';
import { MODEL_LIMITS, ModelSizeError, jsonDepth, jsonTextDepth, quote } from '../../src/lib/model/limits';

type Json = Record<string, any>;

/** conv -> batchnorm (folded) -> relu -> batchnorm (not folded) -> flatten -> linear on a 1x4x4 input. */
function model(): { json: Json; weights: ArrayBuffer } {
  const tensors: Json = {};
  const values: number[] = [];
  const add = (name: string, shape: number[], fill: (i: number) => number) => {
    tensors[name] = { shape, offset: values.length * 4 };
    const n = shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) values.push(fill(i));
  };
  add('conv.weight', [2, 1, 3, 3], (i) => Math.sin(i + 1));
  add('conv.bias', [2], () => 0.1);
  for (const bn of ['bn1', 'bn2']) {
    add(`${bn}.weight`, [2], () => 1.5);
    add(`${bn}.bias`, [2], () => -0.2);
    add(`${bn}.mean`, [2], () => 0.3);
    add(`${bn}.var`, [2], () => 0.8);
  }
  add('fc.weight', [3, 8], (i) => Math.cos(i));
  add('fc.bias', [3], () => 0);
  const bn = (name: string, input: string) => ({
    name, op: 'batchnorm', inputs: [input], attrs: { eps: 1e-5 },
    params: { weight: `${name}.weight`, bias: `${name}.bias`, runningMean: `${name}.mean`, runningVar: `${name}.var` },
  });
  return {
    json: {
      format: 'cnn-microscope/1',
      name: 'budgets',
      input: { name: 'input', channels: 1, height: 4, width: 4, mean: [0.5], std: [0.25] },
      classes: ['a', 'b', 'c'],
      layers: [
        { name: 'conv', op: 'conv2d', inputs: ['input'], attrs: { kernel: [3, 3], padding: [1, 1], stride: [2, 2] }, params: { weight: 'conv.weight', bias: 'conv.bias' } },
        bn('bn1', 'conv'),
        { name: 'relu', op: 'relu', inputs: ['bn1'] },
        bn('bn2', 'relu'),
        { name: 'flat', op: 'flatten', inputs: ['bn2'] },
        { name: 'fc', op: 'linear', inputs: ['flat'], params: { weight: 'fc.weight', bias: 'fc.bias' } },
      ],
      output: 'fc',
      tensors,
    },
    weights: new Float32Array(values).buffer,
  };
}

/** The weights of tensor `name`, to overwrite. */
const data = (m: { json: Json; weights: ArrayBuffer }, name: string) =>
  new Float32Array(m.weights, m.json.tensors[name].offset, m.json.tensors[name].shape.reduce((a: number, b: number) => a * b, 1));

/** Parses a mutated model and returns its error, checking it is a short ModelFormatError that came quickly. */
function errorOf(mutate: (m: { json: Json; weights: ArrayBuffer }) => void): Error {
  const m = model();
  mutate(m);
  const t0 = performance.now();
  let err: unknown = null;
  try {
    parseModel(m.json, m.weights);
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as Error).message.length).toBeLessThan(300);
  return err as Error;
}

describe('the loader refuses what exceeds its budgets, before allocating it', () => {
  it('loads the valid model (one batchnorm folded, one not)', () => {
    const m = model();
    const parsed = parseModel(m.json, m.weights);
    expect(parsed.layers.map((l) => l.name)).toEqual(['conv', 'relu', 'bn2', 'flat', 'fc']);
  });

  it('input.channels 1e9 with mean and std omitted: a size error, no 1e9-element array', () => {
    const err = errorOf(({ json }) => {
      json.input.channels = 1e9;
      delete json.input.mean;
      delete json.input.std;
    });
    expect(err).toBeInstanceOf(ModelSizeError);
    expect(err.message).toMatch(/input\.channels is 1,000,000,000; at most 65,536/);
  });

  it('input.channels 2^32 or 1e300: a size error, not a RangeError', () => {
    for (const channels of [2 ** 32, 1e300]) {
      const err = errorOf(({ json }) => {
        json.input.channels = channels;
        delete json.input.mean;
      });
      expect(err).toBeInstanceOf(ModelSizeError);
      expect(err.message).toMatch(/^input\.channels is/);
    }
  });

  it('JSON nested 100,000 deep: refused by depth, in the text and in the parsed value', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(jsonTextDepth(deep)).toBe(MODEL_LIMITS.jsonDepth + 1);
    expect(() => parseJsonText(`{"format": ${deep}}`)).toThrow(/nested more than 32 levels/);
    const value = JSON.parse(deep);
    expect(jsonDepth(value)).toBe(MODEL_LIMITS.jsonDepth + 1);
    for (const where of ['mean', 'attrs', 'description'] as const) {
      const err = errorOf(({ json }) => {
        if (where === 'mean') json.input.mean = value;
        else if (where === 'attrs') json.layers[0].attrs.kernel = value;
        else json.description = value;
      });
      expect(err.message).toMatch(/nested more than 32 levels deep/);
    }
    // brackets inside strings do not count
    expect(jsonTextDepth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[["}')).toBe(1);
  });

  it('a valid chain of 10,000 layers loads (no recursion)', () => {
    const err = (() => {
      const m = model();
      const chain = Array.from({ length: 10_000 }, (_, i) => ({ name: `r${i}`, op: 'relu', inputs: [i === 0 ? 'relu' : `r${i - 1}`] }));
      m.json.layers.splice(3, 0, ...chain);
      m.json.layers[3 + chain.length].inputs = ['r9999'];
      m.json.layers.reverse(); // the worst order for a depth-first walk
      const parsed = parseModel(m.json, m.weights);
      expect(parsed.layers).toHaveLength(5 + 10_000);
      expect(parsed.layers.findIndex((l) => l.name === 'r0')).toBeLessThan(parsed.layers.findIndex((l) => l.name === 'r9999'));
      return null;
    })();
    expect(err).toBeNull();
  });

  it('a cycle of 100,000 layers is reported as a cycle, briefly', () => {
    const err = errorOf(({ json }) => {
      const n = 100_000;
      json.layers = Array.from({ length: n }, (_, i) => ({ name: `c${i}`, op: 'relu', inputs: [`c${(i + 1) % n}`] }));
    });
    expect(err.message).toMatch(/^the layers form a cycle: "c0" -> "c1" -> … \(100000 layers\) … -> "c99999" -> "c0"$/);
  });

  it('a 50 MB string in format or input.mean is quoted, not echoed', () => {
    const big = 'x'.repeat(50_000_000);
    expect(errorOf(({ json }) => void (json.format = big)).message).toMatch(/^unknown model format "x{79}…/);
    expect(errorOf(({ json }) => void (json.input.mean = big)).message).toMatch(/^input\.mean must list 1 finite number\(s\), one per channel \(got "x{79}…\)$/);
    expect(errorOf(({ json }) => void (json.description = big)).message).toMatch(/"description" \(characters\) is 50,000,000; at most/);
  });

  it('a tensor of shape [] is blamed, not weights.bin', () => {
    const err = errorOf(({ json }) => void (json.tensors['fc.bias'].shape = []));
    expect(err.message).toMatch(/^tensor "fc\.bias": shape must list 1 to 6 positive integers \(got \[\]\)$/);
  });

  it('a removed last tensor entry is blamed on the layer that needs it', () => {
    const err = errorOf(({ json }) => void delete json.tensors['fc.bias']);
    expect(err.message).toMatch(/^layer "fc" \(linear\): parameter "bias" names tensor "fc\.bias", which is not in the tensor table$/);
  });

  it('bytes after the last entry are named as such', () => {
    const err = errorOf((m) => {
      delete m.json.tensors['fc.bias'];
      delete m.json.layers[5].params.bias;
    });
    expect(err.message).toMatch(/^weights\.bin is \d+ bytes but the tensor table ends at byte \d+ \(after "fc\.weight"\): an entry is missing/);
  });

  it('conv padding 1e9 is reported at the conv, not at the linear layer', () => {
    const err = errorOf(({ json }) => void (json.layers[0].attrs.padding = [1e9, 1e9]));
    expect(err.message).toMatch(/^layer "conv" \(conv2d\): attribute "padding" must be \[h, w\] integers in 0\.\.65536 \(got \[1000000000, 1000000000\]\)$/);
  });

  it('a layer whose output is too large is blamed (padding within range)', () => {
    const err = errorOf(({ json }) => {
      json.layers[0].attrs = { kernel: [3, 3], padding: [60000, 60000] };
    });
    expect(err).toBeInstanceOf(ModelSizeError);
    expect(err.message).toMatch(/^layer "conv" \(conv2d\): its output \[2, 120002, 120002\] is more than 16384 values high or wide$/);
  });

  it('a tensor declaring 1e15 elements is a size error, before weights.bin is consulted', () => {
    const err = errorOf(({ json }) => void (json.tensors['fc.weight'].shape = [1e5, 1e5, 1e5]));
    expect(err).toBeInstanceOf(ModelSizeError);
    expect(err.message).toMatch(/^tensor "fc\.weight": shape \[100000, 100000, 100000\] holds more than 268,435,456 elements/);
  });

  it('a tensor larger than the GPU holds in one buffer is refused at load', () => {
    const m = model();
    expect(() => parseModel(m.json, m.weights, { gpuLimits: { maxStorageBufferBindingSize: 64, maxBufferSize: 1 << 30 } })).toThrow(
      /^tensor "conv\.weight" is 72 bytes; this GPU holds at most 64 bytes in one buffer$/,
    );
  });

  it('batchnorm: a negative variance is refused, folded or not', () => {
    for (const bn of ['bn1', 'bn2']) {
      const err = errorOf((m) => void (data(m, `${bn}.var`)[1] = -1));
      expect(err.message).toBe(`layer "${bn}" (batchnorm): runningVar is -1 at channel 1; a variance must be >= 0`);
    }
  });

  it('batchnorm: gamma 3e38, or variance 0 with a tiny eps, cannot fold into Infinity', () => {
    const huge = errorOf((m) => void (data(m, 'bn1.weight')[0] = 3e38, data(m, 'bn1.var')[0] = 0.1));
    expect(huge.message).toMatch(/^layer "bn1" \(batchnorm\): at channel 0, weight \/ sqrt\(runningVar \+ eps\) = 3\.\d+e\+38 \/ sqrt\(0\.1\d* \+ 0\.00001\) is not a finite float32$/);
    const tiny = errorOf((m) => {
      data(m, 'bn2.var')[0] = 0;
      data(m, 'bn2.weight')[0] = 1e30;
      m.json.layers[3].attrs.eps = 1e-30;
    });
    expect(tiny.message).toMatch(/^layer "bn2" \(batchnorm\): at channel 0/);
  });

  it('batchnorm: a finite scale times a large kernel weight folds into Infinity: named at the conv', () => {
    const err = errorOf((m) => {
      data(m, 'conv.weight')[4] = 3e38;
      data(m, 'bn1.weight')[0] = 100;
    });
    expect(err.message).toBe('layer "conv" (conv2d) with batchnorm "bn1" folded in: weight element 4 becomes Infinity; folded weights must be finite');
  });

  it('numeric attributes: finite and within float32', () => {
    expect(errorOf(({ json }) => void (json.layers[1].attrs.eps = 1e39)).message).toMatch(/^layer "bn1" \(batchnorm\): attribute "eps" must be finite and within float32's range \(got 1e\+39\)$/);
    expect(errorOf(({ json }) => void (json.layers[1].attrs.eps = JSON.parse('1e999'))).message).toMatch(/attribute "eps" must be finite/);
    expect(errorOf(({ json }) => void (json.layers[0].attrs.groups = 2 ** 40)).message).toMatch(/^layer "conv" \(conv2d\): attribute "groups" must be an integer in 1\.\.65536/);
  });

  it('names, class names and the layer count have budgets too', () => {
    expect(errorOf(({ json }) => void (json.layers[0].name = 'n'.repeat(300))).message).toMatch(/^the name of layers\[0\] \(characters\) is 300; at most 256/);
    expect(errorOf(({ json }) => void (json.classes[1] = 'c'.repeat(1000))).message).toMatch(/^class name 1 \(characters\) is 1,000/);
    expect(errorOf(({ json }) => void (json.layers = new Array(100_001).fill(json.layers[2]))).message).toMatch(/^the number of layers is 100,001; at most 100,000/);
  });
});

describe('quote', () => {
  it('shows at most 80 characters of any value, without walking the rest', () => {
    expect(quote('abc')).toBe('"abc"');
    expect(quote([1, [2, { a: null }]])).toBe('[1, [2, {"a": null}]]');
    expect(quote(undefined)).toBe('nothing');
    const long = quote(Array.from({ length: 1e6 }, (_, i) => i));
    expect(long.length).toBeLessThanOrEqual(81);
    expect(long.endsWith('…')).toBe(true);
    expect(quote(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe(`${'['.repeat(80)}…`);
  });
});
