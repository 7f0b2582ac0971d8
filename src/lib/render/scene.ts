// The graph scene: a pixi.js application (WebGPU first, WebGL when WebGPU cannot present) with
// instanced edges and nodes, pan/zoom/pinch, fitting to a set of nodes, hover and click picking,
// the target marked, and labels placed so that none overlap. Renders on demand; data changes
// only rewrite attribute buffers.

import { Container, Graphics, type Application } from 'pixi.js';
// pixi's uniform and buffer syncing without `new Function`, so the site's CSP needs no 'unsafe-eval'
import 'pixi.js/unsafe-eval';
import type { CircuitGraph } from '../graph/types';
import { EdgeLayer, type EdgeDrawing } from './edges';
import { NODE_MAX_PX, NODE_MIN_PX, NODE_RADIUS, NodeLayer } from './nodes';
import { Picker } from './picking';
import { reduce, type Highlight, type Pick, type Removed } from './reducer';
import { NodeThumbnails, thumbnailSide, type ThumbnailSource } from './thumbnails';
import { columnRoom, layerCentres, placeLabels, type LabelBox, type LayerExtent, type PlacedLabel } from './labels';
import { columnObstacles, labelRequests, type LabelScene } from './labelRequests';
import { LabelLayer } from './labelLayer';
import { TargetMarker, type GraphTarget } from './target';
import { NODE_KEPT } from './states';
import { fitView } from './fit';
import { createApp, isSoftware, rasterizerName } from './app';
import { chooseDrawing, pickEdgeDrawing, type DrawingChoice } from './drawingChoice';

export interface View {
  x: number;
  y: number;
  zoom: number;
}

export interface SceneOptions {
  /** 'instanced' (default) or 'graphics': pixi's plain Graphics, the baseline for benchmarks. */
  mode?: 'instanced' | 'graphics';
  /** Try WebGPU first (default) or go straight to WebGL. */
  preference?: 'webgpu' | 'webgl';
  /** Instanced edges, or expanded (faster on software rasterizers); 'auto' (default) picks. */
  edgeDrawing?: EdgeDrawing | 'auto';
  /** Multisampling (default false: edges and nodes smooth their own borders). */
  antialias?: boolean;
  /** Edges outside the circuit: drawn faint ('show'), not at all ('hide'), or 'auto' (default):
   *  hidden on a software rasterizer when there are more than 50,000 edges. */
  fadedEdges?: 'show' | 'hide' | 'auto';
  /** Text for a node's label (shown when zoomed in). */
  nodeLabel?: (node: number) => string;
  onSelect?: (pick: Pick) => void;
  onHover?: (pick: Pick) => void;
  onView?: (view: View) => void;
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

export class GraphScene {
  readonly app: Application;
  readonly canvas: HTMLCanvasElement;
  readonly rendererName: string;
  readonly fallbackReason: string | null;
  /** No GPU under the canvas (a software rasterizer). */
  readonly software: boolean;
  readonly edgeDrawing: EdgeDrawing;
  /** The rasterizer under the canvas, as the adapter names it. */
  readonly rasterizer: string;
  /** The edge drawing of the graph last set, with its reason (null before a graph is set). */
  drawing: DrawingChoice | null = null;
  private world = new Container({ label: 'world' });
  private labelLayer = new LabelLayer();
  private targetMarker = new TargetMarker();
  private target: GraphTarget | null = null;
  private placed: PlacedLabel[] = [];
  private centres: LayerExtent[] = [];
  private room: number[] = [];
  private thumbnails = new NodeThumbnails();
  private edges: EdgeLayer | null = null;
  private nodes: NodeLayer | null = null;
  private baseline: Graphics | null = null;
  private picker: Picker | null = null;
  private graph: CircuitGraph | null = null;
  private positions: Float32Array = new Float32Array(0);
  private ends = new Float32Array(0);
  private style = new Float32Array(0);
  private edgeState = new Float32Array(0);
  private nodeLook = new Float32Array(0);
  private highlight: Highlight = { kept: null, selection: null, hover: null };
  private view: View = { x: 0, y: 0, zoom: 1 };
  private size = { width: 300, height: 200 };
  private frame = 0;
  private pointers = new Map<number, { x: number; y: number }>();
  private dragged = 0;
  private hoverAt: { x: number; y: number } | null = null;
  private listeners: Array<() => void> = [];
  /** Milliseconds the last render call took on the CPU (encoding and submission). */
  lastRenderMs = 0;

