// Seeded random numbers for tests (fresh inputs per seed, reproducible on failure).

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function randomArray(n: number, r: () => number, scale = 1): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** A seed that differs on every run unless TEST_SEED is set; tests print it on failure. */
export function freshSeed(): number {
  const fixed = process.env.TEST_SEED;
  return fixed ? Number(fixed) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
}
