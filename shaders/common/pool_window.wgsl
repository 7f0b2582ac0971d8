// Pooling windows along one axis, shared by the pooling shaders (included, not a pipeline).
// window(o): [start, end) of output o's window clipped to the input, and its extent clipped
// to the padding [-pad, in + padEnd) (the countIncludePad divisor); ADAPTIVE windows are
// [floor(o*in/out), ceil((o+1)*in/out)). candidates(i): the output indices whose window may
// contain input position i.

fn window(o: u32, inLen: u32, outLen: u32, k: u32, s: u32, pad: u32, padEnd: u32) -> vec3i {
#if ${ADAPTIVE}
  let st = i32((o * inLen) / outLen);
  let en = i32(((o + 1u) * inLen + outLen - 1u) / outLen);
  return vec3i(st, en, en - st);
#else
  var st = i32(o * s) - i32(pad);
  var en = min(st + i32(k), i32(inLen + padEnd));
  let padded = en - st;
  st = max(st, 0);
  en = min(en, i32(inLen));
  return vec3i(st, en, padded);
#endif
}

fn candidates(i: u32, inLen: u32, outLen: u32, k: u32, s: u32, pad: u32) -> vec2i {
#if ${ADAPTIVE}
  let lo = i32((i * outLen) / inLen);
  let hi = i32(((i + 1u) * outLen + inLen - 1u) / inLen) - 1;
  return vec2i(max(lo, 0), min(hi, i32(outLen) - 1));
#else
  let t = i32(i + pad);
  return vec2i(max(0, (t - i32(k) + i32(s)) / i32(s)), min(i32(outLen) - 1, t / i32(s)));
#endif
}
