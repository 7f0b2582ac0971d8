// The objective as a polynomial in its term values, per image n: F_n = sum over monomials m
// (of image n, or of every image) of weight_m * prod of its terms' values; writes F_n and
// coef[t, n] = dF_n / d(value of term t). table: M start offsets, then per monomial
// [image or 0xffffffff, degree, term indices...]; monomial m starts at table[table[m]].

struct Params { batch: u32, terms: u32, monomials: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> coef: array<f32>;
@group(0) @binding(5) var<storage, read_write> total: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.z * nwg.x * WG;
  if (n >= p.batch) { return; }
  for (var t = 0u; t < p.terms; t++) { coef[t * p.batch + n] = 0.0; }
  var f = 0.0;
  for (var m = 0u; m < p.monomials; m++) {
    let start = table[m];
    let image = table[start];
    let degree = table[start + 1u];
    if (image != 0xffffffffu && image != n) { continue; }
    var prod = weights[m];
    for (var j = 0u; j < degree; j++) { prod *= values[table[start + 2u + j] * p.batch + n]; }
    f += prod;
    for (var j = 0u; j < degree; j++) {
      var d = weights[m];
      for (var k = 0u; k < degree; k++) {
        if (k != j) { d *= values[table[start + 2u + k] * p.batch + n]; }
      }
      let t = table[start + 2u + j];
      coef[t * p.batch + n] += d;
    }
  }
  total[n] = f;
}
