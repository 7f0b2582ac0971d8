// The conv family "gemm" cut into many chunks of positions (its chunk limit lowered to a few
// columns), so chunks straddle images: every pass against the CPU reference on the conv2d and
// linear cases, with each route of backward to input, and the chunk plan itself (covers every
// position once, columns a multiple of 4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/gpu';
import { freshSeed } from '../helpers/random';
import { runOpCase } from './harness';
import { conv2dCases } from './cases/conv2d';
import { linearCases } from './cases/linear';
import { gemmChunks, gemmLimits } from '../../src/lib/ops/conv2dGemm';

describe('gemm chunk plan', () => {
  it('covers 0..total once, in columns that are multiples of 4 and fit the limit', () => {
    const saved = gemmLimits.chunkFloats;
    try {
      for (const [limit, total, perColumn] of [[1 << 22, 100352, 288], [200, 63, 9], [200, 5, 64], [1 << 22, 3, 1]]) {
        gemmLimits.chunkFloats = limit;
        const chunks = gemmChunks(total, perColumn);
        let next = 0;
        for (const c of chunks) {
          expect(c.p0).toBe(next);
          expect(c.ncp % 4).toBe(0);
          expect(c.len).toBeGreaterThan(0);
          expect(c.len).toBeLessThanOrEqual(c.ncp);
          if (c.ncp > 4) expect(c.ncp * perColumn).toBeLessThanOrEqual(limit);
          next += c.len;
        }
        expect(next).toBe(total);
      }
    } finally {
      gemmLimits.chunkFloats = saved;
    }
  });
});

// Backward to input at stride 1 runs as a conv of dY ('flipped') or through col2im: both, everywhere.
for (const route of ['flipped', 'col2im'] as const) {
  describe(`conv family "gemm" in many chunks, backward to input ${route}, vs CPU reference`, () => {
    const saved = { ...gemmLimits };
    beforeAll(() => Object.assign(gemmLimits, { chunkFloats: 160, backwardInput: route }));
    afterAll(() => Object.assign(gemmLimits, saved));
    for (const c of [...conv2dCases, ...linearCases]) {
      it(c.name, async () => {
        const device = await testDevice();
        await runOpCase(device, c, freshSeed(), 'gemm');
      });
    }
  });
}
