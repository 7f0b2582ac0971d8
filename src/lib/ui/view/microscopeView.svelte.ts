// The microscope page's controller: the model (through Microscope; a built-in one, or the
// visitor's ONNX file through ModelImport), the view state and its URL, the graph and its layout,
// the circuit query, the inspector, feature visualization and ablation. Controls write the view
// state; what is shown follows it (pageEffects.svelte.ts).

import { Microscope, type ModelSource } from '$lib/ui/microscope.svelte';
import { BUILT_IN_MODELS, DEFAULT_MODEL } from '$lib/ui/models';
import { atlasMatchesLive, atlasTile, fetchAtlas, type Atlas } from '$lib/featureviz/atlas';
import { pixelsToRgba } from '$lib/images/display';
import type { CircuitGraph, ImageRef } from '$lib/worker/protocol';
import { parseModelRef, siteModelUrl, type Layout, type Selection, type ViewState } from '$lib/state/url';
import type { Preprocessing } from '$lib/model/onnx/import';
import { getLocalModel } from '$lib/ui/localModels';
import { Latest } from '$lib/ui/latest';
import { AblationState } from './ablation.svelte';
import { InspectorState } from './inspector.svelte';
import { QueryRunner } from './queryRunner.svelte';
import { ViewStore, UrlWriter, withQuery, type WriteAddress } from './viewStore.svelte';
import { Visualizer } from './visualizer.svelte';
import { PreservationCheck } from './preservation.svelte';
import { messageOf, type RunningJob, type ViewClient } from './viewClient';
import { ModelImport, type ModelFileBytes } from './modelImport.svelte';
import { ImageSets } from './imageSets.svelte';

/** A model file with the preprocessing it loads with; `keep`: kept in this browser once it runs (it is not yet). */
interface FileToLoad {
  file: ModelFileBytes;
  prep: Preprocessing;
  keep: boolean;
}

/** An atlas tile as RGBA; `current`: made by the optimizer and defaults the page runs live. */
export interface AtlasThumbnail {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  current: boolean;
}

export class MicroscopeView {
  readonly scope = new Microscope();
  readonly state = new ViewStore();
  readonly query = new QueryRunner();
  readonly inspector = new InspectorState();
  readonly viz = new Visualizer();
  readonly ablation = new AblationState(this.state);
  readonly preservation = new PreservationCheck();
  readonly imports = new ModelImport();
  /** The images circuits are scored on: the model's own, the visitor's, or the demo photos. */
  readonly imageSets: ImageSets = new ImageSets(this);

  graph = $state.raw<CircuitGraph | null>(null);
  positions = $state.raw<Float32Array | null>(null);
  /** Which layout `positions` are, once computed. */
  positionsLayout = $state<Layout | null>(null);
  layoutRunning = $state(false);
  graphError = $state<string | null>(null);
  layoutError = $state<string | null>(null);
  hover = $state.raw<Selection>(null);
  /** Precomputed feature visualizations of the model's units, when its folder ships them. */
  atlas = $state.raw<Atlas | null>(null);
  /** Whether the atlas was made by the optimizer and defaults the page runs live. */
  private readonly atlasCurrent = $derived(this.atlas ? atlasMatchesLive(this.atlas) : false);
  /** The graph's thumbnails: a unit's atlas tile, else its finished live visualization (null: none yet). */
  readonly graphThumbnails = $derived.by(() => {
    const seen = this.viz.visualized;
    return this.atlas || seen.size ? (node: number) => this.thumbnail(node) ?? seen.get(node) ?? null : null;
  });

  /** The model asked of Microscope last (the view state's model follows into it). */
  loadedModel = '';
  /** The engine precision of the model loaded (or loading). */
  loadedPrecision: 'exact' | 'fast' = 'exact';
  private layoutJob: RunningJob<Float32Array> | null = null;
  private readonly layouts = new Latest();
  private readonly loads = new Latest();

  readonly url: UrlWriter;

  constructor(private readonly folderUrl: (model: string) => string, writeUrl: WriteAddress) {
    this.url = new UrlWriter(this.state, writeUrl);
  }

