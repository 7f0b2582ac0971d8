// The one decimal pattern of visitor text: what it accepts and refuses, and that a long run of
// digits followed by a letter (which made the earlier pattern backtrack quadratically: 19 s for
// 100,000 digits in a link) is refused, in a link, a target and an objective alike.

import { describe, it, expect } from 'vitest';
import { isDecimal } from '../../src/lib/text/decimal';
import { parseViewState } from '../../src/lib/state/url';
import { parseTarget, QuerySpecError, type QueryModel } from '../../src/lib/circuits/querySpec';

const digits = '7'.repeat(100_000);

describe('decimal numbers', () => {
  it('accepts plain decimals and refuses everything else', () => {
    for (const s of ['0', '12', '-3', '+4.5', '.5', '5.', '1e3', '1E-3', '-2.5e+7', '0.125']) expect(isDecimal(s), s).toBe(true);
    for (const s of ['', '.', '-', 'e3', '1e', '1.2.3', '0x10', 'Infinity', 'NaN', ' 1', '1 ', '1_000', '--1', '1e3.5']) expect(isDecimal(s), s).toBe(false);
  });

  it('refuses 100,000 digits and a letter in one pass, in a link, a target and a number', () => {
    expect(isDecimal(`${digits}x`)).toBe(false);
    expect(isDecimal(`${digits}.${digits}e${digits}`)).toBe(true);
    const { state, warnings } = parseViewState(new URLSearchParams({ keep: `${digits}x` }));
    expect(state.cut).toEqual({ kind: 'keep', value: 0.1 });
    expect(warnings.some((w) => /keep/.test(w))).toBe(true);
    const model: QueryModel = {
      classes: ['a', 'b'], output: 'fc', input: { name: 'input', channels: 1, height: 2, width: 2 },
      layers: [{ name: 'fc', shape: [2], inputs: ['input'], flow: { kind: 'kernels', groups: 1, window: 'whole' } }],
    };
    expect(() => parseTarget(`direction:fc:1,${digits.slice(0, 400)}x`, model)).toThrow(QuerySpecError);
  });
});
