// The microscope page's controller: the model (through Microscope), the view state and its URL,
// the graph and its layout, the circuit query, the inspector, feature visualization and
// ablation, wired so that each change re-runs only what depends on it.

import { Microscope } from '$lib/ui/microscope.svelte';
import { BUILT_IN_MODELS } from '$lib/ui/models';
import { atlasMatchesLive, atlasTile, fetchAtlas, type Atlas } from '$lib/featureviz/atlas';
import { pixelsToRgba } from '$lib/images/display';
import type { CircuitGraph, ImageRef } from '$lib/worker/protocol';
import type { Layout, Selection } from '$lib/state/url';
import { AblationState } from './ablation.svelte';
import { InspectorState } from './inspector.svelte';
import { QueryRunner } from './queryRunner.svelte';
import { ViewStore, UrlWriter } from './viewStore.svelte';
import { Visualizer } from './visualizer.svelte';
import { PreservationCheck } from './preservation.svelte';
import { messageOf, type RunningJob, type ViewClient } from './viewClient';

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

  private layoutJob: RunningJob<Float32Array> | null = null;
  private layoutGeneration = 0;
  private folder = '';

  constructor(private readonly folderUrl: (model: string) => string, private readonly writeUrl: (href: string) => void) {}

  readonly url = new UrlWriter((href) => this.writeUrl(href));

  get client(): ViewClient | null {
    return this.scope.worker;
  }

  /** The image the inspector and ablation use. */
  get imageRef(): ImageRef | null {
    if (this.scope.custom) return { kind: 'custom', pixels: this.scope.custom.input };
    return this.scope.selected === null ? null : { kind: 'set', index: this.scope.selected };
  }

  /** Opens the page: the URL's state, then the model. */
  open(search: string): void {
    this.state.read(search);
    void this.loadModel(this.state.model, this.state.image, true);
  }

  /** Loads a model; `fromUrl`: the link's selection and ablation are kept (else ablation is undone). */
  async loadModel(name: string, image: number | null = null, fromUrl = false): Promise<void> {
    this.state.model = name;
    this.graph = null;
    this.positions = null;
    this.positionsLayout = null;
    this.graphError = null;
    this.atlas = null;
    this.query.reset();
    this.inspector.clear();
    this.viz.clear();
    if (fromUrl) this.ablation.reset();
    else this.ablation.clear();
    void this.preservation.cancel();
    this.folder = this.folderUrl(name);
    await this.scope.load(name, this.folder, image);
    const client = this.client;
    if (this.scope.phase !== 'ready' || !client) return;
    const folder = this.folder;
    if (BUILT_IN_MODELS.find((m) => m.name === name)?.atlas) {
      // thumbnails are a bonus: a missing or broken atlas only means none are shown
      void fetchAtlas(folder).then((a) => folder === this.folder && (this.atlas = a), () => {});
    }
    try {
      const g = await client.graph();
      if (folder !== this.folder) return;
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
      }
      this.graph = g;
    } catch (err) {
      this.graphError = `The graph of the model could not be built: ${messageOf(err)}`;
    }
  }

  /** Runs the query the controls describe. */
  async runQuery(): Promise<void> {
    const client = this.client;
    if (!client || !this.graph) return;
    await this.query.run(client, this.state.query());
  }

  /** Lays the graph out (in the worker); sorted and Class MDS use the circuit's node scores. */
  async computeLayout(layout: Layout, nodeImportance: Float32Array | null): Promise<void> {
    const client = this.client;
    if (!client || !this.graph) return;
    const gen = ++this.layoutGeneration;
    const old = this.layoutJob;
    this.layoutJob = null;
    if (old) await old.cancel().catch(() => false);
    this.layoutRunning = true;
    this.layoutError = null;
    try {
      const job = client.layout(layout, layout === 'grid' ? null : nodeImportance);
      this.layoutJob = job;
      const p = await job.result;
      if (gen !== this.layoutGeneration) return;
      this.positions = p;
      this.positionsLayout = layout;
    } catch (err) {
      if (gen !== this.layoutGeneration) return;
      this.layoutError = `The ${layout} layout failed: ${messageOf(err)}`;
      if (!this.positions && layout !== 'grid') void this.computeLayout('grid', null);
    } finally {
      if (gen === this.layoutGeneration) {
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
    this.url.stop();
    void this.query.cancel();
    void this.viz.cancel();
    this.scope.destroy();
  }
}
