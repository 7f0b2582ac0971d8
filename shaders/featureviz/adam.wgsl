// One Adam step that ascends the objective: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// theta += lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), g = dF/dtheta (PyTorch's
// Adam minimizing -F). step: [lr / (1 - b1^t), 1 / (1 - b2^t)], written before each step.

struct Params { count: u32, beta1: f32, beta2: f32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> step: array<f32>;
@group(0) @binding(3) var<storage, read_write> theta: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= p.count) { return; }
  let g = grad[t];
  let mt = p.beta1 * m[t] + (1.0 - p.beta1) * g;
  let vt = p.beta2 * v[t] + (1.0 - p.beta2) * g * g;
  m[t] = mt;
  v[t] = vt;
  theta[t] += step[0] * mt / (sqrt(vt * step[1]) + p.eps);
}
