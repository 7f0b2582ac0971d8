// Feature visualization (Olah et al. 2017) on the visitor's GPU: optimizes a batch of images
// so an objective (a node, an edge, a class, a direction, sums and products of them, with
// diversity) is as large as possible, with transformation robustness, optionally inside a
// circuit (masked network). Also the objective's value on given images (the feed-back check).

import type { Engine } from '../engine/engine';
import { vizSettings, type VizSettings } from './settings';
import { describeObjective, hasDiversity, ObjectiveSyntaxError, parseObjective, type Objective } from './objectives';
import { imageStreamSeeds } from './streams';
import { compileObjectives } from './terms';
import { warmupObjective } from './warmup';
import { ObjectiveEvaluator, VizRunner } from './runner';

export interface VisualizeOptions {
  settings?: Partial<VizSettings>;
  /** Edge masks of a circuit (as circuits/saliency.ts layerMasks returns): the run sees only the circuit. */
  circuitMasks?: Map<string, { mask: Float32Array; taps: number }> | null;
  /** Called every `frameEvery` steps (default 16) and at the end with the current image in pixel space [0,1], C x H x W. */
  onFrame?: (step: number, steps: number, objective: number, image: Float32Array) => void;
  frameEvery?: number;
  signal?: AbortSignal;
  /** Visualizations optimized together in one batch (diversity needs > 1); default 1. */
  batch?: number;
}

export interface Visualization {
  /** [batch, C, H, W] pixels in [0, 1]. */
  image: Float32Array;
  /** Final objective (mean over the batch) on the untransformed image. */
  objective: number;
  settings: VizSettings;
  /** Mean objective over the batch at every step, on that step's transformed images. */
  history: number[];
}

export interface BatchVisualization extends Visualization {
  /** Final objective of each image on its untransformed image. */
  values: Float64Array;
}

function cancelled(): Error {
  const e = new Error('visualization cancelled');
  e.name = 'VisualizeCancelled';
  return e;
}

