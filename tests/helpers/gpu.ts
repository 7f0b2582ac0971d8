// A real WebGPU device for tests, through the `webgpu` package (Dawn). On machines without
// a GPU it runs on SwiftShader; with no adapter at all the test fails loudly, never skips.

import { create, globals } from 'webgpu';
import { acquireDevice } from '../../src/lib/engine/gpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
let devicePromise: Promise<GPUDevice> | null = null;
// Dawn's instance must outlive its devices: a collected instance crashes the process.
let instance: unknown = null;

export function testDevice(): Promise<GPUDevice> {
  if (!devicePromise) {
    devicePromise = (async () => {
      process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
      Object.assign(globalThis, globals);
      const gpu = create([]) as unknown as GPU;
      instance = gpu;
      const { device } = await acquireDevice(gpu).catch((e) => {
        throw new Error(
          `No WebGPU adapter: ${e.message}. Install Debian's chromium (SwiftShader) and libvulkan1, ` +
            `or set VK_ICD_FILENAMES to a Vulkan driver.`,
        );
      });
      device.addEventListener('uncapturederror', (ev) => {
        throw new Error(`WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`);
      });
      return device;
    })();
  }
  return devicePromise;
}

/** Fails the test if the device reported a validation error since the last call. */
export async function expectNoGpuErrors(device: GPUDevice, run: () => Promise<void> | void): Promise<void> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  await run();
  const errors = (await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()])).filter((e) => e);
  if (errors.length) throw new Error(`WebGPU errors: ${errors.map((e) => e!.message).join('; ')}`);
}