  private constructor(app: Application, fallbackReason: string | null, private opts: SceneOptions) {
    this.app = app;
    this.canvas = app.canvas;
    this.rendererName = app.renderer.name;
    this.fallbackReason = fallbackReason;
    this.software = isSoftware(app);
    this.rasterizer = rasterizerName(app);
    this.edgeDrawing = pickEdgeDrawing(opts.edgeDrawing ?? 'auto', this.software);
    // thumbnails over the target's ring (it may reach under the thumbnail left of its node), labels on top
    app.stage.addChild(this.world, this.targetMarker.graphics, this.thumbnails.container, this.labelLayer.container);
    this.listen();
  }

  static async create(container: HTMLElement, opts: SceneOptions = {}): Promise<GraphScene> {
    const { app, fallbackReason } = await createApp(opts.preference ?? 'webgpu', opts.antialias ?? false);
    const scene = new GraphScene(app, fallbackReason, opts);
    app.canvas.style.display = 'block';
    app.canvas.style.touchAction = 'none';
    app.canvas.tabIndex = 0;
    app.canvas.setAttribute('aria-label', 'graph of the network: drag or arrow keys to pan, wheel, pinch or + and - to zoom, 0 to fit, click a node or an edge to select it, Escape to clear');
    container.appendChild(app.canvas);
    scene.resize(container.clientWidth || 300, container.clientHeight || 200);
    return scene;
  }

  // ------------------------------------------------------------------ data

  /** A new graph and layout: builds the instanced meshes once. */
  setGraph(graph: CircuitGraph, positions: Float32Array, importance: Float32Array | null = null): void {
    this.graph = graph;
    this.positions = positions;
    this.ends = new Float32Array(graph.edgeCount * 4);
    this.style = new Float32Array(graph.edgeCount * 2);
    this.edgeState = new Float32Array(graph.edgeCount);
    this.nodeLook = new Float32Array(graph.nodeCount * 2);
    this.fillEnds();
    this.fillStyle(importance);
    reduce(graph, this.highlight, this.edgeState, this.nodeLook);
    this.edges?.destroy();
    this.nodes?.destroy();
    this.baseline?.destroy();
    this.edges = this.nodes = null;
    this.baseline = null;
    this.drawing = chooseDrawing({
      mode: this.opts.mode ?? 'instanced', edgeDrawing: this.opts.edgeDrawing ?? 'auto', fadedEdges: this.opts.fadedEdges ?? 'auto',
      software: this.software, rasterizer: this.rasterizer, edgeCount: graph.edgeCount,
    });
    if (this.opts.mode === 'graphics') {
      this.baseline = new Graphics({ label: 'edges (Graphics baseline)' });
      this.world.addChildAt(this.baseline, 0);
      this.drawBaseline();
    } else {
      this.edges = new EdgeLayer({ ends: this.ends, style: this.style, state: this.edgeState }, this.edgeDrawing);
      this.edges.setLook(1, this.drawing.fadedEdges === 'hidden' ? 0 : 0.07);
      this.world.addChildAt(this.edges.mesh, 0);
    }
    this.nodes = new NodeLayer(positions, this.nodeLook);
    this.world.addChild(this.nodes.mesh);
    this.picker = new Picker(graph, positions);
    this.measureLayers();
    this.fit();
  }

  /** New node positions (another layout): rewrites the endpoint and centre buffers. */
  setPositions(positions: Float32Array): void {
    if (!this.graph || positions.length !== this.positions.length) return;
    this.positions.set(positions);
    this.fillEnds();
    this.edges?.updateEnds();
    this.nodes?.updateCenters();
    this.picker?.setPositions(this.positions);
    if (this.baseline) this.drawBaseline();
    this.measureLayers();
    this.requestRender();
  }

