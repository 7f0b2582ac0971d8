// What depends on what on the microscope page: the query reruns when the controls change, the
// layout follows the circuit's scores, the inspector follows the selection and image, ablation
// follows what is removed, and the URL follows the state. Called once while the page is set up.

import { untrack } from 'svelte';
import type { MicroscopeView } from './microscopeView.svelte';

export function followState(view: MicroscopeView, mounted: () => boolean): void {
  const scope = view.scope;

  // the query the controls describe runs whenever they change (a new cut is instant: scores are cached)
  // (it waits for the first layout, so the whole graph is on screen while the circuit is scored)
  let queryTimer: ReturnType<typeof setTimeout> | undefined;
  const laidOut = $derived(view.positions !== null);
  $effect(() => {
    const g = view.graph;
    const q = view.state.query();
    if (!g || !laidOut) return;
    untrack(() => {
      clearTimeout(queryTimer);
      queryTimer = setTimeout(() => {
        const client = view.client;
        if (client) void view.query.run(client, q);
      }, 80);
    });
  });

  // the layout: the grid at once; sorted and Class MDS once the circuit's node scores are there
  const scoresKey = $derived.by(() => {
    const r = view.query.result;
    return r ? `${r.query.target}|${r.query.images}|${r.query.criterion}|${!!r.query.perLayer}` : '';
  });
  $effect(() => {
    const g = view.graph;
    const layout = view.state.layout;
    const key = layout === 'grid' ? '' : scoresKey;
    if (!g) return;
    untrack(() => {
      const importance = view.query.result?.nodeImportance ?? null;
      if (layout !== 'grid' && !key) {
        if (!view.positions) void view.computeLayout('grid', null);
        return;
      }
      void view.computeLayout(layout, importance);
    });
  });

  // the inspector follows the selection and the current image
  $effect(() => {
    const g = view.graph;
    const sel = view.state.selection;
    const image = view.imageRef;
    const client = view.client;
    if (!g || !client || !image) return;
    untrack(() => void view.inspector.inspect(client, g, sel, image));
  });

  // ablation re-runs on every change of what is removed, of the image or of the target
  $effect(() => {
    void view.ablation.removedEdges;
    void view.ablation.removedNodes;
    const image = view.imageRef;
    const target = view.state.target;
    const client = view.client;
    if (!client || !image || !view.graph) return;
    untrack(() => void view.ablation.run(client, image, target));
  });

  // the URL: at once for the state, after a pause for the viewport
  $effect(() => {
    const s = scope.selected;
    if (s !== null && !scope.custom) view.state.image = s;
  });
  $effect(() => {
    if (!mounted() || scope.phase !== 'ready') return;
    view.state.query();
    void [view.state.model, view.state.layout, view.state.selection, view.state.image, view.state.removed];
    untrack(() => view.url.now(view.state.href(location.href)));
  });
  $effect(() => {
    void view.state.view;
    if (!mounted() || scope.phase !== 'ready') return;
    untrack(() => view.url.later(() => view.state.href(location.href)));
  });
}
