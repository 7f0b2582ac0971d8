// A circuit target's value for one image, from the read-back output of the target's layer:
// a map's mean, max or value at a position, a direction, a logit, a probability or the loss.

import type { Target } from '../../engine/targets';
import { shapeSize } from '../../model/types';

/** A target's value for one image from its layer's output `y` (one image, `shape`). */
export function targetValueOf(target: Target, y: Float32Array, shape: number[], label: number | null): number {
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  if (y.length !== shapeSize(shape)) throw new RangeError(`expected ${shapeSize(shape)} values, got ${y.length}`);
  switch (target.kind) {
    case 'featureMean': {
      let s = 0;
      for (let q = 0; q < plane; q++) s += y[target.channel * plane + q];
      return s / plane;
    }
    case 'featureMax': {
      let m = -Infinity;
      for (let q = 0; q < plane; q++) m = Math.max(m, y[target.channel * plane + q]);
      return m;
    }
    case 'featureAt':
      return y[target.channel * plane + target.y * (shape[2] ?? 1) + target.x];
    case 'direction': {
      let s = 0;
      for (let c = 0; c < target.weights.length; c++) for (let q = 0; q < plane; q++) s += target.weights[c] * y[c * plane + q];
      return s / plane;
    }
    case 'classLogit':
      return y[target.class];
    case 'classProbability':
    case 'loss': {
      let m = -Infinity;
      for (const v of y) m = Math.max(m, v);
      let s = 0;
      for (const v of y) s += Math.exp(v - m);
      const c = target.kind === 'loss' ? (label ?? 0) : target.class;
      return target.kind === 'loss' ? Math.log(s) + m - y[c] : Math.exp(y[c] - m) / s;
    }
  }
}
