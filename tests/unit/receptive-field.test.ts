// Receptive fields on hand-computed layer stacks: conv/pool/conv, AlexNet's conv1 (11x11,
// stride 4, pad 2), dilation, a two-branch concat (union), adaptive pool and a linear head.
// Expected rectangles are worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { buildModel, type LayerSpec } from '../helpers/build-model';
import { receptiveField, nodeReceptiveField } from '../../src/lib/graph/receptiveField';
import { buildGraph } from '../../src/lib/graph/build';

const conv = (name: string, cin: number, cout: number, k: number, s = 1, p = 0, d = 1, inputs?: string[]): LayerSpec => ({
  name, op: 'conv2d', inputs,
  attrs: { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d] },
  params: { weight: [cout, cin, k, k] },
});
const head = (features: number): LayerSpec[] => [{ name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, features] } }];

describe('receptiveField', () => {
  const stack = buildModel('stack', { channels: 1, height: 16, width: 16 }, [
    conv('conv1', 1, 2, 3, 1, 1), { name: 'relu1', op: 'relu' },
    { name: 'pool1', op: 'maxpool', attrs: { kernel: [2, 2] } },
    conv('conv2', 2, 2, 3, 1, 1), ...head(2 * 8 * 8),
  ], 2);

  it('conv3x3 p1 -> maxpool2 -> conv3x3 p1', () => {
    // (0,0): conv2 reads pool rows [-1,1] -> [0,1]; pool reads [0,3]; conv1 reads [-1,4] -> [0,4]
    expect(receptiveField(stack, 'conv2', 0, 0)).toEqual({ y0: 0, y1: 4, x0: 0, x1: 4 });
    // (3,5): pool rows [2,4] -> conv1 rows [4,9] -> input [3,10]; cols [4,6] -> [8,13] -> [7,14]
    expect(receptiveField(stack, 'conv2', 3, 5)).toEqual({ y0: 3, y1: 10, x0: 7, x1: 14 });
    // last pixel (7,7): pool [6,8]->[6,7]; conv1 [12,15]; input [11,16] -> [11,15]
    expect(receptiveField(stack, 'conv2', 7, 7)).toEqual({ y0: 11, y1: 15, x0: 11, x1: 15 });
    // the input's own pixel, and conv1 (3x3)
    expect(receptiveField(stack, 'input', 4, 9)).toEqual({ y0: 4, y1: 4, x0: 9, x1: 9 });
    expect(receptiveField(stack, 'relu1', 4, 9)).toEqual({ y0: 3, y1: 5, x0: 8, x1: 10 });
    // the linear head sees the whole image
    expect(receptiveField(stack, 'fc', 0, 0)).toEqual({ y0: 0, y1: 15, x0: 0, x1: 15 });
    // by graph node: node 1 is conv1's first unit
    expect(nodeReceptiveField(stack, buildGraph(stack), 1, 0, 0)).toEqual({ y0: 0, y1: 1, x0: 0, x1: 1 });
  });

  it('a channel scale (squeeze-and-excitation) reads the whole image at every pixel', () => {
    const se = buildModel('se', { channels: 1, height: 9, width: 9 }, [
      conv('conv1', 1, 2, 3, 1, 1), { name: 'relu1', op: 'relu' },
      { name: 'squeeze', op: 'adaptiveavgpool', attrs: { output: [1, 1] } },
      conv('excite', 2, 2, 1, 1, 0, 1, ['squeeze']), { name: 'gate', op: 'sigmoid' },
      { name: 'scale', op: 'mul', inputs: ['relu1', 'gate'] }, ...head(2 * 9 * 9),
    ], 2);
    for (const [y, x] of [[0, 0], [4, 6], [8, 8]])
      expect(receptiveField(se, 'scale', y, x)).toEqual({ y0: 0, y1: 8, x0: 0, x1: 8 });
  });

  it("AlexNet's conv1: 11x11, stride 4, pad 2 on 224x224", () => {
    const m = buildModel('alex1', { channels: 3, height: 224, width: 224 }, [conv('conv1', 3, 1, 11, 4, 2), ...head(55 * 55)], 2);
    // out i reads [4i - 2, 4i + 8]
    expect(receptiveField(m, 'conv1', 0, 0)).toEqual({ y0: 0, y1: 8, x0: 0, x1: 8 });
    expect(receptiveField(m, 'conv1', 10, 20)).toEqual({ y0: 38, y1: 48, x0: 78, x1: 88 });
    expect(receptiveField(m, 'conv1', 54, 54)).toEqual({ y0: 214, y1: 223, x0: 214, x1: 223 });
  });

  it('dilation 2 spans 5 pixels with a 3x3 kernel; two dilated layers span 9', () => {
    const m = buildModel('dil', { channels: 1, height: 20, width: 20 }, [
      conv('c1', 1, 1, 3, 1, 0, 2), conv('c2', 1, 1, 3, 1, 0, 2), ...head(12 * 12),
    ], 2);
    expect(receptiveField(m, 'c1', 3, 4)).toEqual({ y0: 3, y1: 7, x0: 4, x1: 8 });
    expect(receptiveField(m, 'c2', 3, 4)).toEqual({ y0: 3, y1: 11, x0: 4, x1: 12 });
  });

  it('a concat of a 1x1 and a 5x5 branch: the union over paths', () => {
    const m = buildModel('branches', { channels: 1, height: 10, width: 10 }, [
      conv('a', 1, 1, 1, 1, 0, 1, ['input']), conv('b', 1, 1, 5, 1, 2, 1, ['input']),
      { name: 'cat', op: 'concat', inputs: ['a', 'b'] }, conv('mix', 2, 1, 1), ...head(100),
    ], 2);
    expect(receptiveField(m, 'a', 5, 5)).toEqual({ y0: 5, y1: 5, x0: 5, x1: 5 });
    expect(receptiveField(m, 'mix', 5, 5)).toEqual({ y0: 3, y1: 7, x0: 3, x1: 7 });
    expect(receptiveField(m, 'mix', 0, 9)).toEqual({ y0: 0, y1: 2, x0: 7, x1: 9 });
  });

  it('adaptive average pool to 2x2 from 5x5 (overlapping windows) and ceil-mode max pool', () => {
    const m = buildModel('adaptive', { channels: 1, height: 5, width: 5 }, [
      { name: 'avg', op: 'adaptiveavgpool', attrs: { output: [2, 2] } }, ...head(4),
    ], 2);
    // out 0: [0, ceil(5/2)-1=2]; out 1: [floor(5/2)=2, 4]
    expect(receptiveField(m, 'avg', 0, 1)).toEqual({ y0: 0, y1: 2, x0: 2, x1: 4 });
    const c = buildModel('ceil', { channels: 1, height: 5, width: 5 }, [
      { name: 'pool', op: 'maxpool', attrs: { kernel: [2, 2], ceilMode: true } }, ...head(9),
    ], 2);
    // ceil mode: output 2 reads [4, 5] -> clipped to [4, 4]
    expect(receptiveField(c, 'pool', 2, 0)).toEqual({ y0: 4, y1: 4, x0: 0, x1: 1 });
  });

  it('rejects pixels outside the map', () => {
    expect(() => receptiveField(stack, 'conv2', 8, 0)).toThrow(/outside/);
    expect(() => receptiveField(stack, 'nope', 0, 0)).toThrow(/no layer/);
  });
});
