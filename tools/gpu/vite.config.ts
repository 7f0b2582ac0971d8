// Bundles the benchmark (tools/bench/run.ts) into one ES module for Node on a machine that
// has no node_modules: shaders inlined (import.meta.glob expands at build time), `webgpu`
// left external and answered at run time by the shim in gpu-pack/bundle/node_modules/webgpu.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  logLevel: 'warn',
  ssr: { noExternal: true, external: ['webgpu'], target: 'node' },
  build: {
    ssr: 'tools/bench/run.ts',
    outDir: 'gpu-pack/bundle',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: ['webgpu'],
      output: {
        format: 'es',
        entryFileNames: 'bench.mjs',
        inlineDynamicImports: true,
        // CommonJS dependencies (TF.js's Node platform) call require()
        banner: "import { createRequire as __createRequire } from 'node:module'; globalThis.require ??= __createRequire(import.meta.url);",
      },
    },
  },
});
