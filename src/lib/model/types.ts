// The in-memory model: a validated DAG of layers with their tensors and per-image shapes.
// Produced by `parseModel` (load.ts) from model.json + weights.bin; consumed by the CPU
// reference and the GPU engine. See docs/model-format.md for the file format.

import type { ChannelFlow } from '../ops/types';

/** Per-image shape, channels first: [C, H, W] for maps, [F] after flatten/linear. */
export type Shape = number[];

export interface InputSpec {
  name: string;
  channels: number;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

export interface Layer {
  name: string;
  op: string;
  inputs: string[];
  /** Attributes after validation and defaults (op-specific). */
  attrs: Record<string, unknown>;
  /** Parameter name (weight, bias, ...) -> tensor data. */
  params: Record<string, Float32Array>;
  /** Parameter name -> shape. */
  paramShapes: Record<string, Shape>;
  /** Per-image output shape. */
  shape: Shape;
  /** How its output channels depend on its inputs' channels, as its op declares it. */
  flow: ChannelFlow;
}

export interface Model {
  name: string;
  description: string;
  input: InputSpec;
  classes: string[];
  /** Layers in a topological order (every input before its consumers). */
  layers: Layer[];
  /** Name of the layer holding the class logits. */
  output: string;
  /** Batchnorm layers folded into the conv before them: batchnorm name -> conv name. */
  foldedInto?: Record<string, string>;
}

export function shapeSize(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Per-image shape of any node, the input included. */
export function nodeShape(model: Model, name: string): Shape {
  if (name === model.input.name) return [model.input.channels, model.input.height, model.input.width];
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new Error(`no node named "${name}" in model "${model.name}"`);
  return layer.shape;
}

/** Thrown for any problem with a model file; the message names the layer or tensor. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}
