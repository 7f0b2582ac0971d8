// Node and edge inspection on one image: a filter's map after its nonlinearity, its incoming
// kernels, and an edge's input map, pre-sum contribution and output map, computed on the CPU
// from read-back activations. One forward pass per image, shared by classifying, inspecting and
// ablating it; only the nodes asked for are read back, kept until the image changes.

import type { Engine } from '../../engine/engine';
import { nodeShape } from '../../model/types';
import { edgeWeights } from '../../graph/build';
import type { CircuitGraph, ModelGraph } from '../../graph/types';
import { incomingEdges, mapTensorOf } from '../../graph/walks';
import type { EdgeInspection, KernelData, MapData, NodeInspection } from '../protocol';
import { channelPlane, edgePreSum, kernelData, mapData, runDot } from './maps';
import type { NormalizedImage } from './imageRef';

export function checkNode(graph: CircuitGraph, node: number): void {
  if (!Number.isInteger(node) || node < 0 || node >= graph.nodeCount) throw new RangeError(`node ${node} does not exist (the graph has ${graph.nodeCount} nodes)`);
}

export function checkEdge(graph: CircuitGraph, edge: number): void {
  if (!Number.isInteger(edge) || edge < 0 || edge >= graph.edgeCount) throw new RangeError(`edge ${edge} does not exist (the graph has ${graph.edgeCount} edges)`);
}

interface CurrentImage extends NormalizedImage {
  maps: Map<string, Float32Array>;
  /** Time of its forward pass on the GPU, readback of the logits included, ms. */
  forwardMs: number;
  /** The engine's forward pass that holds this image's activations (a later pass replaces them). */
  generation: number;
}

