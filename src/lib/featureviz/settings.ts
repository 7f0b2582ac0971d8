// Feature-visualization settings and their defaults: Lucid/Lucent's Fourier parameterization
// with colour decorrelation and transformation robustness, then Adam at lr 0.15 for 224 steps
// whose last half sees the untransformed image (the feed-back check's settings, docs/featureviz.md).
// Shared by the optimizer, the worker API, the atlas command and the cache key.

export interface VizSettings {
  /** 'pixel': optimize pixels directly; 'fft': Fourier coefficients scaled by 1/frequency. */
  param: 'pixel' | 'fft';
  /** Colour decorrelation (RGB models only; grey models ignore it). */
  decorrelate: boolean;
  /** Pad, jitter, random scale and rotation every step. */
  transforms: boolean;
  steps: number;
  /**
   * Steps (from the first) that may use the redirected ReLU gradient (a gradient that would
   * raise a negative ReLU input goes through): per image, only where the ordinary gradient
   * is zero everywhere, so units behind ReLUs that are all zero on the grey start still
   * move. 0 turns it off; later steps use the ordinary gradient.
   */
  redirectSteps: number;
  /**
   * Steps (from the first) that optimize the warm-up objective (warmup.ts): a unit read
   * through a ReLU also asks for the map before the ReLU, so a unit that is all zero on the
   * grey start gets a gradient. 0 turns it off; when not given, until the polish begins.
   */
  warmupSteps: number;
  /**
   * The fraction of the steps, at the end, that optimize the untransformed image (transforms
   * off): the image found under transformation robustness settles on a maximum of the
   * objective as it is shown. 0: none; 1: no transforms at all. See polishStepsOf.
   */
  polish: number;
  lr: number;
  seed: number;
}

/**
 * The optimizer's version: raised whenever the same settings come to give other images (the
 * random streams, the warm-up), so cached visualizations of an older one are not shown.
 */
export const VIZ_ALGORITHM = 2;

export const DEFAULT_VIZ_SETTINGS: VizSettings = {
  param: 'fft',
  decorrelate: true,
  transforms: true,
  steps: 224,
  redirectSteps: 0,
  // Until the polish begins (vizSettings derives it so for any steps and polish): a unit still
  // dead after a few dozen steps, or killed by a transform, comes alive.
  warmupSteps: 112,
  polish: 0.5,
  lr: 0.15,
  seed: 0,
};

/** Settings with defaults filled in and every field checked (clear messages, no NaN). */
export function vizSettings(partial: Partial<VizSettings> = {}): VizSettings {
  // Fields given as undefined keep their defaults.
  const given = Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<VizSettings>;
  const s = { ...DEFAULT_VIZ_SETTINGS, ...given };
  // The warm-up lasts until the polish begins unless given (a bad polish is reported below).
  if (given.warmupSteps === undefined && s.polish >= 0 && s.polish <= 1 && Number.isInteger(s.steps)) s.warmupSteps = s.steps - polishStepsOf(s);
  if (s.param !== 'pixel' && s.param !== 'fft') throw new RangeError(`parameterization "${String(s.param)}": expected pixel or fft`);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 10000) throw new RangeError(`steps ${s.steps}: expected an integer in 1..10000`);
  if (!Number.isInteger(s.redirectSteps) || s.redirectSteps < 0 || s.redirectSteps > 10000)
    throw new RangeError(`redirected ReLU steps ${s.redirectSteps}: expected an integer in 0..10000`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0 || s.warmupSteps > 10000)
    throw new RangeError(`warm-up steps ${s.warmupSteps}: expected an integer in 0..10000`);
  if (!(s.polish >= 0 && s.polish <= 1)) throw new RangeError(`polish ${s.polish}: expected a fraction of the steps in [0, 1]`);
  if (!(s.lr > 0 && s.lr <= 10)) throw new RangeError(`learning rate ${s.lr}: expected a number in (0, 10]`);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new RangeError(`seed ${s.seed}: expected an integer in 0..2^32-1`);
  return { param: s.param, decorrelate: !!s.decorrelate, transforms: !!s.transforms, steps: s.steps, redirectSteps: s.redirectSteps, warmupSteps: s.warmupSteps, polish: s.polish, lr: s.lr, seed: s.seed };
}

/** How many of the last steps optimize the untransformed image. */
export function polishStepsOf(s: VizSettings): number {
  return Math.round(s.polish * s.steps);
}
