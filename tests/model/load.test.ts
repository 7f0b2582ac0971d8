// The model loader: valid files load with shapes inferred; every kind of broken file is
// rejected with a ModelFormatError whose message names the problem and where it is.

import { describe, it, expect } from 'vitest';
import { parseModel } from '../../src/lib/model/load';
import { ModelFormatError } from '../../src/lib/model/types';

type Json = Record<string, any>;

/** A small valid model: conv -> relu -> maxpool -> flatten -> linear, with its weights. */
function tinyModel(): { json: Json; weights: ArrayBuffer } {
  const tensors: Json = {};
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    tensors[name] = { shape, offset };
    offset += shape.reduce((a, b) => a * b, 1) * 4;
  };
  add('conv1.weight', [4, 1, 3, 3]);
  add('conv1.bias', [4]);
  add('fc.weight', [3, 4 * 3 * 3]);
  add('fc.bias', [3]);
  const weights = new Float32Array(offset / 4).map((_, i) => Math.sin(i));
  return {
    json: {
      format: 'cnn-microscope/1',
      name: 'tiny',
      input: { name: 'input', channels: 1, height: 6, width: 6, mean: [0.5], std: [0.25] },
      classes: ['a', 'b', 'c'],
      layers: [
        { name: 'conv1', op: 'conv2d', inputs: ['input'], attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: 'conv1.weight', bias: 'conv1.bias' } },
        { name: 'relu1', op: 'relu', inputs: ['conv1'] },
        { name: 'pool1', op: 'maxpool', inputs: ['relu1'], attrs: { kernel: [2, 2] } },
        { name: 'flat', op: 'flatten', inputs: ['pool1'] },
        { name: 'fc', op: 'linear', inputs: ['flat'], params: { weight: 'fc.weight', bias: 'fc.bias' } },
      ],
      output: 'fc',
      tensors,
    },
    weights: weights.buffer,
  };
}

function rejects(mutate: (m: { json: Json; weights: ArrayBuffer }) => { json: Json; weights: ArrayBuffer } | void, message: RegExp) {
  const m = tinyModel();
  const r = mutate(m) ?? m;
  let err: unknown;
  try {
    parseModel(r.json, r.weights);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as Error).message).toMatch(message);
}

