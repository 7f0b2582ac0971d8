// Objective values and their gradients with respect to the input on the RGB AlexNet-shaped
// miniature against PyTorch float64 autograd (tests/fixtures/featureviz, written by
// tools/python/featureviz_fixtures.py): channel, neuron, logit, probability, edges (grouped,
// dilated, linear), layer, direction, negation, sums, products, diversity. Also the engine's
// backwardFrom against the CPU reference network.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { cpuForward, cpuBackward, cpuTarget } from '../../src/lib/cpu/reference';
import { objectiveInputGradient } from '../../src/lib/featureviz/gradient';
import { edgeWeights } from '../../src/lib/featureviz/terms';
import { objectiveValues } from '../../src/lib/featureviz/visualize';
import { diversity } from '../../src/lib/featureviz/diversity';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { loadFixture, toArrayBuffer } from '../helpers/fixtures';
import { expectClose } from '../helpers/compare';
import type { Target } from '../../src/lib/engine/targets';

const meta = JSON.parse(readFileSync(new URL('../fixtures/featureviz/fixture.json', import.meta.url), 'utf8'));
const bin = toArrayBuffer(readFileSync(new URL('../fixtures/featureviz/fixture.bin', import.meta.url)));
const tensor = (name: string) => {
  const e = meta.tensors[name];
  if (!e) throw new Error(`no fixture tensor ${name}`);
  return new Float32Array(bin, e.offset, e.shape.reduce((a: number, b: number) => a * b, 1));
};
const fixture = loadFixture('alexnet-mini');
const TOL = 1e-4;

describe('objective gradients vs PyTorch (alexnet-mini, RGB 3x35x35)', () => {
  it('every objective: per-image values and dF/d(input)', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, fixture.model);
    const input = tensor('input');
    const batch = meta.batch as number;
    try {
      await expectNoGpuErrors(device, async () => {
        for (const { id, objective } of meta.objectives as { id: string; objective: string }[]) {
          const { grad, values } = await objectiveInputGradient(engine, objective, input, batch);
          expectClose(values, tensor(`${id}/values`), TOL, `${id} (${objective}) values`);
          expectClose(grad, tensor(`${id}/grad`), TOL, `${id} (${objective}) input gradient`);
          // The optimizer's single backward pass seeded at every node gives the same gradient.
          const one = await objectiveInputGradient(engine, objective, input, batch, { onePass: true });
          expectClose(one.grad, tensor(`${id}/grad`), TOL, `${id} (${objective}) input gradient, one pass`);
          // objectiveValues (batched evaluation) agrees with the same fixture.
          expectClose(await objectiveValues(engine, objective, input, batch), tensor(`${id}/values`), TOL, `${id} objectiveValues`);
        }
        const { grad } = await objectiveInputGradient(engine, 'diversity:fc1', input, batch);
        expectClose(grad, tensor('diversity_fc1/grad'), TOL, 'diversity:fc1 input gradient');
      });
    } finally {
      engine.destroy();
    }
  });

  it('an edge reading the input itself: dF/d(input) is the kernel spread over the input, alone and in a sum', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, fixture.model);
    const input = tensor('input');
    const batch = meta.batch as number;
    const first = fixture.model.layers.find((l) => l.op === 'conv2d' && l.inputs[0] === fixture.model.input.name)!;
    const size = input.length / batch;
    try {
      await expectNoGpuErrors(device, async () => {
        for (const onePass of [false, true]) {
          const { grad, values } = await objectiveInputGradient(engine, `edge:${first.name}:1:2`, input, batch, { onePass });
          const w = edgeWeights(fixture.model, first, 1, 2).weights;
          expect(grad.length).toBe(input.length);
          // the objective is linear in the input (no bias): its value is <dF/dx, x> per image
          for (let n = 0; n < batch; n++) {
            let dot = 0;
            for (let q = 0; q < size; q++) dot += w[q] * input[n * size + q];
            expectClose(grad.subarray(n * size, (n + 1) * size), Float32Array.from(w), 1e-6, `image ${n} gradient`);
            expect(Math.abs(values[n] - dot)).toBeLessThan(1e-4 * (1 + Math.abs(dot)));
          }
          // with a term deeper in the network, the gradients add
          const sum = await objectiveInputGradient(engine, `edge:${first.name}:1:2 + channel:${first.name}:0`, input, batch, { onePass });
          const channel = await objectiveInputGradient(engine, `channel:${first.name}:0`, input, batch, { onePass });
          expectClose(sum.grad, channel.grad.map((g, i) => g + w[i % size]), 1e-5, `sum, onePass ${onePass}`);
        }
      });
    } finally {
      engine.destroy();
    }
  });

  it('the CPU diversity equals PyTorch on a 1D layer', () => {
    const y = tensor('diversity_fc1/activations');
    const d = diversity(y, meta.batch, y.length / meta.batch, 1);
    expect(Math.abs(d.value - tensor('diversity_fc1/value')[0])).toBeLessThan(1e-5);
  });
});

