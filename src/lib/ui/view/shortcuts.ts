// The microscope's keyboard shortcuts (listed by ShortcutsHelp): Esc cancels or clears, / goes to
// the target, ? opens the list, Enter runs the query, [ and ] change the cut, C and I show or
// hide the controls and inspector panels, arrows move through the images, d opens or closes the circuit
// diagram; in the classroom tour, n / PageDown and p / PageUp step and Esc leaves it. Keys typed into a
// field or dialog are left to it.

import type { Cut } from '$lib/state/url';
import type { MicroscopeView } from './microscopeView.svelte';
import { tourKey } from './tour';

export interface ShortcutActions {
  focusTarget(): void;
  openHelp(): void;
  /** Shows or hides a side panel: left the controls, right the images and inspector. */
  togglePanel(side: 'left' | 'right'): void;
}

function inField(t: EventTarget | null): boolean {
  return !!(t as HTMLElement | null)?.closest?.('input, select, textarea, [contenteditable], dialog');
}

/** A cut one step looser (`up`) or tighter: keep fractions by 25%, thresholds by 0.02. */
export function stepCut(cut: Cut, up: boolean): Cut {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return cut.kind === 'keep'
    ? { kind: 'keep', value: round(Math.min(1, Math.max(0.001, cut.value * (up ? 1.25 : 0.8)))) }
    : { kind: 'threshold', value: round(Math.min(1, Math.max(0, cut.value + (up ? -0.02 : 0.02)))) };
}

export function handleShortcut(e: KeyboardEvent, view: MicroscopeView, actions: ShortcutActions): void {
  const scope = view.scope;
  if (e.altKey || e.ctrlKey || e.metaKey || scope.phase !== 'ready') return;
  const t = e.target as HTMLElement | null;
  if (e.key === 'Escape') {
    if (inField(t) && t?.closest('dialog')) return;
    if (tourKey(view.state, e.key)) return;
    if (view.query.running) void view.cancelQuery();
    else if (view.viz.running) void view.viz.cancel();
    else view.select(null);
    return;
  }
  if (inField(t)) return;
  if (tourKey(view.state, e.key)) {
    e.preventDefault();
    return;
  }
  switch (e.key) {
    case '/':
      e.preventDefault();
      actions.focusTarget();
      return;
    case '?':
      e.preventDefault();
      actions.openHelp();
      return;
    case 'Enter':
      if (t?.closest('button, a')) return;
      e.preventDefault();
      void view.runQuery();
      return;
    case 'd':
    case 'D':
      e.preventDefault();
      view.state.show = view.state.show === 'diagram' ? null : 'diagram';
      return;
    case 'c':
    case 'C':
    case 'i':
    case 'I':
      e.preventDefault();
      actions.togglePanel(e.key.toLowerCase() === 'c' ? 'left' : 'right');
      return;
    case '[':
    case ']':
      e.preventDefault();
      view.state.cut = stepCut(view.state.cut, e.key === ']');
      return;
  }
  const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const move = moves[e.key];
  // on the graph or a map the arrows pan or move the pixel; elsewhere they move through the images
  if (move && !t?.closest('canvas, [role="application"]')) {
    e.preventDefault();
    const hadFocus = !!t?.closest('.thumb');
    view.moveImage(...move);
    if (hadFocus) queueMicrotask(() => document.querySelector<HTMLElement>(`.thumb[data-image="${scope.selected}"]`)?.focus());
  }
}
