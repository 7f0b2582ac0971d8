// Objective terms that are linear in one node's output: values[(first + t) * batch + n] =
// sum_i weights[t, i] * y[n, i] (a channel's mean, a neuron, a layer, a logit, a direction,
// an edge's pre-sum map mean on the edge's input). One invocation per (term, image).

struct Params { batch: u32, size: u32, terms: u32, first: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= p.terms * p.batch) { return; }
  let term = t / p.batch;
  let n = t % p.batch;
  var s = 0.0;
  for (var i = 0u; i < p.size; i++) { s += weights[term * p.size + i] * y[n * p.size + i]; }
  values[(p.first + term) * p.batch + n] = s;
}