  /** Per edge importance in [0, 1] (null: all equal): rewrites the style buffer. */
  setImportance(importance: Float32Array | null): void {
    if (!this.graph) return;
    this.fillStyle(importance);
    this.edges?.updateStyle();
    if (this.baseline) this.drawBaseline();
    this.requestRender();
  }

  /** The circuit (1 = kept, per edge; null = everything): rewrites the state buffers only. */
  setKept(kept: Uint8Array | null): void {
    this.highlight = { ...this.highlight, kept };
    this.restyle();
  }

  setSelection(selection: Pick): void {
    this.highlight = { ...this.highlight, selection };
    this.restyle();
  }

  /** What ablation removed (drawn distinctly): rewrites the state buffers only. */
  setRemoved(removed: Removed | null): void {
    this.highlight = { ...this.highlight, removed };
    this.restyle();
  }

  /** Feature-visualization thumbnails shown beside nodes when zoomed in (null: none). */
  setThumbnails(source: ThumbnailSource | null): void {
    this.thumbnails.setSource(source);
    this.requestRender();
  }

  private restyle(): void {
    if (!this.graph) return;
    reduce(this.graph, this.highlight, this.edgeState, this.nodeLook);
    this.edges?.updateState();
    this.nodes?.updateLook();
    if (this.baseline) this.drawBaseline();
    this.requestRender();
  }

  private fillEnds(): void {
    const g = this.graph!, p = this.positions, ends = this.ends;
    for (let e = 0; e < g.edgeCount; e++) {
      const s = g.edgeSource[e], t = g.edgeTarget[e];
      ends[4 * e] = p[2 * s];
      ends[4 * e + 1] = p[2 * s + 1];
      ends[4 * e + 2] = p[2 * t];
      ends[4 * e + 3] = p[2 * t + 1];
    }
  }

  private fillStyle(importance: Float32Array | null): void {
    const g = this.graph!;
    for (let e = 0; e < g.edgeCount; e++) {
      this.style[2 * e] = importance ? importance[e] : 0.5;
      this.style[2 * e + 1] = g.edgeSign[e];
    }
  }

  /** The baseline: every edge a Graphics stroke, redrawn from scratch on every change. */
  private drawBaseline(): void {
    const g = this.graph!, gr = this.baseline!, p = this.positions;
    gr.clear();
    for (let e = 0; e < g.edgeCount; e++) {
      const s = g.edgeSource[e], t = g.edgeTarget[e];
      const kept = this.edgeState[e] > 0.5;
      const removed = this.edgeState[e] < -0.5;
      const v = this.style[2 * e];
      const color = removed ? 0x9433bf : g.edgeSign[e] > 0 ? 0xd6402e : g.edgeSign[e] < 0 ? 0x266bd9 : 0x8c949e;
      gr.moveTo(p[2 * s], p[2 * s + 1]).lineTo(p[2 * t], p[2 * t + 1]).stroke({ color, alpha: removed ? 0.9 : kept ? 0.3 + 0.65 * v : 0.07, width: 1, pixelLine: true });
    }
  }

  // ------------------------------------------------------------------ view

  getView(): View {
    return { ...this.view };
  }

  setView(view: View): void {
    if (![view.x, view.y, view.zoom].every(Number.isFinite) || view.zoom <= 0) return;
    this.view = { ...view };
    this.requestRender();
    this.opts.onView?.(this.getView());
  }

  /** Fits the whole graph in the canvas. */
  fit(): void {
    this.fitTo('all');
  }

