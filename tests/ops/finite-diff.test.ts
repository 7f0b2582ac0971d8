// The CPU references' gradients checked by central finite differences of their own
// forward functions: d/dz sum(dy * f(z)) for inputs and parameters, at sampled points.
// This makes the references themselves trustworthy oracles for the WGSL kernels.

import { describe, it, expect } from 'vitest';
import { opDescriptor } from '../../src/lib/ops/registry';
import type { CpuTensor } from '../../src/lib/ops/types';
import { shapeSize } from '../../src/lib/model/types';
import { rng, randomArray } from '../helpers/random';
import { caseInputs, tensorOf, type OpCase } from './harness';
import { conv2dCases } from './cases/conv2d';
import { linearCases } from './cases/linear';
import { poolCases } from './cases/pool';
import { elementwiseCases } from './cases/elementwise';

const H = 1e-6;

function checkCase(c: OpCase, seed: number) {
  const d = opDescriptor(c.op)!;
  const r = rng(seed);
  const attrs = d.parseAttrs(c.attrs);
  const paramShapes = c.params ?? {};
  const outShape = d.inferShape(c.inputShapes, attrs, paramShapes);
  const params: Record<string, Float32Array> = {};
  for (const [p, s] of Object.entries(paramShapes)) {
    params[p] = randomArray(shapeSize(s), r);
    if (c.positiveParams?.includes(p)) params[p] = params[p].map((v) => Math.abs(v) + 0.1);
  }
  const inputs: CpuTensor[] = caseInputs(c, r).map((a, i) => ({ batch: c.batch, shape: c.inputShapes[i], data: Float64Array.from(a) }));
  const dy = Float64Array.from(randomArray(c.batch * shapeSize(outShape), r));
  const objective = (ins: CpuTensor[], ps: Record<string, Float32Array>) => {
    const y = d.cpuForward({ inputs: ins, params: ps, attrs, outShape });
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += dy[i] * y.data[i];
    return s;
  };
  const y = d.cpuForward({ inputs, params, attrs, outShape });
  const g = d.cpuBackward({ inputs, params, attrs, outShape, output: y, gradOutput: { batch: c.batch, shape: outShape, data: dy } });
  const samples = 12;
  // An input tensor read several times (sharedInput) moves in every read; its gradient is the sum.
  inputs.forEach((x, k) => {
    if (tensorOf(c, k) !== k) return;
    const reads = inputs.map((_, j) => j).filter((j) => tensorOf(c, j) === k);
    for (let s = 0; s < samples; s++) {
      const i = Math.floor(r() * x.data.length);
      const shifted = (h: number) => inputs.map((t, j) => (reads.includes(j) ? { ...t, data: t.data.map((v, q) => (q === i ? v + h : v)) } : t));
      const numeric = (objective(shifted(H), params) - objective(shifted(-H), params)) / (2 * H);
      const analytic = reads.reduce((sum, j) => sum + g.inputs[j].data[i], 0);
      expect(analytic, `${c.name}: d/d input${k}[${i}] (seed ${seed})`).toBeCloseTo(numeric, 4);
    }
  });
  for (const p of Object.keys(g.params)) {
    // Parameters are f32 in the model; differentiate through a f64 copy of the forward.
    for (let s = 0; s < samples; s++) {
      const i = Math.floor(r() * params[p].length);
      const h = 1e-3; // large enough to survive f32 storage of the parameter
      const at = (delta: number) => ({ ...params, [p]: params[p].map((v, q) => (q === i ? v + delta : v)) });
      const plus = at(h);
      const minus = at(-h);
      const numeric = (objective(inputs, plus) - objective(inputs, minus)) / (plus[p][i] - minus[p][i]);
      expect(g.params[p][i], `${c.name}: d/d ${p}[${i}] (seed ${seed})`).toBeCloseTo(numeric, 2);
    }
  }
}

describe('CPU reference gradients vs finite differences', () => {
  // Fixed inputs sit on the points where a rule changes, where there is no derivative to check.
  const cases = [...conv2dCases, ...linearCases, ...poolCases, ...elementwiseCases].filter((c) => !c.inputValues);
  for (const c of cases) it(c.name, () => checkCase(c, 1234 + c.name.length));
});
