// A MobileNetV3-style block built from the ONNX-import ops end to end: hardswish, a
// squeeze-and-excitation gate (adaptive pool, 1x1 convs, hardsigmoid) scaling its map through mul
// [C, H, W] x [C, 1, 1], clip (ReLU6), sigmoid, a same-shape mul and asymmetric padding. The graph
// makes each mul a junction per channel; the engine matches the CPU reference network.

import { describe, it, expect } from 'vitest';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';
import { Engine } from '../../src/lib/engine/engine';
import { cpuBackward, type CpuForward, cpuForward } from '../../src/lib/cpu/reference';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { rng, randomArray, freshSeed } from '../helpers/random';
import { expectClose } from '../helpers/compare';
import { randomImageSet } from '../worker/helpers';

const conv = (name: string, cin: number, cout: number, k: number, attrs: Record<string, unknown> = {}, inputs?: string[]) => ({
  name, op: 'conv2d', inputs, attrs: { kernel: [k, k], ...attrs }, params: { weight: [cout, cin, k, k], bias: [cout] },
});

const model = buildModel('se-block', { channels: 3, height: 11, width: 11 }, [
  conv('conv1', 3, 8, 3, { stride: [2, 2], padEnd: [1, 1] }), { name: 'hs1', op: 'hardswish' },
  { name: 'squeeze', op: 'adaptiveavgpool', attrs: { output: [1, 1] } },
  conv('fc1', 8, 4, 1), { name: 'fc1relu', op: 'relu' }, conv('fc2', 4, 8, 1), { name: 'gate', op: 'hardsigmoid' },
  { name: 'scale', op: 'mul', inputs: ['hs1', 'gate'] },
  conv('conv2', 8, 6, 3, { padding: [1, 1] }), { name: 'relu6', op: 'clip' },
  { name: 'pool', op: 'avgpool', attrs: { kernel: [2, 2], padEnd: [1, 1] } },
  { name: 'sig', op: 'sigmoid' }, { name: 'swish', op: 'mul', inputs: ['pool', 'sig'] },
  { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [5, 54], bias: [5] } },
], 5, 3);

describe('a squeeze-and-excitation block', () => {
  it('has a junction per channel at each mul, whatever the sizes of its inputs', () => {
    const g = buildGraph(model);
    const layer = (name: string) => g.layers.find((l) => l.name === name)!;
    expect(model.layers.find((l) => l.name === 'scale')!.shape).toEqual([8, 5, 5]);
    expect(layer('scale')).toMatchObject({ kind: 'junction', nodeCount: 8, edgeCount: 16 });
    expect(layer('swish')).toMatchObject({ kind: 'junction', nodeCount: 6, edgeCount: 12 });
    // Junction edges come from conv1's filters (through hs1) and fc2's (through the gate).
    const sources = Array.from({ length: 16 }, (_, e) => g.layers[g.nodeLayer[g.edgeSource[layer('scale').edgeStart + e]]].name);
    expect(new Set(sources)).toEqual(new Set(['conv1', 'fc2']));
    expect(g.kernelLayers.map((k) => k.mapNode)).toEqual(['hs1', 'fc1relu', 'gate', 'relu6', 'fc']);
  });

  it('runs forward and backward on the GPU as the CPU reference network', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    const seed = freshSeed();
    const images = randomArray(2 * 3 * 11 * 11, rng(seed), 1.5);
    const cpu = cpuForward(model, images, 2);
    try {
      await expectNoGpuErrors(device, async () => {
        engine.forward(images, 2);
        for (const l of model.layers) expectClose(await engine.read(l.name), cpu.values.get(l.name)!.data, 1e-4, `${l.name} (seed ${seed})`);
        // The CPU backward runs on the GPU's forward values, so both take the same branch at every bend.
        const gpuValues: CpuForward = { values: new Map([[model.input.name, cpu.values.get(model.input.name)!]]) };
        for (const l of model.layers) gpuValues.values.set(l.name, { batch: 2, shape: l.shape, data: Float64Array.from(await engine.read(l.name)) });
        engine.backward({ kind: 'loss' }, { labels: [1, 4], weightGrads: 'sum' });
        const want = cpuBackward(model, gpuValues, { kind: 'loss' }, [1, 4]);
        for (const node of ['input', 'conv1', 'hs1', 'gate', 'scale', 'pool', 'sig']) {
          expectClose((await engine.readGrad(node))!, want.grads.get(node)!.data, 1e-4, `gradient at ${node} (seed ${seed})`);
        }
        for (const layer of ['conv1', 'fc2']) {
          expectClose(await engine.readParamGrad(layer, 'weight'), want.paramGrads.get(`${layer}.weight`)!, 1e-4, `${layer}.weight gradient (seed ${seed})`);
        }
      });
    } finally {
      engine.destroy();
    }
  });

  it('gives a circuit through the session the page uses', async () => {
    const engine = Engine.create(await testDevice(), model);
    try {
      const session = new MicroscopeSession(engine, randomImageSet(model, 6, 5));
      const r = await session.circuit({ target: 'node:conv2:1', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.5 }, perLayer: true });
      expect(r.emptyReason).toBeNull();
      expect(r.kernelsKept).toBeGreaterThan(0);
      expect(r.layers.map((l) => l.layer)).toEqual(['conv1', 'fc1', 'fc2', 'conv2', 'fc']);
    } finally {
      engine.destroy();
    }
  });
});
