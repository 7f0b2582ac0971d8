// Stands in for the `webgpu` package next to the bundled benchmark (gpu-pack/bundle): loads
// the real package's index.js from $GPU_WEBGPU_DIR (where run.sh unpacked dawn.node), adds
// the Dawn instance toggles in $GPU_DAWN_FLAGS and puts back the Vulkan driver run.sh chose.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.GPU_WEBGPU_DIR;
if (!dir) throw new Error('GPU_WEBGPU_DIR is not set: run the bundle through tools/gpu/run.sh');
const real = await import(pathToFileURL(join(dir, 'index.js')).href);
const flags = (process.env.GPU_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** The driver run.sh found (a json path, or empty for the loader's default search). */
function restoreDriver() {
  if (process.env.GPU_ICD_CHOSEN === undefined) return;
  const chosen = process.env.GPU_ICD_CHOSEN;
  for (const key of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES']) {
    if (chosen) process.env[key] = chosen;
    else delete process.env[key];
  }
}

export const globals = real.globals;
export function create(options = []) {
  restoreDriver();
  return real.create([...options, ...flags]);
}
