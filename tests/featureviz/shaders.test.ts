// The feature-visualization shaders against CPU references in f64: the inverse real DFT of
// the scaled spectrum (also against numpy's irfft2 fixtures) and its adjoint (dot-product
// test), the colour mix + sigmoid (also against Lucent's decorrelation) and its adjoint, the
// affine bilinear transform and its adjoint, and Adam.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Kernels, f32, i32 } from '../../src/lib/engine/kernels';
import { spectrumScale, spectrumWidth, twiddles } from '../../src/lib/featureviz/fft';
import { colourMix } from '../../src/lib/featureviz/colour';
import { affineFor, adjointReach, drawTransforms } from '../../src/lib/featureviz/transforms';
import { irfftRef, toPixelsRef, affineRef, adamRef } from '../../src/lib/featureviz/reference';
import { seededUniform } from '../../src/lib/circuits/saliency';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { rng, randomArray, freshSeed } from '../helpers/random';
import { toArrayBuffer } from '../helpers/fixtures';

const meta = JSON.parse(readFileSync(new URL('../fixtures/featureviz/fixture.json', import.meta.url), 'utf8'));
const bin = toArrayBuffer(readFileSync(new URL('../fixtures/featureviz/fixture.bin', import.meta.url)));
const tensor = (name: string) => {
  const e = meta.tensors[name];
  if (!e) throw new Error(`no fixture tensor ${name}`);
  return new Float32Array(bin, e.offset, e.shape.reduce((a: number, b: number) => a * b, 1));
};

