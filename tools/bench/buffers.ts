// Buffer helpers for the benchmark: seeded random data, uploads, NaN-filled outputs (so an
// output a kernel never wrote cannot pass the check) and read-backs.

import { seededUniform } from '../../src/lib/circuits/saliency';

/** A small deterministic generator (mulberry32, shared with the random criterion): runs are repeatable. */
export const rng = seededUniform;

/** n values uniform in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

export function upload(device: GPUDevice, buf: GPUBuffer, data: Float32Array): void {
  device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
}

/** Fills the first `count` floats of buf with NaN. */
export function fillNaN(device: GPUDevice, buf: GPUBuffer, count: number): void {
  upload(device, buf, new Float32Array(count).fill(NaN));
}

export async function readBack(device: GPUDevice, buf: GPUBuffer, count: number): Promise<Float32Array> {
  const bytes = count * 4;
  const staging = device.createBuffer({ label: 'bench.readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder({ label: 'bench.readback' });
  encoder.copyBufferToBuffer(buf, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}
