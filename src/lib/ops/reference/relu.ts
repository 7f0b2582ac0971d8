// CPU reference (f64) of the ReLU gradient: the ordinary one (dy where x > 0) and the
// redirected one of feature visualization (dy where x > 0 or dy > 0).

/** dF/dx from dF/dy = g at inputs x; `redirect` also passes gradients that would raise x. */
export function reluGradient(x: ArrayLike<number>, g: ArrayLike<number>, redirect: boolean): Float64Array {
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) out[i] = x[i] > 0 || (redirect && g[i] > 0) ? g[i] : 0;
  return out;
}