  get client(): ViewClient | null {
    return this.scope.worker;
  }

  /** The image the inspector and ablation use (a custom one once the worker holds it). */
  get imageRef(): ImageRef | null {
    if (this.scope.custom) return this.scope.customKey === null ? null : { kind: 'custom', key: this.scope.customKey };
    return this.scope.selected === null ? null : { kind: 'set', index: this.scope.selected };
  }

  /** Opens the page on the URL's state (the model then loads, pageEffects.svelte.ts). */
  open(search: string): void {
    if (this.state.read(search)) this.url.amend();
  }

  /** Back/Forward (or any change of the address): the view state becomes the URL's. */
  followUrl(search: string): void {
    this.url.stop();
    if (this.state.read(search)) this.url.amend();
  }

  /** Another model: its default selection, image and viewport, nothing removed; the rest stays. */
  pickModel(name: string): void {
    this.state.set({ ...this.state.snapshot(), model: name, selection: null, image: null, removed: { nodes: [], edges: [] } });
    this.state.viewFromUrl = false;
  }

  /** Shows an image of the model's set (a control: the view state changes, the scope follows). */
  showImage(index: number): void {
    this.state.image = index;
    this.scope.select(index);
  }

  /** Moves through the sample grid (arrow keys). */
  moveImage(dx: number, dy: number): void {
    const next = this.scope.neighbour(dx, dy);
    if (next !== null) this.showImage(next);
  }

  /**
   * A model file the visitor dropped or picked: read and checked here (a broken one is refused and
   * the page keeps its model), its preprocessing asked, then picked as `local:<name>` (`onpick`
   * runs then), loaded and kept in this browser.
   */
  async openFile(file: File, onpick?: () => void): Promise<void> {
    const opened = await this.imports.read(file, file.name, 'file');
    if (!opened) return;
    const prep = await this.imports.ask(opened);
    if (!prep) return;
    const name = `local:${opened.name}`;
    onpick?.();
    this.pickModel(name);
    // loadModel marks the model as asked for before the view state's change reaches pageEffects
    await this.loadModel(name, { file: opened, prep, keep: true });
  }

  /**
   * Loads a model (`given`: a file already read, with its preprocessing); the view state's
   * selection and ablation are kept where the model has them.
   */
  async loadModel(name: string, given?: FileToLoad): Promise<void> {
    const ticket = this.loads.begin();
    this.loadedModel = name;
    this.loadedPrecision = this.state.precision;
    this.state.model = name;
    this.graph = null;
    this.positions = null;
    this.positionsLayout = null;
    this.graphError = null;
    this.atlas = null;
    this.query.reset();
    this.inspector.clear();
    this.viz.clear();
    this.ablation.reset();
    void this.preservation.cancel();
    const ref = parseModelRef(name);
    const toLoad = given ?? (ref && ref.kind !== 'builtin' ? await this.fileOf(name, ticket.signal) : null);
    if (!ticket.current) return;
    if (ref && ref.kind !== 'builtin' && !toLoad) return;
    const folder = this.folderUrl(name);
    const source: ModelSource = toLoad
      ? { kind: 'file', file: { name: toLoad.file.name, bytes: toLoad.file.bytes }, prep: toLoad.prep }
      : { kind: 'folder', url: folder };
    // the page says the model is kept from the moment it shows it
    if (toLoad?.keep) this.imports.keeping = toLoad.file.name;
    await this.scope.load(name, source, this.state.image, this.loadedPrecision);
    const client = this.client;
    const loaded = ticket.current && this.scope.phase === 'ready' && client;
    if (toLoad?.keep && this.imports.keeping === toLoad.file.name && !loaded) this.imports.keeping = null;
    if (!loaded) return;
    if (toLoad?.keep) void this.imports.keep(toLoad.file, toLoad.prep);
    this.takeOpenedImage();
    if (!toLoad && BUILT_IN_MODELS.find((m) => m.name === name)?.atlas) {
      // thumbnails are a bonus: a missing or broken atlas only means none are shown
      void fetchAtlas(folder).then((a) => ticket.current && (this.atlas = a), () => {});
    }
    try {
      const g = await client.graph();
      if (!ticket.current) return;
      this.dropMissing(g);
      this.graph = g;
    } catch (err) {
      if (ticket.current) this.graphError = `The graph of the model could not be built: ${messageOf(err)}`;
    }
  }

