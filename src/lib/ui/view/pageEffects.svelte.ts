// What depends on what on the microscope page. The view state (the URL) is the source: the
// model, the image, the circuit, the layout, the inspector and ablation follow it, and the
// address bar follows every change of it. Called once while the page is set up.

import { untrack } from 'svelte';
import type { MicroscopeView } from './microscopeView.svelte';

export function followState(view: MicroscopeView, mounted: () => boolean): void {
  const scope = view.scope;

  // a query about one image (image:N): the inspector shows that image (on opening, unless the link names another)
  let opened = false;
  $effect(() => {
    const one = oneImageOf(view.state.images);
    untrack(() => {
      if (one !== null && (opened || view.state.image === null)) view.state.image = one;
      opened = true;
    });
  });

  // the model: whenever the view state names another one (a pick, Back, a link), or another
  // engine precision (the engine is built again, and the circuit follows)
  $effect(() => {
    const model = view.state.model;
    const precision = view.state.precision;
    if (!mounted()) return;
    untrack(() => (model !== view.loadedModel || precision !== view.loadedPrecision) && void view.loadModel(model));
  });

  // the image: the view state's (none: the first sample), once the model's images are there
  $effect(() => {
    const image = view.state.image;
    if (scope.phase !== 'ready') return;
    untrack(() => {
      const want = image ?? scope.sampleOrder[0];
      if (want !== undefined && want !== scope.selected) scope.select(want);
    });
  });

  followCircuit(view);
  followSelection(view);

  // the address bar: at once for the state, after a pause for the viewport
  $effect(() => {
    if (!mounted() || scope.phase !== 'ready') return;
    view.state.snapshot();
    untrack(() => view.url.follow());
  });
}

/** The circuit follows the view state's query; the layout follows the circuit's scores. */
function followCircuit(view: MicroscopeView): void {
  // (a new cut is instant: scores are cached; the query waits for the first layout, so the
  // whole graph is on screen while the circuit is scored)
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
        if (client) void view.query.follow(client, q);
      }, 80);
    });
  });

  // the layout: the grid at once; sorted and Class MDS once the circuit's node scores are there
  const scoresKey = $derived.by(() => {
    const r = view.query.result;
    return r ? `${r.query.target}|${r.query.images}|${r.query.criterion}|${!!r.query.perLayer}|${!!r.query.linear}` : '';
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
}

/** The inspector follows the selection and the current image; ablation what is removed. */
function followSelection(view: MicroscopeView): void {
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
}

/** The image index of an image set that is one image (`image:8`), else null. */
export function oneImageOf(images: string): number | null {
  const m = /^\s*image:\s*(\d+)\s*$/i.exec(images);
  return m ? Number(m[1]) : null;
}
