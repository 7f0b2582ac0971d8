// Leaky ReLU forward, elementwise: y = x where x > 0, else alpha * x
// (torch.nn.LeakyReLU(negative_slope = alpha), ONNX LeakyRelu).

struct Params { count: u32, alpha: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  let v = x[i];
  y[i] = select(p.alpha * v, v, v > 0.0);
}