  /**
   * The file a `local:` or `url:` model is: kept in this browser, or downloaded from this site
   * (its preprocessing asked unless it was kept before). Null when it cannot be had: a warning
   * says why, and the default model follows.
   */
  private async fileOf(name: string, signal: AbortSignal): Promise<FileToLoad | null> {
    const ref = parseModelRef(name);
    try {
      if (ref?.kind === 'local') {
        const kept = await getLocalModel(ref.name);
        if (signal.aborted) return null;
        if (!kept) return this.fallBack(`model "${name}" is stored only in the browser it was opened in, and this browser has none of that name`);
        this.scope.preparing(name, { phase: 'Reading the stored model', done: 0, total: 0 });
        const bytes = await kept.file.arrayBuffer();
        return { file: { name: kept.name, fileName: kept.fileName, file: kept.file, bytes, source: kept.source }, prep: kept.prep, keep: false };
      }
      if (ref?.kind !== 'url') return null;
      const url = siteModelUrl(ref.path, location.href);
      if (!url) return this.fallBack(`model "${name}" is not a file on this site`);
      this.scope.preparing(name, { phase: 'Downloading', done: 0, total: 0 });
      const file = await this.imports.download(url, (p) => this.scope.preparing(name, p), signal);
      const opened = await this.imports.read(file, ref.path.split('/').pop() ?? ref.path, name);
      if (signal.aborted) return null;
      if (!opened) {
        // said once, in the link's warnings
        const why = this.imports.error?.message ?? 'it is not an ONNX model';
        this.imports.error = null;
        return this.fallBack(`model "${name}" could not be opened: ${why}`);
      }
      const prep = opened.stored ?? (await this.imports.ask(opened));
      if (signal.aborted) return null;
      return prep ? { file: opened, prep, keep: true } : this.fallBack(`model "${name}" was not opened (the import was cancelled)`);
    } catch (err) {
      return signal.aborted ? null : this.fallBack(`model "${name}" could not be opened: ${messageOf(err)}`);
    }
  }

  /** A model that cannot be opened: the warning says why, and the default model loads in its place (the link is corrected, not a new step). */
  private fallBack(warning: string): null {
    this.state.warnings = [...this.state.warnings, `${warning}; showing ${DEFAULT_MODEL}`];
    this.url.amend();
    this.state.model = DEFAULT_MODEL;
    return null;
  }

  /** The image the model opened on becomes the view state's; a linked image its set lacks is named in a warning. */
  private takeOpenedImage(): void {
    const asked = this.state.image;
    const count = this.scope.images?.count ?? 0;
    if (asked !== null && asked >= count) {
      const shown = this.scope.selected === null ? 'no image of the set is shown' : `showing image ${this.scope.selected}`;
      this.state.warnings = [...this.state.warnings, `image ${asked} is not in this model's image set (it has ${count || 'none'}); ${shown}`];
      if (this.scope.selected === null) this.state.image = null;
    }
    if (!this.scope.custom && this.scope.selected !== null) this.state.image = this.scope.selected;
  }

  /** A selection or removed parts the model does not have are dropped, with a warning. */
  private dropMissing(g: CircuitGraph): void {
    const s = this.state.selection;
    if (s && s.id >= (s.kind === 'node' ? g.nodeCount : g.edgeCount)) {
      this.state.warnings = [...this.state.warnings, `the selected ${s.kind} ${s.id} is not in this model (it has ${s.kind === 'node' ? g.nodeCount : g.edgeCount}); nothing is selected`];
      this.state.selection = null;
    }
    const { nodes, edges } = this.state.removed;
    const outside = [...nodes.filter((n) => n >= g.nodeCount).map((n) => `node ${n}`), ...edges.filter((e) => e >= g.edgeCount).map((e) => `edge ${e}`)];
    if (outside.length) {
      this.state.warnings = [...this.state.warnings, `the removed ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} ${outside.length === 1 ? 'is' : 'are'} not in this model (${g.nodeCount} nodes, ${g.edgeCount} edges); they are not removed`];
      this.state.removed = { nodes: nodes.filter((n) => n < g.nodeCount), edges: edges.filter((e) => e < g.edgeCount) };
      this.url.amend();
    }
  }

