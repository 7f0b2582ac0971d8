// Feature-visualization settings and their defaults (Lucid/Lucent's: Fourier parameterization
// with colour decorrelation, transformation robustness, Adam at lr 0.05 for 512 steps).
// Shared by the optimizer, the worker API, the atlas command and the cache key.

export interface VizSettings {
  /** 'pixel': optimize pixels directly; 'fft': Fourier coefficients scaled by 1/frequency. */
  param: 'pixel' | 'fft';
  /** Colour decorrelation (RGB models only; grey models ignore it). */
  decorrelate: boolean;
  /** Pad, jitter, random scale and rotation every step. */
  transforms: boolean;
  steps: number;
  lr: number;
  seed: number;
}

export const DEFAULT_VIZ_SETTINGS: VizSettings = {
  param: 'fft',
  decorrelate: true,
  transforms: true,
  steps: 512,
  lr: 0.05,
  seed: 0,
};

/** Settings with defaults filled in and every field checked (clear messages, no NaN). */
export function vizSettings(partial: Partial<VizSettings> = {}): VizSettings {
  // Fields given as undefined keep their defaults.
  const given = Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<VizSettings>;
  const s = { ...DEFAULT_VIZ_SETTINGS, ...given };
  if (s.param !== 'pixel' && s.param !== 'fft') throw new RangeError(`parameterization "${String(s.param)}": expected pixel or fft`);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 10000) throw new RangeError(`steps ${s.steps}: expected an integer in 1..10000`);
  if (!(s.lr > 0 && s.lr <= 10)) throw new RangeError(`learning rate ${s.lr}: expected a number in (0, 10]`);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new RangeError(`seed ${s.seed}: expected an integer in 0..2^32-1`);
  return { param: s.param, decorrelate: !!s.decorrelate, transforms: !!s.transforms, steps: s.steps, lr: s.lr, seed: s.seed };
}
