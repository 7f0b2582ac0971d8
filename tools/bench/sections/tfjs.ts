// TensorFlow.js anchor: @tensorflow/tfjs-backend-webgpu on the bench's own GPUDevice (same
// Dawn instance and adapter), on the conv section's layers, batches and passes, each result
// checked against the CPU oracle; rows carry ours / TF.js from the same run.

import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { BenchContext, BenchRow, BenchSection } from '../types';
import { CONV_LAYERS, type ConvLayer } from './conv';
import { randomArray, rng } from '../buffers';
import { checkSampled, sampleIndices, type SampledValue } from '../check';
import { forwardAt, gradInputAt, gradWeightAt, type ConvProblem } from './convOracle';
import { LONG_MS, LONG_RUNS } from '../timing';

// TF.js's kernels are registered under the backend name 'webgpu': the bench's device replaces its factory.
const BACKEND = 'webgpu';

/** NCHW -> NHWC (or [O,C,kh,kw] -> [kh,kw,C,O] with swap) as a copy. */
function toNHWC(a: Float32Array, N: number, C: number, H: number, W: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++)
    out[((n * H + h) * W + w) * C + c] = a[((n * C + c) * H + h) * W + w];
  return out;
}
function fromNHWC(a: Float32Array, N: number, C: number, H: number, W: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++)
    out[((n * C + c) * H + h) * W + w] = a[((n * H + h) * W + w) * C + c];
  return out;
}
/** OIHW kernels -> TF.js's HWIO, and back. */
function toHWIO(w: Float32Array, O: number, I: number, K: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++)
    out[((kh * K + kw) * I + i) * O + o] = w[((o * I + i) * K + kh) * K + kw];
  return out;
}
function fromHWIO(w: Float32Array, O: number, I: number, K: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++)
    out[((o * I + i) * K + kh) * K + kw] = w[((kh * K + kw) * I + i) * O + o];
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let registered = false;
async function useBenchDevice(device: GPUDevice): Promise<WebGPUBackend> {
  if (!registered) {
    if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
    tf.registerBackend(BACKEND, () => new WebGPUBackend(device), 1);
    registered = true;
  }
  if (!(await tf.setBackend(BACKEND))) throw new Error('TF.js could not start its WebGPU backend on the bench device');
  await tf.ready();
  return tf.backend() as WebGPUBackend;
}

/** Wall ms of one run of op: its commands submitted, then waited with onSubmittedWorkDone. */
async function runOnce(backend: WebGPUBackend, device: GPUDevice, op: () => tf.Tensor): Promise<{ ms: number; out: tf.Tensor }> {
  const t0 = performance.now();
  const out = op();
  // what TF.js does before a read-back: close the open pass, submit the encoder
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await device.queue.onSubmittedWorkDone();
  return { ms: performance.now() - t0, out };
}

interface TfPass { pass: string; op: () => tf.Tensor; toNCHW: (a: Float32Array) => Float32Array; at: (p: ConvProblem, i: number) => SampledValue }

function problemFor(l: ConvLayer, N: number, seed: number): ConvProblem {
  const OH = Math.floor((l.H + 2 * l.pad - l.k) / l.stride) + 1, OW = Math.floor((l.W + 2 * l.pad - l.k) / l.stride) + 1;
  return {
    N, C: l.C, H: l.H, W: l.W, O: l.O, OH, OW,
    g: { kernel: [l.k, l.k], stride: [l.stride, l.stride], padding: [l.pad, l.pad], dilation: [1, 1], groups: 1 },
    x: randomArray(N * l.C * l.H * l.W, seed),
    w: randomArray(l.O * l.C * l.k * l.k, seed + 1, 1 / Math.sqrt(l.C * l.k * l.k)),
    dy: randomArray(N * l.O * OH * OW, seed + 3),
  };
}

