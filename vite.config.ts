// Vite configuration: the SvelteKit plugin, WGSL shaders imported as text (`?raw`) from
// /shaders, and the microscope worker bundled as an ES module worker.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const shaders = fileURLToPath(new URL('./shaders', import.meta.url));

export default defineConfig({
  plugins: [sveltekit()],
  worker: { format: 'es' },
  server: {
    fs: { allow: [shaders] },
  },
  build: { target: 'es2022' },
});
