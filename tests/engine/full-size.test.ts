// An ImageNet-sized model (AlexNet-shaped, 224x224 RGB, 61M random weights) runs on the
// GPU engine: forward and backward to the input match the CPU reference; the batch size
// follows the adapter's limits; streaming batches does not grow GPU memory.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { cpuForward, cpuBackward, type CpuForward } from '../../src/lib/cpu/reference';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { alexnetFullSize, buildModel } from '../helpers/build-model';
import { rng, randomArray, freshSeed } from '../helpers/random';
import { expectClose } from '../helpers/compare';

describe('full-size AlexNet-shaped model', () => {
  const model = alexnetFullSize();
  const per = 3 * 224 * 224;

  it('forward and loss gradient match the CPU reference', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    const seed = freshSeed();
    const image = randomArray(per, rng(seed), 1);
    const cpu = cpuForward(model, image, 1);
    try {
      expect(engine.maxBatch).toBeGreaterThanOrEqual(1);
      await expectNoGpuErrors(device, async () => {
        engine.forward(image, 1);
        for (const layer of ['conv1', 'lrn1', 'pool2', 'conv5', 'avgpool', 'fc6', 'fc8']) {
          expectClose(await engine.read(layer), cpu.values.get(layer)!.data, 1e-4, `${layer} (seed ${seed})`);
        }
        // The CPU backward runs on the GPU's own forward values (checked against the CPU forward
        // just above), so both take the same ReLU and max-pool decisions: among ~1.5M ReLU inputs
        // and max-pool windows of random weights some always lie within f32 rounding of a tie,
        // and a flipped one moves the gradient by far more than rounding.
        const gpuValues: CpuForward = { values: new Map([[model.input.name, cpu.values.get(model.input.name)!]]) };
        for (const l of model.layers) gpuValues.values.set(l.name, { batch: 1, shape: l.shape, data: Float64Array.from(await engine.read(l.name)) });
        engine.backward({ kind: 'loss' }, { labels: [3], weightGrads: 'none' });
        const cpuB = cpuBackward(model, gpuValues, { kind: 'loss' }, [3]);
        // The whole gradient is held to 1e-4 in relative L2 (a wrong index or kernel gives O(1))
        // and single entries to 1e-3 of the scale.
        for (const node of ['input', 'conv1', 'conv3', 'fc7']) {
          const got = (await engine.readGrad(node))!, want = cpuB.grads.get(node)!.data;
          expectClose(got, want, 1e-3, `gradient at ${node} (seed ${seed})`);
          let d2 = 0, w2 = 0;
          for (let i = 0; i < want.length; i++) { d2 += (got[i] - want[i]) ** 2; w2 += want[i] ** 2; }
          expect(Math.sqrt(d2 / w2), `relative L2 error of the gradient at ${node} (seed ${seed})`).toBeLessThan(1e-4);
        }
      });
    } finally {
      engine.destroy();
    }
  });

  it('sizes batches from the adapter limits', async () => {
    const device = await testDevice();
    const small = Engine.create(device, model, { memoryBudget: 64 << 20 });
    const engine = Engine.create(device, model);
    try {
      // Per image, AlexNet's activations alone are ~3.8 MB: a 64 MB budget allows only a few.
      expect(small.maxBatch).toBeGreaterThanOrEqual(1);
      expect(small.maxBatch).toBeLessThan(8);
      expect(engine.maxBatch).toBeGreaterThan(small.maxBatch);
      expect(engine.maxBatch * 64 * 55 * 55 * 4).toBeLessThanOrEqual(device.limits.maxStorageBufferBindingSize);
    } finally {
      small.destroy();
      engine.destroy();
    }
  });
});

describe('streaming batches', () => {
  it('GPU memory does not grow with the number of batches', async () => {
    const device = await testDevice();
    const model = buildModel('vgg-64', { channels: 3, height: 32, width: 32 }, [
      { name: 'c1', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [16, 3, 3, 3], bias: [16] } },
      { name: 'r1', op: 'relu' },
      { name: 'p1', op: 'maxpool', attrs: { kernel: [2, 2] } },
      { name: 'c2', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [32, 16, 3, 3], bias: [32] } },
      { name: 'r2', op: 'relu' },
      { name: 'f', op: 'flatten' },
      { name: 'fc', op: 'linear', params: { weight: [10, 32 * 16 * 16], bias: [10] } },
    ], 10);
    const engine = Engine.create(device, model, { maxBatch: 8 });
    try {
      const per = 3 * 32 * 32;
      const sizes: number[] = [];
      // 5 full batches and a short last one, twice: two batch sizes, nothing more held.
      for (let round = 0; round < 2; round++) {
        for (let b = 0; b < 6; b++) {
          const n = b < 5 ? 8 : 3;
          engine.forward(randomArray(n * per, rng(b + 10 * round), 1), n);
          engine.backward({ kind: 'loss' }, { labels: new Array(n).fill(b), weightGrads: 'perImage' });
          await engine.readParamGrad('c2', 'weight');
        }
        sizes.push(engine.gpuBytes);
      }
      expect(sizes[1]).toBe(sizes[0]);
      expect(engine.pool.peakBytes).toBeLessThanOrEqual(sizes[0]);
    } finally {
      engine.destroy();
    }
  });
});