/** Parses every objective (one shared, or one per image) and checks the batch against them. */
function prepare(engine: Engine, objectives: string[], batch: number): Objective[] {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch ${batch}: expected a positive integer`);
  if (batch > engine.maxBatch) throw new RangeError(`batch ${batch}: this GPU runs at most ${engine.maxBatch} images of ${engine.model.name} at once`);
  const parsed = objectives.map((o) => parseObjective(o, engine.model));
  if (parsed.length === 1 && hasDiversity(parsed[0]) && batch < 2) throw new ObjectiveSyntaxError('diversity compares the images of a batch: use a batch of 2 or more');
  return parsed;
}

/**
 * Optimizes `batch` images; image n maximizes objectives[n] (or all maximize objectives[0]).
 * Leaves the engine as it found it (edge masks reset when it applied any).
 */
export async function visualizeBatch(engine: Engine, objectives: string[], opts: VisualizeOptions = {}): Promise<BatchVisualization> {
  const batch = opts.batch ?? (objectives.length > 1 ? objectives.length : 1);
  if (objectives.length !== 1 && objectives.length !== batch) throw new RangeError(`${objectives.length} objectives for a batch of ${batch}: give one, or one per image`);
  const settings = vizSettings(opts.settings);
  const frameEvery = opts.frameEvery ?? 16;
  if (!Number.isInteger(frameEvery) || frameEvery < 1) throw new RangeError(`frameEvery ${frameEvery}: expected a positive integer`);
  const parsed = prepare(engine, objectives, batch);
  const compiled = compileObjectives(engine.model, parsed);
  const warm = settings.warmupSteps > 0 ? parsed.map((o) => warmupObjective(engine.model, o)) : [];
  const warmup = warm.some((o) => o) ? compileObjectives(engine.model, parsed.map((o, n) => warm[n] ?? o)) : null;
  if (opts.signal?.aborted) throw cancelled();
  const masked = !!opts.circuitMasks;
  if (masked) engine.setEdgeMasks(opts.circuitMasks!);
  let runner: VizRunner | null = null;
  try {
    const texts = parsed.map(describeObjective);
    const streams = imageStreamSeeds(settings.seed, Array.from({ length: batch }, (_, n) => texts[parsed.length === 1 ? 0 : n]));
    runner = new VizRunner(engine, compiled, batch, settings, streams, warmup);
    const { channels, height, width } = engine.model.input;
    const per = channels * height * width;
    const diversityParts: number[] = [];
    const frame = async (step: number) => {
      if (!opts.onFrame) return;
      const [pixels, totals] = await Promise.all([runner!.readPixels(), runner!.evaluator.readTotals()]);
      const mean = totals.reduce((a, b) => a + b, 0) / batch + (diversityParts[step - 1] ?? 0);
      opts.onFrame(step, settings.steps, mean, pixels.slice(0, per));
    };
    for (let t = 1; t <= settings.steps; t++) {
      if (opts.signal?.aborted) throw cancelled();
      diversityParts.push(await runner.stepOnce(t));
      if (t % frameEvery === 0 && t < settings.steps) await frame(t);
      // Let the event loop run (cancellation, progress) once the GPU has caught up.
      else await engine.device.queue.onSubmittedWorkDone();
    }
    if (opts.signal?.aborted) throw cancelled();
    const history = await runner.readHistory(settings.steps, diversityParts);
    const values = await runner.finalValues();
    const image = await runner.readPixels();
    const objective = values.reduce((a, b) => a + b, 0) / batch;
    opts.onFrame?.(settings.steps, settings.steps, objective, image.slice(0, per));
    return { image, objective, values, settings, history };
  } finally {
    runner?.release();
    if (masked) engine.setEdgeMasks(null);
  }
}

/** Optimizes images that maximize `objective` (see VisualizeOptions). */
export async function visualize(engine: Engine, objective: string, opts: VisualizeOptions = {}): Promise<Visualization> {
  const { image, objective: value, settings, history } = await visualizeBatch(engine, [objective], opts);
  return { image, objective: value, settings, history };
}

/**
 * The objective's value on `count` normalized NCHW images, in batches of the engine's size
 * (diversity terms, if any, are computed within each batch and added to its images).
 */
export async function objectiveValues(engine: Engine, objective: string, images: Float32Array, count: number): Promise<Float64Array> {
  const parsed = parseObjective(objective, engine.model);
  const compiled = compileObjectives(engine.model, [parsed]);
  const { channels, height, width } = engine.model.input;
  const per = channels * height * width;
  if (!Number.isInteger(count) || count < 0 || images.length < count * per) throw new RangeError(`expected ${count} images of ${per} values, got ${images.length} values`);
  const out = new Float64Array(count);
  const evaluators = new Map<number, ObjectiveEvaluator>();
  try {
    for (let start = 0; start < count; start += engine.maxBatch) {
      const n = Math.min(engine.maxBatch, count - start);
      let ev = evaluators.get(n);
      if (!ev) evaluators.set(n, (ev = new ObjectiveEvaluator(engine, compiled, n)));
      engine.forward(images.subarray(start * per, (start + n) * per), n, compiled.until);
      const div = await ev.evaluate(false);
      const totals = await ev.readTotals();
      for (let i = 0; i < n; i++) out[start + i] = totals[i] + div;
    }
  } finally {
    for (const ev of evaluators.values()) ev.release();
  }
  return out;
}

/**
 * Several objectives' values on the same images with one forward pass per batch: [objective]
 * -> per-image values (the feed-back check over an evaluation set).
 */
export async function objectiveValuesMany(
  engine: Engine, objectives: string[], images: (start: number, n: number) => Float32Array, count: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float64Array[]> {
  const compiled = objectives.map((o) => compileObjectives(engine.model, [parseObjective(o, engine.model)]));
  const order = new Map(engine.model.layers.map((l, i) => [l.name, i]));
  const until = compiled.reduce((u, c) => (order.get(c.until)! > order.get(u)! ? c.until : u), compiled[0].until);
  const out = objectives.map(() => new Float64Array(count));
  const evaluators = new Map<number, ObjectiveEvaluator[]>();
  try {
    for (let start = 0; start < count; start += engine.maxBatch) {
      const n = Math.min(engine.maxBatch, count - start);
      let evs = evaluators.get(n);
      if (!evs) evaluators.set(n, (evs = compiled.map((c) => new ObjectiveEvaluator(engine, c, n))));
      engine.forward(images(start, n), n, until);
      for (let k = 0; k < evs.length; k++) {
        const div = await evs[k].evaluate(false);
        const totals = await evs[k].readTotals();
        for (let i = 0; i < n; i++) out[k][start + i] = totals[i] + div;
      }
      onProgress?.(start + n, count);
    }
  } finally {
    for (const evs of evaluators.values()) for (const ev of evs) ev.release();
  }
  return out;
}