  /**
   * Frames a set of nodes: 'all', 'kept' (the nodes of the current circuit; all when there is
   * none), or node ids; room is left for the layer names above and below.
   */
  fitTo(which: number[] | 'all' | 'kept'): void {
    const g = this.graph;
    if (!g || !this.positions.length) return;
    const all = which === 'all' || (which === 'kept' && !this.highlight.kept);
    const nodes = all ? range(g.nodeCount) : which === 'kept' ? [...range(g.nodeCount)].filter((n) => this.nodeLook[2 * n] >= NODE_KEPT) : which;
    const view = fitView(this.positions, nodes, this.size.width, this.size.height);
    if (view) this.setView(view);
    else if (which === 'kept') this.fitTo('all');
  }

  /** Zooms by `factor` about the centre of the canvas. */
  zoomBy(factor: number): void {
    if (Number.isFinite(factor) && factor > 0) this.zoomAt(this.size.width / 2, this.size.height / 2, factor);
  }

  resize(width: number, height: number): void {
    this.size = { width: Math.max(1, width), height: Math.max(1, height) };
    this.app.renderer.resize(this.size.width, this.size.height);
    this.requestRender();
  }

  toWorld(sx: number, sy: number): { x: number; y: number } {
    return { x: this.view.x + (sx - this.size.width / 2) / this.view.zoom, y: this.view.y + (sy - this.size.height / 2) / this.view.zoom };
  }

  toScreen(x: number, y: number): { x: number; y: number } {
    return { x: (x - this.view.x) * this.view.zoom + this.size.width / 2, y: (y - this.view.y) * this.view.zoom + this.size.height / 2 };
  }

  // ------------------------------------------------------------------ drawing

  requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Draws one frame now. */
  render(): void {
    const t0 = performance.now();
    const { zoom } = this.view;
    this.world.scale.set(zoom);
    this.world.position.set(this.size.width / 2 - this.view.x * zoom, this.size.height / 2 - this.view.y * zoom);
    this.edges?.setPixelSize(1 / zoom);
    this.nodes?.setPixelSize(1 / zoom);
    this.placeLabels();
    this.placeThumbnails();
    this.app.renderer.render(this.app.stage);
    this.lastRenderMs = performance.now() - t0;
  }

  private measureLayers(): void {
    this.centres = this.graph ? layerCentres(this.graph, this.positions) : [];
    this.room = this.graph ? columnRoom(this.graph, this.positions) : [];
  }

  /** The node's disc radius on screen (px). */
  private radiusPx(): number {
    return Math.min(NODE_MAX_PX, Math.max(NODE_MIN_PX, NODE_RADIUS * this.view.zoom));
  }

  /** Layer names, the target's tag and unit names, placed greedily so that none overlap. */
  private placeLabels(): void {
    const g = this.graph;
    if (!g) return;
    const side = this.thumbnails.hasSource ? thumbnailSide(this.view.zoom) : 0;
    const target = this.target && { ...this.target, text: this.target.text ?? 'target' };
    const labelScene: LabelScene = {
      graph: g, positions: this.positions, zoom: this.view.zoom, width: this.size.width, height: this.size.height, toScreen: (x, y) => this.toScreen(x, y),
      centres: this.centres, room: this.room, radius: this.radiusPx(),
      // above the top node's thumbnail when thumbnails are drawn
      lift: side ? Math.max(10, side / 2 + 4) : 10,
      visibleNodes: this.opts.nodeLabel ? this.visibleNodes(600) : [], nodeLabel: this.opts.nodeLabel,
      nodeState: (n) => this.nodeLook[2 * n], target,
    };
    this.placed = placeLabels(labelRequests(labelScene), this.labelLayer, this.size, 2, columnObstacles(labelScene));
    this.labelLayer.draw(this.placed);
    this.drawTarget();
  }

