// The contrast expression parser and score combination.

import { describe, it, expect } from 'vitest';
import { parseContrast, combineScores, ContrastSyntaxError } from '../../src/lib/circuits/contrast';
import { pearson, compareValues } from '../../src/lib/circuits/preservation';

describe('contrast expressions', () => {
  it('parses sums and differences with weights and quoted names', () => {
    expect(parseContrast('Sandal - all')).toEqual([{ weight: 1, set: 'Sandal' }, { weight: -1, set: 'all' }]);
    expect(parseContrast('2*Bag - 0.5 * Coat + Ankle boot')).toEqual([
      { weight: 2, set: 'Bag' }, { weight: -0.5, set: 'Coat' }, { weight: 1, set: 'Ankle boot' },
    ]);
    expect(parseContrast('"T-shirt/top" - class:3')).toEqual([{ weight: 1, set: 'T-shirt/top' }, { weight: -1, set: 'class:3' }]);
    expect(parseContrast('-all')).toEqual([{ weight: -1, set: 'all' }]);
    expect(parseContrast('image:12')).toEqual([{ weight: 1, set: 'image:12' }]);
  });
  it('rejects bad expressions with a message that says where', () => {
    for (const [bad, msg] of [
      ['', /empty/], ['Sandal -', /ends after an operator/], ['"Sandal', /unclosed quote/],
      ['Sandal * 2', /unexpected "\*"/], ['Bag - - Coat', /expected an image set name at character 7/],
    ] as const) {
      expect(() => parseContrast(bad)).toThrow(ContrastSyntaxError);
      expect(() => parseContrast(bad)).toThrow(msg);
    }
  });
  it('combines scores linearly and clips negatives to 0', () => {
    const a = Float32Array.from([3, 1, 0.5]);
    const b = Float32Array.from([1, 2, 0.25]);
    expect(Array.from(combineScores([{ weight: 1, values: a }, { weight: -1, values: b }]))).toEqual([2, 0, 0.25]);
  });
});

describe('preservation statistics', () => {
  it('Pearson r of hand-computed cases', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = [1,2,3,4], y = [1,3,2,4]: cov 1.25*... r = 0.8 exactly.
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
  });
  it('a constant circuit output is a collapse with r = 0', () => {
    const p = compareValues(Float64Array.from([1, 2, 3]), Float64Array.from([0, 0, 0]));
    expect(p).toEqual({ r: 0, meanAbsDiffOverStd: 2 / Math.sqrt(2 / 3), collapsed: true });
  });
});