  /** Runs the query the view state describes (Enter, Run): again, even if it is drawn. */
  async runQuery(): Promise<void> {
    const client = this.client;
    if (!client || !this.graph) return;
    await this.query.run(client, this.state.query());
  }

  /**
   * The visitor's Cancel: the query stops and the view state returns to the circuit drawn (in
   * the current history entry, so Back does not lead to the cancelled query).
   */
  async cancelQuery(): Promise<void> {
    const drawn = await this.query.cancel();
    if (!drawn || this.query.shows(this.state.query())) return;
    this.url.amend();
    this.state.setQuery(drawn);
  }

  /** Starts the cancelled query again (it becomes the view state's query). */
  rerunCancelled(): void {
    const q = this.query.cancelledQuery;
    if (!q) return;
    this.state.setQuery(q);
    void this.runQuery();
  }

  /** Whether the graph shows another circuit than the view state's query (running, failed, or none yet). */
  get drawnIsStale(): boolean {
    return this.query.result !== null && !this.query.draws(this.state.query());
  }

  /** The view state with the query of the circuit drawn (for exports, which describe what is drawn). */
  drawnState(): ViewState {
    const drawn = this.query.result?.query;
    return drawn ? withQuery(this.state.snapshot(), drawn) : this.state.snapshot();
  }

  /** Lays the graph out (in the worker); sorted and Class MDS use the circuit's node scores. */
  async computeLayout(layout: Layout, nodeImportance: Float32Array | null): Promise<void> {
    const client = this.client;
    if (!client || !this.graph) return;
    const ticket = this.layouts.begin();
    const old = this.layoutJob;
    this.layoutJob = null;
    if (old) await old.cancel().catch(() => false);
    this.layoutRunning = true;
    this.layoutError = null;
    try {
      const job = client.layout(layout, layout === 'grid' ? null : nodeImportance);
      this.layoutJob = job;
      const p = await job.result;
      if (!ticket.current) return;
      this.positions = p;
      this.positionsLayout = layout;
    } catch (err) {
      if (!ticket.current) return;
      this.layoutError = `The ${layout} layout failed: ${messageOf(err)}`;
      if (!this.positions && layout !== 'grid') void this.computeLayout('grid', null);
    } finally {
      if (ticket.current) {
        this.layoutRunning = false;
        this.layoutJob = null;
      }
    }
  }

  select(pick: Selection): void {
    this.state.selection = pick;
  }

  /** A node's atlas thumbnail as RGBA, or null. */
  thumbnail(node: number): AtlasThumbnail | null {
    const a = this.atlas;
    const tile = a ? atlasTile(a, node) : null;
    if (!a || !tile) return null;
    return { rgba: pixelsToRgba(tile, a.tile.channels, a.tile.height, a.tile.width), width: a.tile.width, height: a.tile.height, current: this.atlasCurrent };
  }

  /** Output units are named by their class; others by layer and channel. */
  nodeLabel = (n: number): string => {
    const g = this.graph;
    if (!g) return String(n);
    const layer = g.layers[g.nodeLayer[n]];
    const c = g.nodeChannel[n];
    const model = this.scope.model;
    if (model && layer.name === model.output && model.classes[c]) return model.classes[c];
    return `${layer.name}:${c}`;
  };

  edgeLabel = (e: number): string => {
    const g = this.graph;
    if (!g) return String(e);
    return `${this.nodeLabel(g.edgeSource[e])} → ${this.nodeLabel(g.edgeTarget[e])}`;
  };

  destroy(): void {
    this.imports.destroy();
    this.imageSets.destroy();
    this.url.stop();
    this.loads.cancel();
    this.layouts.cancel();
    void this.query.cancel();
    void this.viz.cancel();
    this.scope.destroy();
  }
}
