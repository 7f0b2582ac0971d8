// How a change of the view state reaches the address bar: a new circuit, layout, model or ablation
// (or a step of the classroom tour) is a step in the browser's history (Back returns to the view before it); the cut's value, the
// selection, the image and (after a pause) the viewport rewrite the current entry instead.

import type { ViewState } from './url';

/** 'push': a new history entry; 'replace': rewrite the current one now; 'viewport': rewrite it after a pause. */
export type AddressWrite = 'push' | 'replace' | 'viewport';

/** The fields whose change is a step in the history (the cut's kind too, not its value). */
const STEP_FIELDS = ['model', 'target', 'images', 'criterion', 'perLayer', 'linear', 'layout', 'removed', 'show', 'tour'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** How to write `next` when the address bar shows `shown`. */
export function addressWrite(shown: ViewState, next: ViewState): AddressWrite {
  if (STEP_FIELDS.some((k) => !same(shown[k], next[k])) || shown.cut.kind !== next.cut.kind) return 'push';
  if (shown.cut.value !== next.cut.value || !same(shown.selection, next.selection) || shown.image !== next.image) return 'replace';
  return same(shown.view, next.view) ? 'replace' : 'viewport';
}
