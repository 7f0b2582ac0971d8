// Progressive circuits through the worker's session: provisional circuits arrive while the
// scoring images stream (after the first batch), each marked with how many images it has
// seen, and the final circuit equals, bit for bit, the one of a session asked without them.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import type { CircuitQuery, CircuitResult } from '../../src/lib/worker/protocol';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { randomImageSet } from '../worker/helpers';

const model = loadBuiltinModel('fashion-small');

describe('progressive circuit query (session)', () => {
  it('sends provisional circuits first; the final one equals the plain query bitwise', async () => {
    const device = await testDevice();
    const plainEngine = Engine.create(device, model);
    const engine = Engine.create(device, model);
    try {
      // Three batches of scoring images, so partials are due after the first and the second.
      const images = randomImageSet(model, 2 * (2 * engine.maxBatch + 3), 11);
      const query: CircuitQuery = { target: 'logit:2', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 } };
      const plain = await new MicroscopeSession(plainEngine, images).circuit(query);
      const partials: CircuitResult[] = [];
      const progressive = await new MicroscopeSession(engine, images).circuit(query, { partial: (r) => partials.push(r) });
      expect(partials.length).toBeGreaterThanOrEqual(1);
      expect(partials[0].provisional).toEqual({ images: 16, total: plain.imageCount }); // the session's small first batch
      for (const p of partials) expect(p.provisional!.images).toBeLessThan(plain.imageCount);
      expect(progressive.provisional).toBeUndefined();
      expect(Array.from(progressive.kept)).toEqual(Array.from(plain.kept));
      expect(new Uint32Array(progressive.edgeImportance.buffer)).toEqual(new Uint32Array(plain.edgeImportance.buffer));
      expect(progressive.kernelsKept).toBe(plain.kernelsKept);
    } finally {
      engine.destroy();
      plainEngine.destroy();
    }
  });
});