async function gpu() {
  const device = await testDevice();
  const pool = new BufferPool(device);
  const k = new Kernels(device, pool);
  const upload = (data: Float32Array<ArrayBuffer>) => {
    const b = pool.acquire(data.byteLength, 'test');
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const empty = (n: number) => {
    const b = pool.acquire(n * 4, 'test.out');
    device.queue.writeBuffer(b, 0, new Float32Array(n).fill(NaN));
    return b;
  };
  const read = async (b: GPUBuffer, n: number) => {
    const s = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const e = device.createCommandEncoder();
    e.copyBufferToBuffer(b, 0, s, 0, n * 4);
    device.queue.submit([e.finish()]);
    await s.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(s.getMappedRange().slice(0));
    s.destroy();
    return out;
  };
  return { device, k, upload, empty, read };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
/**
 * The dot-product test's error: |<Ax, y> - <x, A^T y>| relative to the sum of the absolute
 * terms of both sides, the scale f32 rounding works on (|<Ax, y>| alone can be small by
 * cancellation and inflate the ratio).
 */
const dotTestError = (ax: ArrayLike<number>, y: ArrayLike<number>, x: ArrayLike<number>, aty: ArrayLike<number>) => {
  let scale = 0;
  for (let i = 0; i < ax.length; i++) scale += Math.abs(ax[i] * y[i]);
  for (let i = 0; i < x.length; i++) scale += Math.abs(x[i] * aty[i]);
  return Math.abs(dot(ax, y) - dot(x, aty)) / Math.max(scale, 1e-30);
};

describe('Fourier parameterization', () => {
  it('CPU reference equals numpy irfft2 of the Lucid-scaled spectrum (even, odd, non-square)', () => {
    for (const [h, w] of [[28, 28], [35, 35], [6, 9]]) {
      const ref = irfftRef(tensor(`fft/${h}x${w}/coeffs`), 1, h, w);
      expectClose(ref, tensor(`fft/${h}x${w}/image`), 1e-6, `irfft ${h}x${w}`);
    }
  });

  it('GPU forward matches the CPU reference; the adjoint passes the dot-product test', async () => {
    const seed = freshSeed();
    const r = rng(seed);
    const { device, k, upload, empty, read } = await gpu();
    for (const [planes, h, w] of [[3, 28, 28], [2, 35, 35], [1, 6, 9]]) {
      const wf = spectrumWidth(w);
      const coeffs = randomArray(planes * h * wf * 2, r);
      const y = randomArray(planes * h * w, r);
      const scale = upload(Float32Array.from(spectrumScale(h, w)));
      const tw = upload(Float32Array.from(twiddles(h, w)));
      const out = empty(planes * h * w);
      const adj = empty(planes * h * wf * 2);
      await expectNoGpuErrors(device, async () => {
        k.run([
          k.dispatch({ label: 'f', shader: 'featureviz/irfft_forward', uniforms: [planes, h, w, wf], buffers: [upload(coeffs), scale, tw, out], threads: [planes * h * w] }),
          k.dispatch({ label: 'a', shader: 'featureviz/irfft_adjoint', uniforms: [planes, h, w, wf], buffers: [upload(y), scale, tw, adj], threads: [planes * h * wf] }),
        ]);
        const ax = await read(out, planes * h * w);
        const aty = await read(adj, planes * h * wf * 2);
        expectClose(ax, irfftRef(coeffs, planes, h, w), 2e-5, `irfft ${planes}x${h}x${w} (seed ${seed})`);
        const lhs = dot(ax, y), rhs = dot(coeffs, aty);
        expect(dotTestError(ax, y, coeffs, aty), `<Ax,y>=${lhs} <x,A^T y>=${rhs} (seed ${seed})`).toBeLessThan(1e-4);
      });
    }
  });
});

describe('colour decorrelation and sigmoid', () => {
  it('matches Lucent (t_flat @ M^T, sigmoid) and the f64 reference; the adjoint matches the CPU Jacobian transpose', async () => {
    const { device, k, upload, empty, read } = await gpu();
    const mix = colourMix(3, true);
    const lucent = toPixelsRef(tensor('colour/raw'), 1, 3, 5, mix);
    expectClose(lucent, tensor('colour/pixels'), 1e-6, 'Lucent colour decorrelation');
    expect(colourMix(1, true)).toEqual(Float64Array.from([1]));
    expect(colourMix(3, false)).toEqual(Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]));
    const seed = freshSeed();
    const r = rng(seed);
    const [batch, C, plane] = [2, 3, 37];
    const raw = randomArray(batch * C * plane, r, 3);
    const g = randomArray(batch * C * plane, r);
    const pix = empty(raw.length), adj = empty(raw.length);
    const mixBuf = upload(Float32Array.from(mix));
    await expectNoGpuErrors(device, async () => {
      k.run([
        k.dispatch({ label: 'p', shader: 'featureviz/to_pixels', uniforms: [batch, C, plane], buffers: [upload(raw), mixBuf, pix], threads: [raw.length] }),
        k.dispatch({ label: 'pa', shader: 'featureviz/to_pixels_adjoint', uniforms: [batch, C, plane], buffers: [upload(g), pix, mixBuf, adj], threads: [raw.length] }),
      ]);
      const p = toPixelsRef(raw, batch, C, plane, mix);
      expectClose(await read(pix, raw.length), p, 2e-6, `to_pixels (seed ${seed})`);
      const want = new Float64Array(raw.length);
      for (let n = 0; n < batch; n++)
        for (let d = 0; d < C; d++)
          for (let q = 0; q < plane; q++)
            for (let c = 0; c < C; c++) {
              const i = (n * C + c) * plane + q;
              want[(n * C + d) * plane + q] += mix[c * C + d] * g[i] * p[i] * (1 - p[i]);
            }
      expectClose(await read(adj, raw.length), want, 2e-5, `to_pixels adjoint (seed ${seed})`);
    });
  });
});

