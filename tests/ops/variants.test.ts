// Every conv kernel family (register-blocked and workgroup-tiled) against the CPU reference on
// the op harness's conv2d and linear cases (odd sizes, stride, padding, padEnd, dilation, groups,
// accumulate, summed and per-image kernel gradients), each family forced for every pass.
import { describe, it } from 'vitest';
import { testDevice } from '../helpers/gpu';
import { freshSeed } from '../helpers/random';
import { runOpCase } from './harness';
import { conv2dCases } from './cases/conv2d';
import { linearCases } from './cases/linear';
import { CONV_VARIANTS } from '../../src/lib/ops/conv2d';

const cases = [...conv2dCases, ...linearCases];

for (const variant of CONV_VARIANTS) {
  describe(`conv family "${variant}" vs CPU reference`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const device = await testDevice();
        await runOpCase(device, c, freshSeed(), variant);
      });
    }
  });
}
