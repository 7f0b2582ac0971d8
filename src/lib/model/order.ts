// Orders a model's layers so every input comes before its consumers, without recursion (a
// chain of 100,000 layers is fine) and in the order a depth-first walk over the file's list
// gives (graph ids follow it, so links stay valid); reports a cycle with the layers on it.

import { ModelFormatError } from './types';
import { bounded, named } from './limits';

export interface Ordered {
  name: string;
  inputs: string[];
}

/** Layers in dependency order; `source` is the model input's name (no layer). */
export function topoSort<L extends Ordered>(layers: L[], source: string): L[] {
  const byName = new Map<string, L>();
  for (const l of layers) byName.set(l.name, l);
  for (const l of layers)
    for (const i of l.inputs)
      if (i !== source && !byName.has(i))
        throw new ModelFormatError(bounded(`layer ${named(l.name)}: input ${named(i)} names no layer (nor the model input ${named(source)})`));
  const order: L[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // the walk's path: each layer with the index of its next input to visit
  const path: L[] = [];
  const next: number[] = [];
  for (const root of layers) {
    if (state.has(root.name)) continue;
    state.set(root.name, 'visiting');
    path.push(root);
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const l = path[top];
      if (next[top] === l.inputs.length) {
        state.set(l.name, 'done');
        order.push(l);
        path.pop();
        next.pop();
        continue;
      }
      const input = l.inputs[next[top]++];
      if (input === source) continue;
      const s = state.get(input);
      if (s === 'done') continue;
      if (s === 'visiting') throw cycleError(path.slice(path.findIndex((p) => p.name === input)));
      state.set(input, 'visiting');
      path.push(byName.get(input)!);
      next.push(0);
    }
  }
  return order;
}

/** "the layers form a cycle: a -> b -> a", or its first and last layers when it is long. */
function cycleError(cycle: Ordered[]): ModelFormatError {
  const n = cycle.length;
  const shown = n <= 4 ? cycle.map((l) => named(l.name)) : [named(cycle[0].name), named(cycle[1].name), `… (${n} layers) …`, named(cycle[n - 1].name)];
  return new ModelFormatError(bounded(`the layers form a cycle: ${[...shown, named(cycle[0].name)].join(' -> ')}`));
}
