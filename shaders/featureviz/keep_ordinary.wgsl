// Per image: keep the ordinary input gradient of the true objective when it is nonzero anywhere
// (and, with POSITIVE, the image's objective is above 0), else keep the fallback already in
// `grad`: the redirected ReLU gradient (POSITIVE: a unit not yet active keeps being pushed to
// come alive), or the warm-up objective's gradient (without POSITIVE). One workgroup per image.

struct Params { batch: u32, per: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ordinary: array<f32>;
@group(0) @binding(2) var<storage, read> objective: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

override WG: u32 = 64;

var<workgroup> alive: atomic<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.z * nwg.x;
  if (b >= p.batch) { return; }
  if (lid == 0u) { atomicStore(&alive, 0u); }
  workgroupBarrier();
  let base = b * p.per;
  for (var i = lid; i < p.per; i += WG) {
    if (ordinary[base + i] != 0.0) {
      atomicOr(&alive, 1u);
      break;
    }
  }
  workgroupBarrier();
  if (atomicLoad(&alive) == 0u) { return; }
  // Read in both variants, so the binding stays in the pipeline's layout.
  let positive = ${POSITIVE};
  if (positive && !(objective[b] > 0.0)) { return; }
  for (var i = lid; i < p.per; i += WG) { grad[base + i] = ordinary[base + i]; }
}
