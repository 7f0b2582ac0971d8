// Edge (kernel) saliency from weights and per-image weight gradients, one invocation per
// edge e = (row, j) whose K taps are W[e*K .. e*K + K): scores[e] (+)= sum over images n of
// MODE 0 (snip): 1/K sum_k abs(W_k G[n]_k);
// MODE 1 (actgrad-mean): abs(1/m sum_k W_k G[n]_k);
// MODE 2 (magnitude): 1/K sum_k abs(W_k), once, without images.

struct Params { edges: u32, taps: u32, batch: u32, positions: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.z * nwg.x * WG;
  if (e >= p.edges) { return; }
  let base = e * p.taps;
  let len = p.edges * p.taps;
  var s = 0.0;
  if (${MODE} == 2u) {
    for (var k = 0u; k < p.taps; k++) { s += abs(w[base + k]); }
    s /= f32(p.taps);
  } else {
    for (var n = 0u; n < p.batch; n++) {
      var t = 0.0;
      for (var k = 0u; k < p.taps; k++) {
        let v = w[base + k] * grads[n * len + base + k];
        if (${MODE} == 0u) { t += abs(v); } else { t += v; }
      }
      if (${MODE} == 0u) { s += t / f32(p.taps); } else { s += abs(t / f32(p.positions)); }
    }
  }
  if (p.accumulate != 0u) { s += scores[e]; }
  scores[e] = s;
}
