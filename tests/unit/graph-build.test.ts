// buildGraph on hand-built models (chain, grouped conv, inception-like concat, residual add,
// linear after flatten) against edge lists written out by hand, plus the shipped
// fashion-small model's counts.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildModel, type LayerSpec } from '../helpers/build-model';
import { parseModel } from '../../src/lib/model/load';
import { buildGraph, edgeWeights } from '../../src/lib/graph/build';
import type { CircuitGraph } from '../../src/lib/graph/types';

const conv = (name: string, cin: number, cout: number, k: number, extra: Partial<LayerSpec> & { groups?: number } = {}): LayerSpec => ({
  name,
  op: 'conv2d',
  inputs: extra.inputs,
  attrs: { kernel: [k, k], padding: [(k - 1) / 2, (k - 1) / 2], groups: extra.groups ?? 1 },
  params: { weight: [cout, cin / (extra.groups ?? 1), k, k], bias: [cout] },
});

/** Edges of one graph layer as "source->target (o,i)" strings, in stored order. */
function edgesOf(g: CircuitGraph, name: string): string[] {
  const l = g.layers.find((x) => x.name === name)!;
  const out: string[] = [];
  for (let e = l.edgeStart; e < l.edgeStart + l.edgeCount; e++) {
    out.push(`${g.edgeSource[e]}->${g.edgeTarget[e]} (${g.edgeOut[e]},${g.edgeIn[e]})`);
  }
  return out;
}
/** A flatten + linear head, since a model's output must be class logits. */
const tail = (features: number): LayerSpec[] => [{ name: 'flatOut', op: 'flatten' }, { name: 'out', op: 'linear', params: { weight: [1, features], bias: [1] } }];
const summary = (g: CircuitGraph) => g.layers.map((l) => `${l.name}:${l.op} d${l.depth} n${l.nodeStart}+${l.nodeCount} e${l.edgeCount}`);

