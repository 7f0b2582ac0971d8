// Finds inputs on which f32 and f64 may legitimately route gradients differently: a
// max-pool window whose two largest values nearly tie (the whole gradient of the window
// moves). Tests that compare the f32 GPU with the f64 reference on random data redraw
// such inputs.

import type { Model } from '../../src/lib/model/types';
import type { CpuForward } from '../../src/lib/cpu/reference';
import { poolWindow } from '../../src/lib/ops/reference/pool';

export function maxPoolMargin(model: Model, fwd: CpuForward): number {
  let margin = Infinity;
  for (const l of model.layers) {
    const x = fwd.values.get(l.inputs[0])!;
    let scale = 0;
    for (const v of x.data) scale = Math.max(scale, Math.abs(v));
    if (l.op === 'maxpool') {
      const [C, H, W] = x.shape;
      const [, OH, OW] = l.shape;
      const a = l.attrs as { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
      for (let plane = 0; plane < x.batch * C; plane++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const wh = poolWindow(oh, H, OH, a.kernel[0], a.stride[0], a.padding[0], false);
            const ww = poolWindow(ow, W, OW, a.kernel[1], a.stride[1], a.padding[1], false);
            let best = -Infinity;
            let second = -Infinity;
            for (let ih = wh.start; ih < wh.end; ih++)
              for (let iw = ww.start; iw < ww.end; iw++) {
                const v = x.data[plane * H * W + ih * W + iw];
                if (v > best) { second = best; best = v; } else if (v > second) second = v;
              }
            // Windows of ReLU zeros pass no gradient whichever wins.
            if (second > -Infinity && best !== 0) margin = Math.min(margin, (best - second) / scale);
          }
    }
  }
  return margin;
}
