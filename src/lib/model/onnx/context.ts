// The state of one ONNX import: what each ONNX value has become (a layer's output, a constant,
// the model input), the microscope layers made so far with their per-image shapes, and the
// tensors they own. The op converters (convertLayers.ts, convertShapes.ts) build on it.

import { ModelFormatError } from '../types';
import { opDescriptor } from '../../ops/registry';
import { quote, type NodeProto } from './decode';

/** A computed tensor: a layer's output (or the model input), per-image shape. */
export interface TensorValue {
  kind: 'tensor';
  layer: string;
  shape: number[];
  /** Zero padding [top, left, bottom, right] a Pad node put on it, to fold into its consumer. */
  pad?: [number, number, number, number];
}

/** A value known at import time (an initializer, a Constant, shape arithmetic); dims include the batch where ONNX's do. */
export interface ConstValue {
  kind: 'const';
  dims: number[];
  values: Float64Array;
}

export type Value = TensorValue | ConstValue;

export interface LayerSpec {
  name: string;
  op: string;
  inputs: string[];
  attrs: Record<string, unknown>;
  params: Record<string, string>;
}

export interface TensorSpec {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** How a weight tensor of the microscope relates to the ONNX initializer it came from (for export). */
export interface WeightOrigin {
  initializer: string;
  /** The microscope's [out, in] is the initializer transposed (MatMul, Gemm with transB 0). */
  transposed: boolean;
  /** The microscope's input channels are the initializer's reversed (a BGR model made to take RGB). */
  reversedInputChannels?: boolean;
}

export class ImportContext {
  readonly values = new Map<string, Value>();
  readonly layers: LayerSpec[] = [];
  readonly tensors: TensorSpec[] = [];
  readonly shapes = new Map<string, number[]>();
  /** Layer name -> the ONNX node it came from. */
  readonly nodeOfLayer: Record<string, string> = {};
  /** Layer name -> where its weight came from. */
  readonly weightOrigins: Record<string, WeightOrigin> = {};
  private readonly usedNames = new Set<string>();

  constructor(readonly inputName: string, inputShape: number[]) {
    this.usedNames.add(inputName);
    this.shapes.set(inputName, inputShape);
  }

  /** A layer name for a node: its ONNX name made link-safe ("/features/features.0/Conv" -> "features.0.Conv"), unique. */
  layerName(node: NodeProto): string {
    const raw = (node.name || node.output?.[0] || node.opType || 'layer').slice(0, 160);
    const candidates = raw.includes('/') ? scopedNames(raw) : [raw];
    const safe = candidates.map((c) => {
      const s = c.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+|[._]+$/g, '').slice(0, 100) || 'layer';
      return /^[A-Za-z_]/.test(s) ? s : `n${s}`;
    });
    let name = safe.find((s) => !this.usedNames.has(s));
    for (let i = 2; !name; i++) name = safe.map((s) => `${s}_${i}`).find((s) => !this.usedNames.has(s));
    this.usedNames.add(name);
    return name;
  }

  /** Adds a microscope layer for `node` and returns its output value; its shape comes from the op's own inference. */
  addLayer(node: NodeProto, where: string, op: string, inputs: TensorValue[], attrs: Record<string, unknown>, params: Record<string, { dims: number[]; data: Float32Array }> = {}): TensorValue {
    const name = this.layerName(node);
    const d = opDescriptor(op);
    if (!d) throw new ModelFormatError(`${where}: the engine has no "${op}" op`);
    const paramNames: Record<string, string> = {};
    const paramShapes: Record<string, number[]> = {};
    for (const [p, t] of Object.entries(params)) {
      const tname = `${name}.${p}`;
      this.tensors.push({ name: tname, dims: t.dims, data: t.data });
      paramNames[p] = tname;
      paramShapes[p] = t.dims;
    }
    let shape: number[];
    try {
      shape = d.inferShape(inputs.map((v) => v.shape), d.parseAttrs(attrs), paramShapes);
    } catch (e) {
      throw new ModelFormatError(`${where}: ${(e as Error).message}`);
    }
    this.layers.push({ name, op, inputs: inputs.map((v) => v.layer), attrs, params: paramNames });
    this.shapes.set(name, shape);
    this.nodeOfLayer[name] = node.name || node.output?.[0] || '';
    return { kind: 'tensor', layer: name, shape };
  }

  set(name: string | null | undefined, value: Value): void {
    if (name) this.values.set(name, value);
  }
}

/**
 * torch's scoped node names ("/layer1/layer1.0/conv1/Conv", "/features/features.0/features.0.0/Conv")
 * as the PyTorch module path: "layer1.0.conv1", "features.0.0"; then the path with the op type
 * ("layer1.0.Add") for a second node of the same module.
 */
function scopedNames(raw: string): string[] {
  const parts = raw.split('/').filter(Boolean);
  const op = parts.pop() ?? 'layer';
  let path = '';
  for (const p of parts) path = !path || p.startsWith(`${path}.`) ? p : `${path}.${p}`;
  return path ? [path, `${path}.${op}`] : [op];
}

/** Where a node sits, for messages: `node "features.3" (Selu, 12 of 60)`. */
export function describeNode(node: NodeProto, index: number, count: number): string {
  const op = (node.opType ?? '').slice(0, 24).replace(/[^A-Za-z0-9_.-]/g, '?');
  return `node ${quote(node.name || node.output?.[0] || '', 40)} (${op}, ${index + 1} of ${count})`;
}
