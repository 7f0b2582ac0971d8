// Ablation: a kernel mask (1 = keep) from graph edges and nodes the visitor removes; a removed
// node removes every kernel into it. Junction edges and input channels are not kernels.

import type { ModelGraph } from '../graph/types';
import { incomingEdges } from '../graph/walks';

/** Throws a RangeError naming what cannot be removed (an unknown id, a junction, an input channel). */
export function removalMask(g: ModelGraph, removedEdges: number[], removedNodes: number[]): Float32Array {
  const mask = new Float32Array(g.edgeCount).fill(1);
  for (const e of removedEdges) {
    if (!Number.isInteger(e) || e < 0 || e >= g.edgeCount) throw new RangeError(`edge ${e} does not exist (the graph has ${g.edgeCount} edges)`);
    if (!g.edgeIsKernel[e]) throw new RangeError(`edge ${e} is an add junction, not a kernel: it cannot be removed`);
    mask[e] = 0;
  }
  for (const n of removedNodes) {
    if (!Number.isInteger(n) || n < 0 || n >= g.nodeCount) throw new RangeError(`node ${n} does not exist (the graph has ${g.nodeCount} nodes)`);
    const layer = g.layers[g.nodeLayer[n]];
    if (layer.kind !== 'kernels') throw new RangeError(`node ${n} (${layer.name}:${g.nodeChannel[n]}) has no kernels into it to remove`);
    for (const e of incomingEdges(g, n)) mask[e] = 0;
  }
  return mask;
}
