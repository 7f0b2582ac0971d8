// Single entries of conv2d forward, gradient-to-input and gradient-to-kernel in f64, for
// checking sampled GPU results of full-size layers (the full CPU reference takes seconds
// per image there). selfTest() checks these against src/lib/ops/reference/conv2d.ts.

import type { ConvGeometry } from '../../../src/lib/ops/reference/conv2d';
import { conv2dForward, conv2dBackward } from '../../../src/lib/ops/reference/conv2d';
import type { SampledValue } from '../check';
import { randomArray } from '../buffers';

export interface ConvProblem {
  N: number; C: number; H: number; W: number;
  O: number; OH: number; OW: number;
  g: ConvGeometry;
  x: Float32Array;
  w: Float32Array;
  bias?: Float32Array;
  dy: Float32Array;
}

/** y[n, o, oh, ow] (NCHW index into the output). */
export function forwardAt(p: ConvProblem, index: number): SampledValue {
  const { C, H, W, O, OH, OW, g } = p;
  const cinG = C / g.groups, coutG = O / g.groups;
  const [KH, KW] = g.kernel;
  const ow = index % OW, oh = Math.floor(index / OW) % OH;
  const o = Math.floor(index / (OW * OH)) % O, n = Math.floor(index / (OW * OH * O));
  const grp = Math.floor(o / coutG);
  let value = p.bias ? p.bias[o] : 0;
  let absSum = Math.abs(value);
  for (let ci = 0; ci < cinG; ci++)
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * g.stride[0] - g.padding[0] + kh * g.dilation[0];
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * g.stride[1] - g.padding[1] + kw * g.dilation[1];
        if (iw < 0 || iw >= W) continue;
        const t = p.w[((o * cinG + ci) * KH + kh) * KW + kw] * p.x[((n * C + grp * cinG + ci) * H + ih) * W + iw];
        value += t;
        absSum += Math.abs(t);
      }
    }
  return { index, value, absSum };
}

/** dx[n, c, ih, iw] for the upstream gradient dy. */
export function gradInputAt(p: ConvProblem, index: number): SampledValue {
  const { C, H, W, O, OH, OW, g } = p;
  const cinG = C / g.groups, coutG = O / g.groups;
  const [KH, KW] = g.kernel;
  const iw = index % W, ih = Math.floor(index / W) % H;
  const c = Math.floor(index / (W * H)) % C, n = Math.floor(index / (W * H * C));
  const grp = Math.floor(c / cinG), ci = c - grp * cinG;
  let value = 0, absSum = 0;
  for (let o = grp * coutG; o < (grp + 1) * coutG; o++)
    for (let kh = 0; kh < KH; kh++) {
      const th = ih + g.padding[0] - kh * g.dilation[0];
      if (th < 0 || th % g.stride[0] !== 0) continue;
      const oh = th / g.stride[0];
      if (oh >= OH) continue;
      for (let kw = 0; kw < KW; kw++) {
        const tw = iw + g.padding[1] - kw * g.dilation[1];
        if (tw < 0 || tw % g.stride[1] !== 0) continue;
        const ow = tw / g.stride[1];
        if (ow >= OW) continue;
        const t = p.w[((o * cinG + ci) * KH + kh) * KW + kw] * p.dy[((n * O + o) * OH + oh) * OW + ow];
        value += t;
        absSum += Math.abs(t);
      }
    }
  return { index, value, absSum };
}

/** dw[o, ci, kh, kw] summed over the batch. */
export function gradWeightAt(p: ConvProblem, index: number): SampledValue {
  const { N, C, H, W, O, OH, OW, g } = p;
  const cinG = C / g.groups, coutG = O / g.groups;
  const [KH, KW] = g.kernel;
  const kw = index % KW, kh = Math.floor(index / KW) % KH;
  const ci = Math.floor(index / (KW * KH)) % cinG, o = Math.floor(index / (KW * KH * cinG));
  const grp = Math.floor(o / coutG);
  let value = 0, absSum = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++) {
      const ih = oh * g.stride[0] - g.padding[0] + kh * g.dilation[0];
      if (ih < 0 || ih >= H) continue;
      for (let ow = 0; ow < OW; ow++) {
        const iw = ow * g.stride[1] - g.padding[1] + kw * g.dilation[1];
        if (iw < 0 || iw >= W) continue;
        const t = p.x[((n * C + grp * cinG + ci) * H + ih) * W + iw] * p.dy[((n * O + o) * OH + oh) * OW + ow];
        value += t;
        absSum += Math.abs(t);
      }
    }
  return { index, value, absSum };
}

/** Checks the single-entry functions against the reference on a small, awkward problem. */
export function selfTest(): void {
  const g: ConvGeometry = { kernel: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 };
  const N = 2, C = 4, H = 7, W = 8, O = 6;
  const OH = Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (g.kernel[0] - 1) - 1) / g.stride[0]) + 1;
  const OW = Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (g.kernel[1] - 1) - 1) / g.stride[1]) + 1;
  const p: ConvProblem = {
    N, C, H, W, O, OH, OW, g,
    x: randomArray(N * C * H * W, 101),
    w: randomArray(O * (C / g.groups) * g.kernel[0] * g.kernel[1], 102),
    bias: randomArray(O, 103),
    dy: randomArray(N * O * OH * OW, 104),
  };
  const x = { batch: N, shape: [C, H, W], data: Float64Array.from(p.x) };
  const dy = { batch: N, shape: [O, OH, OW], data: Float64Array.from(p.dy) };
  const y = conv2dForward(x, p.w, p.bias, [O, OH, OW], g).data;
  const { dx, dw } = conv2dBackward(x, p.w, true, dy, g);
  const pairs: [string, Float64Array, (p: ConvProblem, i: number) => SampledValue][] = [
    ['forward', y, forwardAt],
    ['gradient to input', dx.data, gradInputAt],
    ['gradient to kernel', dw, gradWeightAt],
  ];
  for (const [what, ref, at] of pairs) {
    for (let i = 0; i < ref.length; i++) {
      const v = at(p, i);
      if (Math.abs(v.value - ref[i]) > 1e-9 * (v.absSum + 1)) {
        throw new Error(`conv check oracle disagrees with the CPU reference (${what}, entry ${i}: ${v.value} vs ${ref[i]})`);
      }
    }
  }
}
