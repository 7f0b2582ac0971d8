// The gradient that seeds backpropagation at one node from its linear terms:
// seed[n, i] = sum_t coef[(first + t) * batch + n] * weights[t, i], coef = dF/d(term value).

struct Params { batch: u32, size: u32, terms: u32, first: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> seed: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= p.batch * p.size) { return; }
  let n = t / p.size;
  let i = t % p.size;
  var s = 0.0;
  for (var term = 0u; term < p.terms; term++) { s += coef[(p.first + term) * p.batch + n] * weights[term * p.size + i]; }
  seed[t] = s;
}
