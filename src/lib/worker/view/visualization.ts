// Feature visualization for the microscope view: a graph node or edge (or an objective string)
// becomes a featureviz objective, optionally run inside a circuit's masked network; frames and
// the result go out as RGBA, and finished images are cached (IndexedDB, or memory).

import { visualize } from '../../featureviz/visualize';
import { edgeObjective } from '../../featureviz/objectives';
import { filterObjective } from '../../featureviz/units';
import { VIZ_ALGORITHM, vizSettings } from '../../featureviz/settings';
import { layerMasks } from '../../circuits/saliency';
import { pixelsToRgba } from '../../images/display';
import type { Model } from '../../model/types';
import type { VizFrame, VizRequest, VizResult } from '../protocol';
import type { MicroscopeSession, RunOptions } from './session';
import { defaultVizCache, type VizCache } from './vizCache';

export interface VisualizeRunOptions extends RunOptions {
  onFrame?: (frame: VizFrame) => void;
  /** Steps between frames (default 16). */
  frameEvery?: number;
}

/** FNV-1a over every parameter's bits: tells two sets of weights apart in cache keys. */
export function weightsHash(model: Model): string {
  let h = 2166136261;
  for (const l of model.layers) {
    for (const name of Object.keys(l.params).sort()) {
      const p = l.params[name];
      const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
      for (let k = 0; k < bits.length; k++) h = Math.imul(h ^ bits[k], 16777619) >>> 0;
    }
  }
  return h.toString(16).padStart(8, '0');
}

/** [C, H, W] pixels in [0, 1] as RGBA bytes. */
export function imageToRgba(image: Float32Array, channels: number, height: number, width: number): Uint8ClampedArray {
  const bytes = new Float32Array(channels * height * width);
  for (let k = 0; k < bytes.length; k++) bytes[k] = image[k] * 255;
  return pixelsToRgba(bytes, channels, height, width);
}

export class SessionVisualizer {
  private hash: string | null = null;

  constructor(
    readonly session: MicroscopeSession,
    private readonly cache: VizCache = defaultVizCache(),
  ) {}

  /** The objective string of a request's unit (featureviz objectives.ts syntax). */
  objectiveOf(unit: VizRequest['unit']): string {
    const { graph } = this.session;
    if (unit?.kind === 'objective') {
      if (typeof unit.objective !== 'string' || !unit.objective.trim()) throw new Error('the objective is empty');
      return unit.objective.trim();
    }
    if (unit?.kind === 'node') {
      this.session.checkNode(unit.node);
      const gl = graph.layers[graph.nodeLayer[unit.node]];
      if (gl.kind === 'input') throw new RangeError(`node ${unit.node} is an input channel: there is nothing to visualize but the image`);
      return filterObjective(this.session.model, gl.name, graph.nodeChannel[unit.node]);
    }
    if (unit?.kind === 'edge') {
      this.session.checkEdge(unit.edge);
      const gl = graph.layers[graph.edgeLayer[unit.edge]];
      if (gl.kind === 'junction') throw new RangeError(`edge ${unit.edge} is an add junction, not a kernel: visualize its nodes instead`);
      return edgeObjective(gl.name, graph.edgeOut[unit.edge], graph.edgeIn[unit.edge]);
    }
    throw new TypeError('a visualization unit is {kind: "node", node}, {kind: "edge", edge} or {kind: "objective", objective}');
  }

  /** The key of a finished visualization: optimizer version, model, weights, objective, settings, circuit. */
  private key(objective: string, settings: object, request: VizRequest): string {
    const model = this.session.model;
    this.hash ??= weightsHash(model);
    const c = request.circuit;
    const circuit = c ? [c.target, c.images, c.criterion, c.cut?.kind, c.cut?.value, !!c.perLayer, !!c.linear] : null;
    return JSON.stringify([VIZ_ALGORITHM, model.name, this.hash, objective, settings, circuit]);
  }

  /** Optimizes an image for the request's unit; a finished one comes from the cache. */
  async visualize(request: VizRequest, opts: VisualizeRunOptions = {}): Promise<VizResult> {
    const t0 = performance.now();
    const { engine, model } = this.session;
    const objective = this.objectiveOf(request?.unit);
    const settings = vizSettings(request.settings ?? {});
    const key = this.key(objective, settings, request);
    const hit = await this.cache.get(key);
    if (hit) return { ...hit, ms: 0, cached: true };
    const { channels, height, width } = model.input;
    const masks = request.circuit ? layerMasks(this.session.graph, (await this.session.circuitMask(request.circuit, opts)).kept) : null;
    const result = await visualize(engine, objective, {
      settings,
      circuitMasks: masks,
      signal: opts.signal,
      frameEvery: opts.frameEvery,
      onFrame: (step, steps, value, image) => {
        opts.progress?.('Optimizing the image', step, steps);
        opts.onFrame?.({ step, steps, objective: value, rgba: imageToRgba(image, channels, height, width), width, height });
      },
    });
    const entry = {
      rgba: imageToRgba(result.image, channels, height, width), width, height,
      objective: result.objective, objectiveString: objective, settings: result.settings,
    };
    await this.cache.set(key, entry);
    return { ...entry, rgba: entry.rgba.slice(), ms: performance.now() - t0, cached: false };
  }
}
