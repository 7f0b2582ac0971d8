// Relevance and the effective mask on hand-built graphs: a dead-end kernel is dropped,
// a kernel fed by an unreachable channel is dropped, both paths of a branch are kept.

import { describe, it, expect } from 'vitest';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';
import { channelId } from '../../src/lib/graph/walks';
import { relevantEdges, effectiveMask } from '../../src/lib/circuits/relevance';
import type { Target } from '../../src/lib/engine/targets';

const conv1x1 = (name: string, cin: number, cout: number, inputs?: string[]) => ({
  name, op: 'conv2d', inputs, attrs: { kernel: [1, 1] }, params: { weight: [cout, cin, 1, 1] },
});

/** input(1) -> a(2) -> b(2) -> c(1): edges a:(0<-0),(1<-0); b: 4; c: 2. */
function chain() {
  return buildModel('chain', { channels: 1, height: 2, width: 2 }, [
    conv1x1('a', 1, 2), { name: 'ra', op: 'relu' }, conv1x1('b', 2, 2), { name: 'rb', op: 'relu' },
    conv1x1('c', 2, 1), { name: 'f', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, 4] } },
  ], 2);
}

const set = (n: number, ones: number[]) => Uint8Array.from({ length: n }, (_, e) => (ones.includes(e) ? 1 : 0));

describe('relevance and effective mask', () => {
  it('relevant edges of a feature target: everything upstream, only the target row in its layer', () => {
    const m = chain();
    const g = buildGraph(m);
    // global edges: a 0..1, b 2..5 (b: o0<-j0, o0<-j1, o1<-j0, o1<-j1), c 6..7, fc 8..9 (2 outputs x 1 channel)
    expect(g.edgeCount).toBe(10);
    const t: Target = { kind: 'featureMean', layer: 'b', channel: 1 };
    expect(Array.from(relevantEdges(m, g, t))).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('drops a dead-end kernel and a kernel whose input cannot be reached', () => {
    const m = chain();
    const g = buildGraph(m);
    const t: Target = { kind: 'featureMean', layer: 'c', channel: 0 };
    // Kept: a(0<-0); b(0<-0) on a path; b(1<-1) fed by a's channel 1, which has no kept kernel;
    // c(0<-0) on the path; c(0<-1) reads b channel 1, whose only kernel is unreachable.
    const kept = set(10, [0, 2, 5, 6, 7]);
    expect(Array.from(effectiveMask(m, g, t, kept))).toEqual(Array.from(set(10, [0, 2, 6])));
    // A kernel that reaches nothing downstream: a(1<-0) with no kept kernel out of a's channel 1.
    const kept2 = set(10, [0, 1, 2, 6]);
    expect(Array.from(effectiveMask(m, g, t, kept2))).toEqual(Array.from(set(10, [0, 2, 6])));
  });

  it('keeps both paths of a branch joined by concat, and both addends of a residual add', () => {
    const m = buildModel('branch', { channels: 1, height: 2, width: 2 }, [
      conv1x1('stem', 1, 1),
      conv1x1('left', 1, 1, ['stem']),
      conv1x1('right', 1, 1, ['stem']),
      { name: 'cat', op: 'concat', inputs: ['left', 'right'] },
      conv1x1('mix', 2, 1, ['cat']),
      { name: 'res', op: 'add', inputs: ['mix', 'stem'] },
      { name: 'f', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, 4] } },
    ], 2);
    const g = buildGraph(m);
    // edges: stem 0, left 1, right 2, mix 3 (<-left) 4 (<-right), res junction 5 (<-mix) 6 (<-stem), fc 7, 8
    expect(Array.from(g.edgeIsKernel)).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1]);
    const t: Target = { kind: 'featureMean', layer: 'res', channel: 0 };
    // Junction edges are not kernels: never relevant, never kept by the mask.
    expect(Array.from(relevantEdges(m, g, t))).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const all = set(9, [0, 1, 2, 3, 4]);
    expect(Array.from(effectiveMask(m, g, t, all))).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0]);
    // Without the stem nothing is reachable: everything collapses.
    expect(Array.from(effectiveMask(m, g, t, set(9, [1, 2, 3, 4])))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // The skip path alone (stem only) survives through the add.
    expect(Array.from(effectiveMask(m, g, t, set(9, [0])))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // One branch dropped: the other still reaches the target.
    expect(Array.from(effectiveMask(m, g, t, set(9, [0, 1, 3])))).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('grouped convolutions only have edges within a group', () => {
    const m = buildModel('groups', { channels: 4, height: 2, width: 2 }, [
      { name: 'g', op: 'conv2d', attrs: { kernel: [1, 1], groups: 2 }, params: { weight: [2, 2, 1, 1] } },
      { name: 'f', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, 8] } },
    ], 2);
    const g = buildGraph(m);
    const t: Target = { kind: 'featureMean', layer: 'g', channel: 1 };
    // Output 1 is in group 1: it reads input channels 2 and 3 only.
    expect(Array.from(relevantEdges(m, g, t)).slice(0, 4)).toEqual([0, 0, 1, 1]);
    expect(g.edgeFrom[2]).toBe(channelId(g, 'input', 2));
    expect(g.edgeFrom[3]).toBe(channelId(g, 'input', 3));
  });
});