describe('buildGraph', () => {
  it('a chain: conv -> relu -> maxpool -> conv -> flatten -> linear', () => {
    const m = buildModel('chain', { channels: 2, height: 8, width: 8 }, [
      conv('conv1', 2, 3, 3), { name: 'relu1', op: 'relu' },
      { name: 'pool1', op: 'maxpool', attrs: { kernel: [2, 2] } },
      conv('conv2', 3, 2, 3), { name: 'flat', op: 'flatten' },
      { name: 'fc', op: 'linear', params: { weight: [4, 32], bias: [4] } },
    ], 4);
    const g = buildGraph(m);
    expect(summary(g)).toEqual(['input:input d0 n0+2 e0', 'conv1:conv2d d1 n2+3 e6', 'conv2:conv2d d2 n5+2 e6', 'fc:linear d3 n7+4 e8']);
    expect(g.nodeCount).toBe(11);
    expect(g.edgeCount).toBe(20);
    expect(edgesOf(g, 'conv1')).toEqual(['0->2 (0,0)', '1->2 (0,1)', '0->3 (1,0)', '1->3 (1,1)', '0->4 (2,0)', '1->4 (2,1)']);
    expect(edgesOf(g, 'conv2')).toEqual(['2->5 (0,0)', '3->5 (0,1)', '4->5 (0,2)', '2->6 (1,0)', '3->6 (1,1)', '4->6 (1,2)']);
    expect(edgesOf(g, 'fc')).toEqual(['5->7 (0,0)', '6->7 (0,1)', '5->8 (1,0)', '6->8 (1,1)', '5->9 (2,0)', '6->9 (2,1)', '5->10 (3,0)', '6->10 (3,1)']);
    // flatten of [2, 4, 4]: each linear edge covers the 16 weights of one channel
    expect(Array.from(g.layers[3].inputStarts!)).toEqual([0, 16, 32]);
    expect(Array.from(g.nodeChannel)).toEqual([0, 1, 0, 1, 2, 0, 1, 0, 1, 2, 3]);
    expect(Array.from(g.nodeLayer)).toEqual([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3]);
    // fc edge (2, 1) = weight[2, 16..32]; its sign is the sign of that sum
    const e = g.layers[3].edgeStart + 2 * 2 + 1;
    const w = m.layers.find((l) => l.name === 'fc')!.params.weight;
    expect(Array.from(edgeWeights(m, g, e))).toEqual(Array.from(w.slice(2 * 32 + 16, 2 * 32 + 32)));
    let s = 0;
    for (let k = 16; k < 32; k++) s += w[2 * 32 + k];
    expect(g.edgeSign[e]).toBe(Math.sign(s));
    // conv1 edge (1, 0) = weight[1, 0, :, :]
    const w1 = m.layers[0].params.weight;
    expect(Array.from(edgeWeights(m, g, 2))).toEqual(Array.from(w1.slice(18, 27)));
  });

  it('a grouped conv only has edges within a group', () => {
    const m = buildModel('grouped', { channels: 4, height: 5, width: 5 }, [conv('conv', 4, 4, 3, { groups: 2 }), ...tail(100)], 1);
    const g = buildGraph(m);
    expect(edgesOf(g, 'conv')).toEqual([
      '0->4 (0,0)', '1->4 (0,1)', '0->5 (1,0)', '1->5 (1,1)',
      '2->6 (2,0)', '3->6 (2,1)', '2->7 (3,0)', '3->7 (3,1)',
    ]);
  });

  it('an inception-like concat offsets channels into the right branch', () => {
    const m = buildModel('inception', { channels: 1, height: 6, width: 6 }, [
      conv('stem', 1, 2, 3), { name: 'relu', op: 'relu' },
      conv('a', 2, 2, 1, { inputs: ['relu'] }),
      conv('b', 2, 3, 3, { inputs: ['relu'] }),
      { name: 'pool', op: 'maxpool', inputs: ['relu'], attrs: { kernel: [3, 3], stride: [1, 1], padding: [1, 1] } },
      { name: 'cat', op: 'concat', inputs: ['a', 'b', 'pool'] },
      conv('head', 7, 1, 1, { inputs: ['cat'] }), ...tail(36),
    ], 1);
    const g = buildGraph(m);
    // nodes: input 0, stem 1-2, a 3-4, b 5-7, head 8
    expect(summary(g)).toEqual(['input:input d0 n0+1 e0', 'stem:conv2d d1 n1+2 e2', 'a:conv2d d2 n3+2 e4', 'b:conv2d d2 n5+3 e6', 'head:conv2d d3 n8+1 e7', 'out:linear d4 n9+1 e1']);
    expect(edgesOf(g, 'head')).toEqual(['3->8 (0,0)', '4->8 (0,1)', '5->8 (0,2)', '6->8 (0,3)', '7->8 (0,4)', '1->8 (0,5)', '2->8 (0,6)']);
  });

  it('a residual add gets one junction node per channel with identity edges', () => {
    const m = buildModel('residual', { channels: 2, height: 4, width: 4 }, [
      conv('conv1', 2, 2, 3), { name: 'relu1', op: 'relu' },
      conv('conv2', 2, 2, 3), { name: 'sum', op: 'add', inputs: ['conv2', 'relu1'] },
      { name: 'relu2', op: 'relu' }, conv('conv3', 2, 1, 1), ...tail(16),
    ], 1);
    const g = buildGraph(m);
    // nodes: input 0-1, conv1 2-3, conv2 4-5, sum 6-7, conv3 8
    expect(summary(g)).toEqual(['input:input d0 n0+2 e0', 'conv1:conv2d d1 n2+2 e4', 'conv2:conv2d d2 n4+2 e4', 'sum:add d3 n6+2 e4', 'conv3:conv2d d4 n8+1 e2', 'out:linear d5 n9+1 e1']);
    expect(edgesOf(g, 'sum')).toEqual(['4->6 (0,0)', '2->6 (0,1)', '5->7 (1,0)', '3->7 (1,1)']);
    expect(edgesOf(g, 'conv3')).toEqual(['6->8 (0,0)', '7->8 (0,1)']);
    expect(Array.from(g.edgeSign.subarray(g.layers[3].edgeStart, g.layers[3].edgeStart + 4))).toEqual([1, 1, 1, 1]);
  });

  it('linear after adaptive pool, flatten, dropout, and linear after linear', () => {
    const m = buildModel('head', { channels: 3, height: 6, width: 6 }, [
      { name: 'avg', op: 'adaptiveavgpool', attrs: { output: [2, 2] } }, { name: 'flat', op: 'flatten' },
      { name: 'drop', op: 'dropout', attrs: { p: 0.5 } },
      { name: 'fc1', op: 'linear', params: { weight: [2, 12], bias: [2] } }, { name: 'relu', op: 'relu' },
      { name: 'fc2', op: 'linear', params: { weight: [2, 2], bias: [2] } },
    ], 2);
    const g = buildGraph(m);
    expect(edgesOf(g, 'fc1')).toEqual(['0->3 (0,0)', '1->3 (0,1)', '2->3 (0,2)', '0->4 (1,0)', '1->4 (1,1)', '2->4 (1,2)']);
    expect(Array.from(g.layers[1].inputStarts!)).toEqual([0, 4, 8, 12]);
    expect(edgesOf(g, 'fc2')).toEqual(['3->5 (0,0)', '4->5 (0,1)', '3->6 (1,0)', '4->6 (1,1)']);
    expect(Array.from(g.layers[2].inputStarts!)).toEqual([0, 1, 2]);
  });

  it('the shipped fashion-small model', () => {
    const dir = new URL('../../static/weights/fashion-small/', import.meta.url);
    const json = JSON.parse(readFileSync(new URL('model.json', dir), 'utf8'));
    const bin = readFileSync(new URL('weights.bin', dir));
    const m = parseModel(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const g = buildGraph(m);
    expect(g.nodeCount).toBe(1 + 8 + 16 + 32 + 10);
    expect(g.edgeCount).toBe(8 + 16 * 8 + 32 * 16 + 10 * 32);
    expect(g.layers.map((l) => l.depth)).toEqual([0, 1, 2, 3, 4]);
  });
});
