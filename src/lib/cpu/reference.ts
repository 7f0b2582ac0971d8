// The CPU reference network: forward and backward through a whole model in f64, one op
// reference at a time. Slow and simple on purpose; tests compare the GPU engine with it.

import type { Model } from '../model/types';
import type { CpuTensor } from '../ops/types';
import { opDescriptor } from '../ops/registry';
import { targetLayer, type Target } from '../engine/targets';

export interface CpuForward {
  /** Every node's output, the input included, keyed by name. */
  values: Map<string, CpuTensor>;
}

export function cpuForward(model: Model, images: Float32Array | Float64Array, batch: number): CpuForward {
  const { channels, height, width } = model.input;
  const values = new Map<string, CpuTensor>();
  values.set(model.input.name, { batch, shape: [channels, height, width], data: Float64Array.from(images) });
  for (const l of model.layers) {
    const d = opDescriptor(l.op)!;
    const y = d.cpuForward({ inputs: l.inputs.map((i) => values.get(i)!), params: l.params, attrs: l.attrs, outShape: l.shape });
    values.set(l.name, y);
  }
  return { values };
}

/** Per-image target values and the seed gradient dF/d(target layer output). */
export function cpuTarget(model: Model, fwd: CpuForward, t: Target, labels?: ArrayLike<number>) {
  const y = fwd.values.get(targetLayer(t, model.output))!;
  const per = y.data.length / y.batch;
  const plane = y.shape.length === 3 ? y.shape[1] * y.shape[2] : 1;
  const values = new Float64Array(y.batch);
  const seed = new Float64Array(y.data.length);
  for (let n = 0; n < y.batch; n++) {
    const row = y.data.subarray(n * per, (n + 1) * per);
    const g = seed.subarray(n * per, (n + 1) * per);
    if (t.kind === 'featureMean' || t.kind === 'direction') {
      const w = t.kind === 'direction' ? t.weights : Array.from({ length: per / plane }, (_, c) => (c === t.channel ? 1 : 0));
      for (let i = 0; i < per; i++) {
        const c = Math.floor(i / plane);
        values[n] += (w[c] * row[i]) / plane;
        g[i] = w[c] / plane;
      }
    } else if (t.kind === 'featureMax') {
      let best = -Infinity;
      let at = 0;
      for (let q = 0; q < plane; q++) if (row[t.channel * plane + q] > best) { best = row[t.channel * plane + q]; at = q; }
      values[n] = best;
      g[t.channel * plane + at] = 1;
    } else if (t.kind === 'featureAt' || t.kind === 'classLogit') {
      const at = t.kind === 'featureAt' ? t.channel * plane + t.y * y.shape[2] + t.x : t.class;
      values[n] = row[at];
      g[at] = 1;
    } else {
      const m = Math.max(...row);
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      const p = Array.from(row, (v) => Math.exp(v - m) / s);
      if (t.kind === 'classProbability') {
        values[n] = p[t.class];
        for (let i = 0; i < per; i++) g[i] = p[t.class] * ((i === t.class ? 1 : 0) - p[i]);
      } else {
        const label = labels![n];
        values[n] = Math.log(s) + m - row[label];
        for (let i = 0; i < per; i++) g[i] = p[i] - (i === label ? 1 : 0);
      }
    }
  }
  return { values, seed: { batch: y.batch, shape: y.shape, data: seed } as CpuTensor };
}

export interface CpuBackward {
  /** dF/d(output) of every node upstream of the target, the input included. */
  grads: Map<string, CpuTensor>;
  /** dF/d(param), summed over the batch: key "layer.param". */
  paramGrads: Map<string, Float64Array>;
  values: Float64Array;
}

export function cpuBackward(model: Model, fwd: CpuForward, t: Target, labels?: ArrayLike<number>): CpuBackward {
  const { values, seed } = cpuTarget(model, fwd, t, labels);
  const start = targetLayer(t, model.output);
  const grads = new Map<string, CpuTensor>([[start, seed]]);
  const paramGrads = new Map<string, Float64Array>();
  const idx = model.layers.findIndex((l) => l.name === start);
  for (let i = idx; i >= 0; i--) {
    const l = model.layers[i];
    const gy = grads.get(l.name);
    if (!gy) continue;
    const d = opDescriptor(l.op)!;
    const r = d.cpuBackward({
      inputs: l.inputs.map((n) => fwd.values.get(n)!),
      output: fwd.values.get(l.name)!,
      gradOutput: gy,
      params: l.params,
      attrs: l.attrs,
      outShape: l.shape,
    });
    l.inputs.forEach((name, j) => {
      const prev = grads.get(name);
      if (prev) r.inputs[j].data.forEach((v, k) => (prev.data[k] += v));
      else grads.set(name, { ...r.inputs[j], data: r.inputs[j].data.slice() });
    });
    for (const [p, g] of Object.entries(r.params)) paramGrads.set(`${l.name}.${p}`, g);
  }
  return { grads, paramGrads, values };
}
