// Class-probability terms on the logits (post-softmax): MODE 0 writes each term's value
// values[(first + t) * batch + n] = softmax(y_n)[class_t]; MODE 1 adds their gradient
// coef * p_c (delta_ci - p_i) to the seed at the logits. One invocation per image.

struct Params { batch: u32, size: u32, terms: u32, first: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> classes: array<u32>;
@group(0) @binding(3) var<storage, read> coef: array<f32>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;
@group(0) @binding(5) var<storage, read_write> seed: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.z * nwg.x * WG;
  if (n >= p.batch) { return; }
  let base = n * p.size;
  var m = y[base];
  for (var i = 1u; i < p.size; i++) { m = max(m, y[base + i]); }
  var s = 0.0;
  for (var i = 0u; i < p.size; i++) { s += exp(y[base + i] - m); }
  for (var term = 0u; term < p.terms; term++) {
    let c = classes[term];
    let pc = exp(y[base + c] - m) / s;
    let k = (p.first + term) * p.batch + n;
    if (${MODE} == 0u) {
      values[k] = pc;
    } else {
      let g = coef[k] * pc;
      for (var i = 0u; i < p.size; i++) {
        let pi = exp(y[base + i] - m) / s;
        seed[base + i] += g * (select(0.0, 1.0, i == c) - pi);
      }
    }
  }
}