  private drawTarget(): void {
    const t = this.target, g = this.graph, p = this.positions;
    if (!t || !g) return this.targetMarker.draw(null);
    if (t.kind === 'node' && t.id >= 0 && t.id < g.nodeCount) {
      const s = this.toScreen(p[2 * t.id], p[2 * t.id + 1]);
      return this.targetMarker.draw({ ring: { x: s.x, y: s.y, r: this.radiusPx() * 1.5 + 5 } });
    }
    const c = t.kind === 'layer' ? this.centres[t.id] : undefined;
    if (!c) return this.targetMarker.draw(null);
    const l = g.layers[t.id];
    let x0 = Infinity, x1 = -Infinity;
    for (let n = l.nodeStart; n < l.nodeStart + l.nodeCount; n++) [x0, x1] = [Math.min(x0, p[2 * n]), Math.max(x1, p[2 * n])];
    const a = this.toScreen(x0, c.top), b = this.toScreen(x1, c.bottom);
    const pad = this.radiusPx() + 6;
    this.targetMarker.draw({ frame: { x: a.x - pad, y: a.y - pad, w: b.x - a.x + 2 * pad, h: b.y - a.y + 2 * pad } });
  }

  /** The labels drawn in the last frame: text and box in canvas pixels. */
  labelBoxes(): LabelBox[] {
    return this.placed.map(({ text, x, y, w, h }) => ({ text, x, y, w, h }));
  }

  /** Marks the target: a ring round a node, a frame round a layer (class and loss targets); null: none. */
  setTarget(target: GraphTarget | null): void {
    this.target = target ? { ...target } : null;
    this.requestRender();
  }

  /** Thumbnails left of the visible nodes once they are large enough to read. */
  private placeThumbnails(): void {
    const side = this.graph ? thumbnailSide(this.view.zoom) : 0;
    const p = this.positions;
    this.thumbnails.place(side ? this.visibleNodes(300) : [], (n) => this.toScreen(p[2 * n], p[2 * n + 1]), side, this.radiusPx() + 3);
    this.canvas.dataset.thumbnails = String(this.thumbnails.shown);
  }

  private visibleNodes(limit: number): number[] {
    const out: number[] = [];
    const a = this.toWorld(0, 0), b = this.toWorld(this.size.width, this.size.height);
    for (let n = 0; n < this.graph!.nodeCount && out.length < limit; n++) {
      const x = this.positions[2 * n], y = this.positions[2 * n + 1];
      if (x >= a.x && x <= b.x && y >= a.y && y <= b.y) out.push(n);
    }
    return out;
  }

  // ------------------------------------------------------------------ input

  /** What is under a screen point: the nearest node, else the nearest drawn edge. */
  pickAt(sx: number, sy: number): Pick {
    if (!this.picker || !this.graph) return null;
    const w = this.toWorld(sx, sy);
    const px = 1 / this.view.zoom;
    const radiusPx = Math.min(NODE_MAX_PX, Math.max(NODE_MIN_PX, NODE_RADIUS * this.view.zoom)) + 4;
    const node = this.picker.node(w.x, w.y, radiusPx * px);
    if (node >= 0) return { kind: 'node', id: node };
    const kept = this.highlight.kept;
    const edge = this.picker.edge(w.x, w.y, 4 * px, kept ? (e) => kept[e] === 1 : undefined);
    return edge >= 0 ? { kind: 'edge', id: edge } : null;
  }