describe('engine.backwardFrom and forwardFrom', () => {
  it('a given gradient at a layer backpropagates like the CPU reference, from the CPU or a GPU buffer', async () => {
    const device = await testDevice();
    const model = fixture.model;
    const engine = Engine.create(device, model);
    const input = tensor('input');
    const batch = meta.batch as number;
    try {
      await expectNoGpuErrors(device, async () => {
        const fwd = cpuForward(model, input, batch);
        const targets: Target[] = [
          { kind: 'featureMean', layer: 'conv2', channel: 3 },
          { kind: 'classProbability', class: 1 },
          { kind: 'direction', layer: 'relu3', weights: Array.from({ length: 16 }, (_, c) => Math.sin(c)) },
        ];
        for (const t of targets) {
          const { seed } = cpuTarget(model, fwd, t);
          const layer = 'layer' in t ? t.layer : model.output;
          const ref = cpuBackward(model, fwd, t);
          engine.forward(input, batch);
          engine.backwardFrom(layer, Float32Array.from(seed.data));
          expectClose((await engine.readGrad('input'))!, ref.grads.get('input')!.data, TOL, `backwardFrom ${t.kind} (CPU gradient)`);
          expectClose((await engine.readGrad('pool1'))!, ref.grads.get('pool1')!.data, TOL, `backwardFrom ${t.kind} at pool1`);
          const buf = engine.pool.acquire(seed.data.length * 4, 'test.seed');
          device.queue.writeBuffer(buf, 0, Float32Array.from(seed.data));
          engine.backwardFrom(layer, buf, { weightGrads: 'sum' });
          expectClose((await engine.readGrad('input'))!, ref.grads.get('input')!.data, TOL, `backwardFrom ${t.kind} (GPU gradient)`);
          expectClose(await engine.readParamGrad('conv1', 'weight'), ref.paramGrads.get('conv1.weight')!, TOL, `backwardFrom ${t.kind} conv1 weight gradient`);
          engine.pool.release(buf);
          await expect(engine.readTargetValues()).rejects.toThrow(/no target values/);
        }
        // forwardFrom: the same activations as forward() from the CPU, and 'until' stops early.
        engine.forward(input, batch);
        const want = await engine.read('fc2');
        const inBuf = engine.pool.acquire(input.byteLength, 'test.input');
        device.queue.writeBuffer(inBuf, 0, input);
        engine.forward(new Float32Array(input.length), batch);
        engine.forwardFrom(inBuf, batch);
        expect(Array.from(await engine.read('fc2'))).toEqual(Array.from(want));
        engine.forwardFrom(inBuf, batch, 'conv2');
        expectClose(await engine.read('conv2'), fwd.values.get('conv2')!.data, TOL, 'forwardFrom until conv2');
        expect(() => engine.forwardFrom(inBuf, batch, 'nope')).toThrow(/no node named "nope"/);
        expect(() => engine.forwardFrom(inBuf, batch + 5)).toThrow(/GPU buffer of/);
        engine.pool.release(inBuf);
        expect(() => engine.backwardFrom('nope', new Float32Array(1))).toThrow(/no layer named "nope"/);
        expect(() => engine.backwardFrom('conv2', new Float32Array(5))).toThrow(/expected \d+ values/);
      });
    } finally {
      engine.destroy();
    }
  });
});
