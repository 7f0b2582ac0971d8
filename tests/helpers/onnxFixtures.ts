// Reads the ONNX reference fixtures (tools/python/onnx_fixtures.py: torchvision models with
// seeded random weights, exported to ONNX, with float64 PyTorch values), writing them first
// when the cache lacks them, so a clean clone runs the same comparison as any other machine.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ONNX_FIXTURES = fileURLToPath(new URL('../../.cache/onnx-fixtures/', import.meta.url));
export const ONNX_MODELS = ['alexnet', 'vgg11', 'resnet18', 'resnet18-bn', 'googlenet', 'squeezenet1_1', 'mobilenet_v2', 'mobilenet_v3_small', 'zoo-ops'];

/** Writes the fixtures that are missing (PyTorch, a few minutes on 2 cores the first time). */
export function ensureOnnxFixtures(): void {
  if (ONNX_MODELS.every((m) => existsSync(`${ONNX_FIXTURES}${m}/export.json`))) return;
  const script = fileURLToPath(new URL('../../tools/python/onnx_fixtures.py', import.meta.url));
  execFileSync('/usr/bin/python3', [script, '--out', ONNX_FIXTURES], { stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: '2' }, timeout: 20 * 60_000 });
}

export interface KernelLayerRef {
  node: string;
  op: string;
  weight: string;
  weightShape: number[];
  edgeShape: [number, number];
  upstream: boolean;
}

export interface OnnxReference {
  model: string;
  size: string;
  onnxFile: string;
  input: { shape: number[] };
  output: { shape: number[] };
  targets: {
    logit: { class: number };
    node: { conv: string; activation: string; activationOp: string; batchnorms: string[]; channel: number };
  };
  kernelLayers: KernelLayerRef[];
  /** Activations within f32 rounding of a bend (ReLU at 0, ...) in this batch, where f32 and f64 may branch apart. */
  ties: { delta: number; nearTies: number; seed: number; minMargin: number; at: string };
  circuit: {
    keep: number;
    dead: boolean;
    layers: string[];
    global: { boundaryGap: number };
  };
  bytes: Uint8Array;
  tensor(name: string): Float32Array;
  has(name: string): boolean;
}

export function exportInfo(model: string): { sizes: string[] } & Record<string, unknown> {
  const info = JSON.parse(readFileSync(`${ONNX_FIXTURES}${model}/export.json`, 'utf8'));
  const sizes = Array.isArray(info.sizes) ? info.sizes : Object.keys(info.sizes ?? info.written ?? {});
  return { ...info, sizes: sizes.map((s: unknown) => (typeof s === 'string' ? s : (s as { size: string }).size)) };
}

export function loadReference(model: string, size: string): OnnxReference {
  const dir = `${ONNX_FIXTURES}${model}/`;
  const json = JSON.parse(readFileSync(`${dir}${size}.json`, 'utf8'));
  const bin = readFileSync(`${dir}${size}.bin`);
  const table: Record<string, { shape: number[]; offset: number }> = json.tensors;
  const tensor = (name: string) => {
    const t = table[name];
    if (!t) throw new Error(`${model}/${size}: no tensor "${name}" in the fixture`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    return new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + n * 4));
  };
  return { ...json, bytes: new Uint8Array(readFileSync(`${dir}${json.onnxFile}`)), tensor, has: (name: string) => name in table };
}
