// Graphs the export and rendering tests draw: the default built-in model's, and a small
// residual net whose add gives junction edges.

import { buildGraph } from '../../src/lib/graph/build';
import type { ModelGraph } from '../../src/lib/graph/types';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { buildModel } from './build-model';

export function fashionSmallGraph(): ModelGraph {
  return buildGraph(loadBuiltinModel('fashion-small'));
}

/** c1 -> c2, c1 + c2 (a residual add: 2 junctions), flatten, fc. */
export function residualGraph(): ModelGraph {
  return buildGraph(buildModel('res', { channels: 1, height: 6, width: 6 }, [
    { name: 'c1', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [2, 1, 3, 3], bias: [2] } },
    { name: 'c2', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [2, 2, 3, 3], bias: [2] } },
    { name: 'sum', op: 'add', inputs: ['c1', 'c2'] },
    { name: 'flat', op: 'flatten' },
    { name: 'fc', op: 'linear', params: { weight: [3, 72], bias: [3] } },
  ], 3));
}
