// Target of a backward pass: per image n, the scalar value F_n of a node's output and the
// gradient dF_n/d(output) that seeds backpropagation. The target of a batch is the sum of
// F_n over its images, so batches of a stream add up exactly. One workgroup per image.
// Variants (MODE): 0 weighted channel means (a feature's mean, a direction, a layer);
// 1 a channel's max (gradient to the first maximum); 2 the value at one channel and
// position (a class logit is position 0); 3 a class probability (softmax of the row);
// 4 cross-entropy against labels[n]. Images n >= count get a zero value and gradient.

struct Params { batch: u32, channels: u32, plane: u32, count: u32, channel: u32, position: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> channelWeights: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> seed: array<f32>;
@group(0) @binding(5) var<storage, read_write> values: array<f32>;

override WG: u32 = 64;
var<workgroup> red: array<f32, WG>;
var<workgroup> redIdx: array<u32, WG>;
var<workgroup> rowStats: array<f32, 2>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.x;
  let t = lid.x;
  let size = p.channels * p.plane;
  let base = n * size;
  let isCounted = n < p.count;

  if (${MODE} == 0u) {
    var s = 0.0;
    for (var i = t; i < size; i += WG) { s += channelWeights[i / p.plane] * y[base + i]; }
    red[t] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k /= 2u) {
      if (t < k) { red[t] += red[t + k]; }
      workgroupBarrier();
    }
    for (var i = t; i < size; i += WG) {
      seed[base + i] = select(0.0, channelWeights[i / p.plane] / f32(p.plane), isCounted);
    }
    if (t == 0u) { values[n] = select(0.0, red[0] / f32(p.plane), isCounted); }
  } else if (${MODE} == 1u) {
    let cBase = base + p.channel * p.plane;
    var best = -3.4e38;
    var bestIdx = 0xffffffffu;
    for (var q = t; q < p.plane; q += WG) {
      let v = y[cBase + q];
      if (bestIdx == 0xffffffffu || v > best) { best = v; bestIdx = q; }
    }
    red[t] = best;
    redIdx[t] = bestIdx;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k /= 2u) {
      if (t < k) {
        let v = red[t + k];
        let j = redIdx[t + k];
        if (j != 0xffffffffu && (redIdx[t] == 0xffffffffu || v > red[t] || (v == red[t] && j < redIdx[t]))) {
          red[t] = v;
          redIdx[t] = j;
        }
      }
      workgroupBarrier();
    }
    let arg = redIdx[0];
    for (var i = t; i < size; i += WG) {
      seed[base + i] = select(0.0, 1.0, isCounted && i == p.channel * p.plane + arg);
    }
    if (t == 0u) { values[n] = select(0.0, red[0], isCounted); }
  } else if (${MODE} == 2u) {
    let at = p.channel * p.plane + p.position;
    for (var i = t; i < size; i += WG) { seed[base + i] = select(0.0, 1.0, isCounted && i == at); }
    if (t == 0u) { values[n] = select(0.0, y[base + at], isCounted); }
  } else {
    // Softmax statistics of the row, computed by one invocation (rows are class counts).
    if (t == 0u) {
      var m = y[base];
      for (var i = 1u; i < size; i++) { m = max(m, y[base + i]); }
      var s = 0.0;
      for (var i = 0u; i < size; i++) { s += exp(y[base + i] - m); }
      rowStats[0] = m;
      rowStats[1] = s;
    }
    workgroupBarrier();
    let m = rowStats[0];
    let s = rowStats[1];
    if (${MODE} == 3u) {
      let pc = exp(y[base + p.channel] - m) / s;
      for (var i = t; i < size; i += WG) {
        let pi = exp(y[base + i] - m) / s;
        seed[base + i] = select(0.0, pc * (select(0.0, 1.0, i == p.channel) - pi), isCounted);
      }
      if (t == 0u) { values[n] = select(0.0, pc, isCounted); }
    } else {
      let label = labels[n];
      for (var i = t; i < size; i += WG) {
        let pi = exp(y[base + i] - m) / s;
        seed[base + i] = select(0.0, pi - select(0.0, 1.0, i == label), isCounted);
      }
      if (t == 0u) { values[n] = select(0.0, log(s) + m - y[base + label], isCounted); }
    }
  }
}