export const tfjsSection: BenchSection = {
  name: 'tfjs',
  description: "TensorFlow.js 4.22 WebGPU backend on the bench's device: the conv layers' three passes, checked, as the anchor",
  async run(ctx: BenchContext) {
    const backend = await useBenchDevice(ctx.device);
    const rows: BenchRow[] = [];
    const ours = ctx.earlierRows.filter((r) => r.section === 'conv');
    const layers = ctx.options.layers.map((n) => CONV_LAYERS.find((l) => l.name === n)!);
    for (const [li, l] of layers.entries()) {
      const N = ours.find((r) => r.name === l.name)?.batch ?? (ctx.options.batch || l.batch);
      const seed = 1000 * (li + 1) + 500;
      const p = problemFor(l, N, seed);
      const x = tf.tensor4d(toNHWC(p.x, N, l.C, l.H, l.W), [N, l.H, l.W, l.C]);
      const w = tf.tensor4d(toHWIO(p.w, l.O, l.C, l.k), [l.k, l.k, l.C, l.O]);
      const dy = tf.tensor4d(toNHWC(p.dy, N, l.O, p.OH, p.OW), [N, p.OH, p.OW, l.O]);
      const passes: TfPass[] = [
        { pass: 'forward', op: () => tf.conv2d(x, w, l.stride, l.pad), toNCHW: (a) => fromNHWC(a, N, l.O, p.OH, p.OW), at: forwardAt },
        { pass: 'backward-input', op: () => tf.conv2dTranspose(dy, w, [N, l.H, l.W, l.C], l.stride, l.pad), toNCHW: (a) => fromNHWC(a, N, l.C, l.H, l.W), at: gradInputAt },
        { pass: 'backward-weight', op: () => backpropFilter(x, dy, l), toNCHW: (a) => fromHWIO(a, l.O, l.C, l.k), at: gradWeightAt },
      ];
      try {
        for (const [pi, t] of passes.entries()) {
          const label = `${l.name} ${t.pass} (TF.js)`;
          const warm = await runOnce(backend, ctx.device, t.op);
          const got = t.toNCHW((await warm.out.data()) as Float32Array);
          warm.out.dispose();
          const expected = sampleIndices(got.length, ctx.options.samples, rng(seed + 10 + pi)).map((i) => t.at(p, i));
          const check = checkSampled(`${label} (batch ${N})`, got, expected);
          const n = warm.ms > LONG_MS ? Math.min(ctx.options.runs, LONG_RUNS) : ctx.options.runs;
          const samples: number[] = [];
          for (let i = 0; i < n; i++) {
            const r = await runOnce(backend, ctx.device, t.op);
            samples.push(r.ms);
            r.out.dispose();
          }
          const ms = median(samples);
          const flops = 2 * N * l.O * p.OH * p.OW * l.C * l.k * l.k;
          const gflops = flops / (ms * 1e6);
          const mine = ours.find((r) => r.name === l.name && r.pass === t.pass);
          // same work, both timed on the wall clock (submit to onSubmittedWorkDone): the time ratio
          const oursWall = mine?.extra?.wallMs as number | undefined;
          const oursOverTfjs = mine && mine.batch === N && oursWall ? ms / oursWall : null;
          if (mine) mine.extra = { ...mine.extra, oursOverTfjs };
          ctx.log(`  ${label.padEnd(32)} ${gflops.toFixed(2).padStart(8)} GFLOP/s  (batch ${N}, ${ms.toFixed(1)} ms, wall)${oursOverTfjs ? `  ours/TF.js ${oursOverTfjs.toFixed(2)}x (wall)` : ''}`);
          rows.push({
            section: 'tfjs', name: l.name, pass: t.pass, shape: `${l.C}->${l.O} ${l.k}x${l.k} p${l.pad} on ${l.H}x${l.W}, NHWC`, batch: N,
            flops, ms, gflops, timing: 'wall', maxRelError: check.maxRelError, checked: check.checked,
            extra: { oursOverTfjs, samples, sameBatchAsOurs: !!mine && mine.batch === N },
          });
        }
      } finally {
        x.dispose(); w.dispose(); dy.dispose();
      }
    }
    return rows;
  },
};

/** dL/dw summed over the batch: TF.js's Conv2DBackpropFilter kernel (not exported as an op by tfjs-core). */
function backpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, l: ConvLayer): tf.Tensor {
  const attrs = { strides: l.stride, pad: l.pad, dataFormat: 'NHWC', filterShape: [l.k, l.k, l.C, l.O] };
  return tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
