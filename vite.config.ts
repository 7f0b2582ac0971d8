// Vite configuration: the SvelteKit plugin, WGSL shaders imported as text (`?raw`) from
// /shaders, and the microscope worker bundled as an ES module worker.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const shaders = fileURLToPath(new URL('./shaders', import.meta.url));
// wgsl-preprocessor's package.json names no entry point; point at its one module.
const wgslPreprocessor = fileURLToPath(new URL('./node_modules/wgsl-preprocessor/wgsl-preprocessor.js', import.meta.url));

export default defineConfig({
  plugins: [sveltekit()],
  resolve: {
    alias: [{ find: /^wgsl-preprocessor$/, replacement: wgslPreprocessor }],
  },
  worker: { format: 'es' },
  server: {
    fs: { allow: [shaders] },
  },
  build: { target: 'es2022' },
});
