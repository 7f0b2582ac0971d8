// A WebGPU device for the benchmark in Node, through the `webgpu` package (Dawn): on
// machines without a GPU it runs on SwiftShader. Same recipe as tests/helpers/gpu.ts.

import { create, globals } from 'webgpu';
import { acquireDevice } from '../../src/lib/engine/gpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
// Dawn's instance must outlive its devices: a collected instance crashes the process.
const held: { instance: unknown } = { instance: null };

export interface BenchDevice {
  device: GPUDevice;
  adapterDescription: string;
  isFallbackAdapter: boolean;
  /** Errors the device reported outside an error scope (checked by the runner). */
  uncaptured: string[];
}

export async function benchDevice(): Promise<BenchDevice> {
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  Object.assign(globalThis, globals);
  const gpu = create([]) as unknown as GPU;
  held.instance = gpu;
  // navigator.gpu for libraries that look for WebGPU there (TF.js's backend): the same instance
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const acquired = await acquireDevice(gpu).catch((e: Error) => {
    throw new Error(
      `No WebGPU adapter: ${e.message}. Install Debian's chromium (SwiftShader) and libvulkan1, ` +
        `or set VK_ICD_FILENAMES to a Vulkan driver.`,
    );
  });
  const uncaptured: string[] = [];
  acquired.device.addEventListener('uncapturederror', (ev) => {
    uncaptured.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  return { ...acquired, uncaptured };
}

/** Lets go of the Dawn instance so the process can exit (after the device is destroyed). */
export function releaseInstance(): void {
  held.instance = null;
}