describe('parseModel', () => {
  it('loads a valid model and infers every shape', () => {
    const { json, weights } = tinyModel();
    const m = parseModel(json, weights);
    expect(m.layers.map((l) => [l.name, l.shape])).toEqual([
      ['conv1', [4, 6, 6]], ['relu1', [4, 6, 6]], ['pool1', [4, 3, 3]], ['flat', [36]], ['fc', [3]],
    ]);
    expect(m.layers[0].attrs).toEqual({ kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
    // fc.bias starts after 36 + 4 + 108 floats; element 1 is float 149 of weights.bin.
    expect(m.layers[4].params.bias[1]).toBe(Math.fround(Math.sin(149)));
  });

  it('orders layers listed out of order', () => {
    const { json, weights } = tinyModel();
    json.layers.reverse();
    expect(parseModel(json, weights).layers.map((l) => l.name)).toEqual(['conv1', 'relu1', 'pool1', 'flat', 'fc']);
  });

  it('rejects a wrong format tag', () => rejects(({ json }) => void (json.format = 'onnx'), /unknown model format "onnx"/));
  it('rejects JSON that is not an object', () => rejects((m) => ({ ...m, json: [1, 2] as any }), /must hold a JSON object/));
  it('rejects a truncated weights.bin', () => rejects((m) => ({ ...m, weights: m.weights.slice(0, 100) }), /tensor "[^"]+" needs bytes .* weights\.bin has only 100 bytes/));
  it('rejects a weights.bin longer than the table', () => rejects((m) => ({ ...m, weights: new ArrayBuffer(m.weights.byteLength + 8) }), /does not belong to this model\.json/));
  it('rejects NaN weights, naming tensor and element', () =>
    rejects((m) => void (new Float32Array(m.weights)[40] = NaN), /tensor "conv1\.bias" holds NaN at element 4|tensor "fc\.weight" holds NaN/));
  it('rejects infinite weights', () => rejects((m) => void (new Float32Array(m.weights)[2] = Infinity), /"conv1\.weight" holds Infinity at element 2/));
  it('rejects an unknown op', () => rejects(({ json }) => void (json.layers[1].op = 'gelu'), /layer "relu1": unknown op "gelu" \(supported: conv2d/));
  it('rejects a dangling input', () => rejects(({ json }) => void (json.layers[2].inputs = ['relu9']), /layer "pool1": input "relu9" names no layer/));
  it('rejects a cycle', () =>
    rejects(({ json }) => void (json.layers[0].inputs = ['relu1']), /cycle: ("conv1" -> "relu1" -> "conv1"|"relu1" -> "conv1" -> "relu1")/));
  it('rejects duplicate layer names', () => rejects(({ json }) => void (json.layers[1].name = 'conv1'), /"conv1" is used twice/));
  it('rejects a kernel whose input channels do not match', () =>
    rejects(({ json }) => void (json.input.channels = 3, json.input.mean = [0, 0, 0], json.input.std = [1, 1, 1]), /layer "conv1" \(conv2d\): weight \[4, 1, 3, 3\] expects 1 input channels but the input has 3/));
  it('rejects a linear layer fed the wrong size', () => rejects(({ json }) => void (json.layers[2].attrs.kernel = [3, 3]), /layer "fc" \(linear\): weight \[3, 36\] expects 36 inputs but the input \[16\] has 16/));
  it('rejects a missing parameter', () => rejects(({ json }) => void delete json.layers[0].params.weight, /layer "conv1" \(conv2d\): missing parameter "weight"/));
  it('rejects a parameter naming no tensor', () => rejects(({ json }) => void (json.layers[0].params.bias = 'nope'), /names tensor "nope", which is not in the tensor table/));
  it('rejects bad attributes', () => rejects(({ json }) => void (json.layers[0].attrs.stride = [0, 1]), /layer "conv1" \(conv2d\): attribute "stride" must be \[h, w\] integers in 1\.\.65536/));
  it('rejects unknown attributes', () => rejects(({ json }) => void (json.layers[2].attrs.size = 3), /layer "pool1" \(maxpool\): unknown attribute "size"/));
  it('rejects a window larger than its input', () => rejects(({ json }) => void (json.layers[2].attrs = { kernel: [9, 9] }), /layer "pool1" \(maxpool\): window \[9, 9\] does not fit/));
  it('rejects a wrong input count', () => rejects(({ json }) => void (json.layers[1].inputs = ['conv1', 'conv1']), /layer "relu1" \(relu\): takes 1 input\(s\), got 2/));
  it('rejects an output that does not match the classes', () => rejects(({ json }) => void json.classes.push('d'), /output layer "fc" has shape \[3\] but there are 4 classes/));
  it('rejects a missing output', () => rejects(({ json }) => void (json.output = 'softmax'), /"output" must name the layer/));
  it('rejects misaligned offsets', () => rejects(({ json }) => void (json.tensors['conv1.bias'].offset = 2), /offset must be a non-negative multiple of 4/));
  it('rejects overlapping tensors', () => rejects(({ json }) => void (json.tensors['conv1.bias'].offset = 0), /overlap/));
  it('rejects a bad input spec', () => rejects(({ json }) => void (json.input.std = [0]), /input\.std must be positive/));
  it('rejects concat of maps of different sizes', () =>
    rejects(({ json }) => void json.layers.splice(3, 0, { name: 'cat', op: 'concat', inputs: ['relu1', 'pool1'] }), /layer "cat" \(concat\): inputs .* differ in more than the channel axis/));
});
