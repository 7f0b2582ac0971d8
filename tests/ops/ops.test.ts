// Every op's WGSL kernels against its CPU reference on fresh random inputs (see harness.ts).
import { describe, it } from 'vitest';
import { testDevice } from '../helpers/gpu';
import { freshSeed } from '../helpers/random';
import { runOpCase, type OpCase } from './harness';
import { conv2dCases } from './cases/conv2d';
import { linearCases } from './cases/linear';
import { poolCases } from './cases/pool';
import { elementwiseCases } from './cases/elementwise';
import { OPS } from '../../src/lib/ops/registry';

const all: OpCase[] = [...conv2dCases, ...linearCases, ...poolCases, ...elementwiseCases];

describe('WGSL ops vs CPU reference', () => {
  it('covers every registered op', () => {
    const covered = new Set(all.map((c) => c.op));
    const missing = Object.keys(OPS).filter((op) => !covered.has(op));
    if (missing.length) throw new Error(`ops without GPU test cases: ${missing.join(', ')}`);
  });
  it('every registered op declares its channel flow', () => {
    const undeclared = Object.values(OPS).filter((d) => typeof d.channelFlow !== 'function').map((d) => d.op);
    if (undeclared.length) throw new Error(`ops without a channel flow: ${undeclared.join(', ')}`);
  });
  for (const c of all) {
    it(c.name, async () => {
      const device = await testDevice();
      await runOpCase(device, c, freshSeed());
    });
  }
});
