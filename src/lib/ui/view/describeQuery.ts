// A circuit query in plain words ("loss on all, FORCE, top 10% of kernels"), for notes that say
// which circuit the graph shows, and the criteria's display names the controls use.

import type { Criterion } from '$lib/state/url';
import type { CircuitQuery } from '$lib/worker/protocol';

export const CRITERION_NAMES: Record<Criterion, string> = {
  actgrad: 'activation × gradient',
  'actgrad-mean': 'activation × gradient (mean)',
  snip: 'SNIP (weight × gradient)',
  force: 'FORCE',
  magnitude: 'weight magnitude',
  random: 'random (baseline)',
};

export function describeQuery(q: CircuitQuery): string {
  const cut = q.cut.kind === 'keep' ? `top ${+(q.cut.value * 100).toFixed(1)}% of kernels` : `scores ≥ ${q.cut.value}`;
  const extras = [q.perLayer ? '' : 'ranked globally', q.linear ? 'linear layers pruned too' : ''].filter(Boolean);
  return [`${q.target} on ${q.images}`, CRITERION_NAMES[q.criterion], cut, ...extras].join(', ');
}
