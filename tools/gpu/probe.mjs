// Prints the WebGPU adapter Dawn finds with the current Vulkan settings (run.sh tries the
// loader's default driver, then NVIDIA's), and says by its exit code what it is:
// 0 a hardware adapter, 3 a software one (SwiftShader, llvmpipe, fallback), 2 none.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { create, globals } = await import(pathToFileURL(join(process.env.GPU_WEBGPU_DIR, 'index.js')).href);
Object.assign(globalThis, globals);
const flags = (process.env.GPU_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
const gpu = create(flags);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((e) => {
  console.log(`requestAdapter failed: ${e?.message ?? e}`);
  return null;
});
if (!adapter) {
  console.log('adapter: none');
  process.exit(2);
}
const info = adapter.info ?? {};
const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
const fields = ['vendor', 'architecture', 'device', 'description'].map((k) => `${k}=${JSON.stringify(info[k] ?? '')}`);
console.log(`adapter: ${fields.join(' ')} isFallbackAdapter=${fallback}`);
console.log(`features: ${[...adapter.features].sort().join(' ')}`);
console.log(`limits: maxStorageBufferBindingSize=${adapter.limits.maxStorageBufferBindingSize} maxComputeWorkgroupStorageSize=${adapter.limits.maxComputeWorkgroupStorageSize} maxComputeInvocationsPerWorkgroup=${adapter.limits.maxComputeInvocationsPerWorkgroup}`);
const software = fallback || /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(Object.values(info).join(' '));
console.log(`kind: ${software ? 'software' : 'hardware'}`);
process.exit(software ? 3 : 0);