  private listen(): void {
    const c = this.canvas;
    const on = <K extends keyof HTMLElementEventMap>(type: K, fn: (ev: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      c.addEventListener(type, fn as EventListener, opts);
      this.listeners.push(() => c.removeEventListener(type, fn as EventListener, opts));
    };
    const local = (ev: { clientX: number; clientY: number }) => {
      const r = c.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    };
    on('pointerdown', (ev) => {
      c.setPointerCapture?.(ev.pointerId);
      this.pointers.set(ev.pointerId, local(ev));
      this.dragged = 0;
    });
    on('pointermove', (ev) => {
      const at = local(ev);
      const before = this.pointers.get(ev.pointerId);
      if (!before) {
        this.scheduleHover(at);
        return;
      }
      if (this.pointers.size === 1) {
        this.dragged += Math.abs(at.x - before.x) + Math.abs(at.y - before.y);
        const z = this.view.zoom;
        this.setView({ x: this.view.x - (at.x - before.x) / z, y: this.view.y - (at.y - before.y) / z, zoom: z });
      } else if (this.pointers.size === 2) {
        const [other] = [...this.pointers.entries()].filter(([id]) => id !== ev.pointerId).map(([, p]) => p);
        const d0 = Math.hypot(before.x - other.x, before.y - other.y);
        const d1 = Math.hypot(at.x - other.x, at.y - other.y);
        this.dragged += 100;
        if (d0 > 0) this.zoomAt((at.x + other.x) / 2, (at.y + other.y) / 2, d1 / d0);
      }
      this.pointers.set(ev.pointerId, at);
    });
    const up = (ev: PointerEvent) => {
      const had = this.pointers.delete(ev.pointerId);
      if (had && this.pointers.size === 0 && this.dragged < 4 && ev.type === 'pointerup') {
        const at = local(ev);
        this.opts.onSelect?.(this.pickAt(at.x, at.y));
      }
    };
    on('pointerup', up);
    on('pointercancel', up);
    on('pointerleave', () => {
      this.hoverAt = null;
      this.opts.onHover?.(null);
    });
    on('keydown', (ev) => this.onKey(ev));
    on('wheel', (ev) => {
      ev.preventDefault();
      const at = local(ev);
      this.zoomAt(at.x, at.y, Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)));
    }, { passive: false });
  }

  /** Arrow keys pan, + and - zoom, 0 fits, Escape clears the selection. */
  private onKey(ev: KeyboardEvent): void {
    const step = 60 / this.view.zoom;
    const { x, y, zoom } = this.view;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => this.setView({ x: x - step, y, zoom }),
      ArrowRight: () => this.setView({ x: x + step, y, zoom }),
      ArrowUp: () => this.setView({ x, y: y - step, zoom }),
      ArrowDown: () => this.setView({ x, y: y + step, zoom }),
      '+': () => this.zoomAt(this.size.width / 2, this.size.height / 2, 1.25),
      '=': () => this.zoomAt(this.size.width / 2, this.size.height / 2, 1.25),
      '-': () => this.zoomAt(this.size.width / 2, this.size.height / 2, 0.8),
      '0': () => this.fit(),
      Escape: () => this.opts.onSelect?.(null),
    };
    const move = moves[ev.key];
    if (!move) return;
    ev.preventDefault();
    move();
  }

  /** Zooms by `factor` keeping the world point under (sx, sy) fixed. */
  zoomAt(sx: number, sy: number, factor: number): void {
    const w = this.toWorld(sx, sy);
    const zoom = Math.min(1e4, Math.max(1e-3, this.view.zoom * factor));
    this.setView({ x: w.x - (sx - this.size.width / 2) / zoom, y: w.y - (sy - this.size.height / 2) / zoom, zoom });
  }

  private hoverFrame = 0;
  private scheduleHover(at: { x: number; y: number }): void {
    this.hoverAt = at;
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      if (!this.hoverAt) return;
      this.titleAt(this.hoverAt);
      const pick = this.pickAt(this.hoverAt.x, this.hoverAt.y);
      const old = this.highlight.hover;
      if (old?.kind !== pick?.kind || old?.id !== pick?.id) {
        this.highlight = { ...this.highlight, hover: pick };
        this.restyle();
        this.opts.onHover?.(pick);
      }
    });
  }

  /** Over a label, the canvas's tooltip gives its whole text (names are elided when room is short). */
  private titleAt(at: { x: number; y: number }): void {
    const hit = this.placed.find((l) => at.x >= l.x && at.x <= l.x + l.w && at.y >= l.y && at.y <= l.y + l.h);
    const title = !hit ? '' : hit.font === 'layer' ? `layer ${hit.full}` : hit.full;
    if (this.canvas.title !== title) this.canvas.title = title;
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    cancelAnimationFrame(this.hoverFrame);
    for (const off of this.listeners) off();
    this.edges?.destroy();
    this.nodes?.destroy();
    this.thumbnails.destroy();
    this.labelLayer.destroy();
    this.targetMarker.destroy();
    this.app.destroy(true, { children: true });
  }
}
