// Vitest runs the unit tests and the WGSL-on-adapter tests in Node (WebGPU through the
// `webgpu` package on whatever adapter exists: SwiftShader on machines without a GPU).
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Dawn reads the Vulkan driver from the real environment, so set it before workers start.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  resolve: { alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
