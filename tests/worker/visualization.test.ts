// Feature visualization through the session on fashion-small: a node's image, decoded from
// the RGBA the page gets, scores the reported objective in the CPU reference network; frames
// stream; finished images come from the cache; circuits run masked and leave the engine whole.

import { describe, it, expect, afterAll } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { SessionVisualizer, weightsHash } from '../../src/lib/worker/view/visualization';
import { memoryVizCache } from '../../src/lib/worker/view/vizCache';
import { cpuForward } from '../../src/lib/cpu/reference';
import type { VizFrame } from '../../src/lib/worker/protocol';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { builtinImageSet, normalizedImage } from './helpers';

const model = loadBuiltinModel('fashion-small');
const images = builtinImageSet('fashion-small');
let engine: Engine | null = null;
afterAll(() => engine?.destroy());

/** The grey pixels [0, 1] an RGBA image shows, normalized as the model's input. */
function normalizedFromRgba(rgba: Uint8ClampedArray): Float64Array {
  const { mean, std } = model.input;
  return Float64Array.from({ length: rgba.length / 4 }, (_, i) => (rgba[4 * i] / 255 - mean[0]) / std[0]);
}

describe('visualization', () => {
  it('node and edge images, frames, cache, circuits and bad requests', async () => {
    engine = Engine.create(await testDevice(), model);
    const session = new MicroscopeSession(engine, images);
    const viz = new SessionVisualizer(session, memoryVizCache());
    const conv2 = session.graph.layers.find((l) => l.name === 'conv2')!;
    const settings = { steps: 12, param: 'pixel' as const, transforms: false };
    const frames: VizFrame[] = [];
    const phases: string[] = [];
    const r = await viz.visualize({ unit: { kind: 'node', node: conv2.nodeStart + 3 }, settings }, {
      frameEvery: 4, onFrame: (f) => frames.push(f), progress: (p) => phases.push(p),
    });
    expect(r.cached).toBe(false);
    expect(r.objectiveString).toBe('channel:relu2:3'); // the filter's map after its ReLU
    expect([r.width, r.height, r.rgba.length]).toEqual([28, 28, 28 * 28 * 4]);
    expect(r.settings.steps).toBe(12);
    expect(frames.map((f) => f.step)).toEqual([4, 8, 12]);
    expect(Array.from(frames.at(-1)!.rgba)).toEqual(Array.from(r.rgba));
    expect(phases[0]).toBe('Optimizing the image');
    // Independent check: the image the page shows, through the CPU network, has the objective.
    const y = cpuForward(model, normalizedFromRgba(r.rgba), 1).values.get('relu2')!;
    const plane = 14 * 14;
    const mean = y.data.subarray(3 * plane, 4 * plane).reduce((a, v) => a + v, 0) / plane;
    // 8-bit display rounding moves each pixel by at most 1/510
    expect(Math.abs(mean - r.objective)).toBeLessThan(2e-3);
    expect(Math.abs(r.objective)).toBeGreaterThan(1e-2);

    const again = await viz.visualize({ unit: { kind: 'node', node: conv2.nodeStart + 3 }, settings });
    expect(again.cached).toBe(true);
    expect(Array.from(again.rgba)).toEqual(Array.from(r.rgba));

    const edge = conv2.edgeStart + 5;
    const e = await viz.visualize({ unit: { kind: 'edge', edge }, settings: { ...settings, steps: 4 } });
    expect(e.objectiveString).toBe(`edge:conv2:${session.graph.edgeOut[edge]}:${session.graph.edgeIn[edge]}`);

    const before = await engine.logits(Float32Array.from(normalizedImage(model, images, 0)), 1);
    const inCircuit = await viz.visualize({
      unit: { kind: 'node', node: conv2.nodeStart + 3 }, settings,
      circuit: { target: 'node:conv2:3', images: 'image:0', criterion: 'magnitude', cut: { kind: 'keep', value: 0.3 } },
    });
    expect(inCircuit.cached).toBe(false);
    expectClose(await engine.logits(Float32Array.from(normalizedImage(model, images, 0)), 1), before, 1e-6, 'logits after a circuit run');

    await expect(viz.visualize({ unit: { kind: 'node', node: 0 } })).rejects.toThrow(/input channel/);
    await expect(viz.visualize({ unit: { kind: 'node', node: conv2.nodeStart }, settings: { steps: 0 } })).rejects.toThrow(/steps 0/);
    await expect(viz.visualize({ unit: { kind: 'objective', objective: '' } })).rejects.toThrow(/objective is empty/);
    await expect(viz.visualize({ unit: { kind: 'edge', edge: -3 } })).rejects.toThrow(/edge -3 does not exist/);
    expect(weightsHash(model)).toMatch(/^[0-9a-f]{8}$/);
    expect(weightsHash(loadBuiltinModel('digits'))).not.toBe(weightsHash(model));
  });
});