describe('affine transform', () => {
  it('forward matches the CPU bilinear reference with fill and normalization; the adjoint passes the dot-product test', async () => {
    const seed = freshSeed();
    const r = rng(seed);
    const { device, k, upload, empty, read } = await gpu();
    for (const [batch, C, h, w] of [[3, 1, 28, 28], [2, 3, 35, 35], [2, 2, 7, 11]]) {
      const n = batch * C * h * w;
      const xf = drawTransforms(seededUniform(seed), batch, h, w);
      // One hand-made map too: a large rotation and scale, the identity.
      if (batch > 2) {
        xf.set(affineFor(h, w, 1.1, 10, 2, -2), 0);
        xf.set(affineFor(h, w, 1, 0, 0, 0), 12);
      }
      const reach = adjointReach(xf, batch);
      const pixels = Float32Array.from({ length: n }, () => r());
      const y = randomArray(n, r);
      const mean = Array.from({ length: C }, () => r() * 0.5), std = Array.from({ length: C }, () => 0.2 + r());
      const out = empty(n), outLinear = empty(n), adj = empty(n);
      const xfBuf = upload(xf);
      await expectNoGpuErrors(device, async () => {
        const norm = upload(Float32Array.from([...mean, ...std]));
        const linearNorm = upload(Float32Array.from([...mean.map(() => 0), ...std]));
        k.run([
          k.dispatch({ label: 'af', shader: 'featureviz/affine_forward', uniforms: [batch, C, h, w, f32(0.5)], buffers: [upload(pixels), xfBuf, norm, out], threads: [n] }),
          k.dispatch({ label: 'afl', shader: 'featureviz/affine_forward', uniforms: [batch, C, h, w, f32(0)], buffers: [upload(pixels), xfBuf, linearNorm, outLinear], threads: [n] }),
          k.dispatch({ label: 'aa', shader: 'featureviz/affine_adjoint', uniforms: [batch, C, h, w, i32(reach)], buffers: [upload(y), xfBuf, norm, adj], threads: [n] }),
        ]);
        expectClose(await read(out, n), affineRef(pixels, batch, C, h, w, xf, 0.5, mean, std), 2e-5, `affine ${batch}x${C}x${h}x${w} (seed ${seed})`);
        // With fill 0 and mean 0 the transform is linear; the adjoint must be its transpose.
        const ax = await read(outLinear, n);
        const aty = await read(adj, n);
        const lhs = dot(ax, y), rhs = dot(pixels, aty);
        expect(dotTestError(ax, y, pixels, aty), `<Ax,y>=${lhs} <x,A^T y>=${rhs} (seed ${seed})`).toBeLessThan(1e-5);
      });
    }
  });

  it('identity maps pass the image through exactly (transforms off)', async () => {
    const { k, upload, empty, read } = await gpu();
    const [batch, C, h, w] = [2, 1, 5, 6];
    const n = batch * C * h * w;
    const pixels = Float32Array.from({ length: n }, (_, i) => (i % 7) / 7);
    const xf = Float32Array.from([...affineFor(h, w, 1, 0, 0, 0), ...affineFor(h, w, 1, 0, 0, 0)]);
    const out = empty(n);
    k.run([k.dispatch({ label: 'af', shader: 'featureviz/affine_forward', uniforms: [batch, C, h, w, f32(0.5)], buffers: [upload(pixels), upload(xf), upload(Float32Array.from([0, 1])), out], threads: [n] })]);
    expectClose(await read(out, n), pixels, 1e-6, 'identity transform');
  });
});

describe('Adam', () => {
  it('matches the CPU reference (torch.optim.Adam ascending) over several steps', async () => {
    const seed = freshSeed();
    const r = rng(seed);
    const { device, k, upload, empty, read } = await gpu();
    const n = 301;
    const theta0 = randomArray(n, r);
    const state = { theta: Float64Array.from(theta0), m: new Float64Array(n), v: new Float64Array(n) };
    const theta = upload(theta0), m = upload(new Float32Array(n)), v = upload(new Float32Array(n));
    const g = empty(n), step = empty(4);
    const lr = 0.05;
    const d = k.dispatch({ label: 'adam', shader: 'featureviz/adam', uniforms: [n, f32(0.9), f32(0.999), f32(1e-8)], buffers: [g, step, theta, m, v], threads: [n] });
    await expectNoGpuErrors(device, async () => {
      for (let t = 1; t <= 5; t++) {
        const grad = randomArray(n, r, t);
        device.queue.writeBuffer(g, 0, grad);
        device.queue.writeBuffer(step, 0, Float32Array.from([lr / (1 - 0.9 ** t), 1 / (1 - 0.999 ** t)]));
        k.run([d]);
        adamRef(state, grad, t, lr);
      }
      expectClose(await read(theta, n), state.theta, 1e-5, `Adam (seed ${seed})`);
    });
  });
});