export class Inspector {
  private current: CurrentImage | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly graph: ModelGraph,
  ) {}

  /**
   * One image's activations at the given nodes (model node names, the input included), read back
   * once each. The image's forward pass runs once, and again only if another pass (a circuit
   * query, an ablation) has replaced its activations on the GPU since. Runs the network unmasked
   * (ablation restores it before returning).
   */
  async activations(img: NormalizedImage, nodes: string[]): Promise<Map<string, Float32Array>> {
    const cur = await this.currentImage(img);
    const missing = [...new Set(nodes)].filter((n) => !cur.maps.has(n));
    if (missing.length) {
      for (const n of missing) nodeShape(this.engine.model, n); // throws for an unknown node
      if (this.engine.forwardGeneration !== cur.generation) this.runForward(cur);
      const read = await Promise.all(missing.map((n) => this.engine.read(n)));
      missing.forEach((n, i) => cur.maps.set(n, read[i]));
    }
    return new Map(nodes.map((n) => [n, cur.maps.get(n)!]));
  }

  /** One image's class logits, and the time its forward pass took (ms). */
  async logits(img: NormalizedImage): Promise<{ logits: Float32Array; forwardMs: number }> {
    const cur = await this.currentImage(img);
    return { logits: cur.maps.get(this.engine.model.output)!, forwardMs: cur.forwardMs };
  }

  /** The image's entry, with its logits: a new image runs the network once. */
  private async currentImage(img: NormalizedImage): Promise<CurrentImage> {
    if (this.current?.key === img.key) return this.current;
    this.current = null;
    const model = this.engine.model;
    const t = performance.now();
    const cur: CurrentImage = { ...img, maps: new Map([[model.input.name, img.pixels]]), forwardMs: 0, generation: -1 };
    this.runForward(cur);
    cur.maps.set(model.output, await this.engine.read(model.output));
    cur.forwardMs = performance.now() - t;
    this.current = cur;
    return cur;
  }

  private runForward(cur: CurrentImage): void {
    this.engine.forward(cur.pixels, 1);
    cur.generation = this.engine.forwardGeneration;
  }

  /** The model node whose output shows a graph node (after its nonlinearity), and its channel. */
  nodeMapSource(node: number): { name: string; channel: number } {
    const gl = this.graph.layers[this.graph.nodeLayer[node]];
    const channel = this.graph.nodeChannel[node];
    const k = this.graph.kernelLayerOf[this.graph.nodeLayer[node]];
    return { name: gl.kind === 'input' ? this.engine.model.input.name : k ? k.mapNode : gl.name, channel };
  }

  private nodeLabel(node: number): string {
    const gl = this.graph.layers[this.graph.nodeLayer[node]];
    const c = this.graph.nodeChannel[node];
    if (gl.modelLayer >= 0 && this.engine.model.layers[gl.modelLayer].name === this.engine.model.output) return this.engine.model.classes[c] ?? `${gl.name}:${c}`;
    return `${gl.name}:${c}`;
  }

  private planeOf(values: Map<string, Float32Array>, name: string, channel: number): MapData {
    const p = channelPlane(values.get(name)!, nodeShape(this.engine.model, name), channel);
    return mapData(p.data, p.height, p.width, name);
  }

  /** The weights of a graph edge shaped for display. */
  kernelOf(edge: number): KernelData {
    const s = this.graph.kernelLayerOf[this.graph.edgeLayer[edge]];
    const w = edgeWeights(this.engine.model, this.graph, edge);
    if (!s) return kernelData(w, 1, 1);
    if (!s.wholeChannels) return kernelData(w, s.geometry.kernel[0], s.geometry.kernel[1]);
    return w.length === s.taps ? kernelData(w, s.inMap[1], s.inMap[2]) : kernelData(w, 1, w.length);
  }

  async inspectNode(node: number, image: NormalizedImage): Promise<NodeInspection> {
    checkNode(this.graph, node);
    const src = this.nodeMapSource(node);
    const values = await this.activations(image, [src.name]);
    const map = this.planeOf(values, src.name, src.channel);
    let sum = 0;
    for (const v of map.data) sum += v;
    const incoming = [...incomingEdges(this.graph, node)].map((e) => ({ edge: e, source: this.graph.edgeSource[e], kernel: this.kernelOf(e) }));
    return {
      node,
      layer: this.graph.layers[this.graph.nodeLayer[node]].name,
      channel: this.graph.nodeChannel[node],
      label: this.nodeLabel(node),
      map,
      mean: map.data.length ? sum / map.data.length : 0,
      incoming,
    };
  }

  /** An edge on one image: the map its kernel reads, its pre-sum contribution, the target's map. */
  async inspectEdge(edge: number, image: NormalizedImage): Promise<EdgeInspection> {
    checkEdge(this.graph, edge);
    const { graph } = this;
    const model = this.engine.model;
    const gl = graph.layers[graph.edgeLayer[edge]];
    const layer = model.layers[gl.modelLayer];
    const o = graph.edgeOut[edge];
    const i = graph.edgeIn[edge];
    const target = graph.edgeTarget[edge];
    const out = this.nodeMapSource(target);
    const kernel = this.kernelOf(edge);
    const s = graph.kernelLayerOf[graph.edgeLayer[edge]];
    let input: MapData;
    let preSum: MapData;
    if (s && !s.wholeChannels) {
      const inName = layer.inputs[0];
      const channel = Math.floor(o / (s.rows / s.groups)) * s.cols + i;
      const values = await this.activations(image, [inName, out.name]);
      input = this.planeOf(values, inName, channel);
      const data = edgePreSum(input.data, input.height, input.width, kernel.weights, s.geometry, s.outMap[1], s.outMap[2]);
      preSum = mapData(data, s.outMap[1], s.outMap[2], layer.name);
      return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
    }
    if (s) {
      const inName = layer.inputs[0];
      const values = await this.activations(image, [inName, out.name]);
      const a = gl.inputStarts![i];
      const b = gl.inputStarts![i + 1];
      const run = values.get(inName)!.slice(a, b);
      const shaped = run.length === s.taps ? [s.inMap[1], s.inMap[2]] : [1, run.length];
      input = mapData(run, shaped[0], shaped[1], run.length === s.taps ? mapTensorOf(graph, graph.edgeFrom[edge]) : inName);
      preSum = mapData(new Float32Array([runDot(kernel.weights, run)]), 1, 1, layer.name);
      return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
    }
    // A junction (add, or a mul such as a channel scale): each input enters it as it is.
    const addend = layer.inputs[i];
    const values = await this.activations(image, [addend, out.name]);
    input = this.planeOf(values, addend, o);
    preSum = mapData(input.data.slice(), input.height, input.width, layer.name);
    return { edge, source: graph.edgeSource[edge], target, kernel, input, preSum, output: this.planeOf(values, out.name, out.channel) };
  }
}
