// Tiny argument parsing and shared setup for the command-line tools: --key value and
// --key=value pairs, a WebGPU device in Node, progress lines, visualization settings.

import { create, globals } from 'webgpu';
import { acquireDevice } from '../../src/lib/engine/gpu';
import { vizSettings, type VizSettings } from '../../src/lib/featureviz/settings';

/** --key value pairs; with `known`, an option outside it is refused (a typo would be ignored). */
export function parseArgs(argv: string[], known?: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (Object.hasOwn(out, key)) throw new Error(`option --${key} is given twice`);
    if (eq > 0) out[key] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[key] = argv[++i];
    else out[key] = 'true';
  }
  const unknown = known ? Object.keys(out).filter((k) => !known.includes(k) && k !== 'help') : [];
  if (unknown.length) {
    const named = unknown.map((k) => `--${k}`).join(', ');
    throw new Error(`unknown option${unknown.length > 1 ? 's' : ''} ${named}: expected ${known!.map((k) => `--${k}`).join(', ')}`);
  }
  return out;
}

/** The options vizSettingsFromArgs reads (besides its seed option). */
export const VIZ_OPTIONS = ['steps', 'lr', 'param', 'no-transforms', 'redirect-steps', 'warmup-steps', 'polish'];

let instance: unknown = null;
export async function nodeDevice(): Promise<{ device: GPUDevice; adapterDescription: string }> {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  Object.assign(globalThis, globals);
  const gpu = create([]) as unknown as GPU;
  instance = gpu; // Dawn's instance must outlive its devices
  return acquireDevice(gpu);
}
export const keepInstance = () => instance;

/** A progress line on stderr with the time left. */
export function progressPrinter(what: string) {
  const t0 = Date.now();
  return (done: number, total: number) => {
    const elapsed = (Date.now() - t0) / 1000;
    const left = done > 0 ? (elapsed / done) * (total - done) : 0;
    process.stderr.write(`\r${what}: ${done}/${total} images, ${elapsed.toFixed(0)} s, about ${left.toFixed(0)} s left   `);
    if (done === total) process.stderr.write('\n');
  };
}

/** Visualization settings from --steps, --lr, --param, --no-transforms, --redirect-steps, --warmup-steps, --polish and a seed option. */
export function vizSettingsFromArgs(a: Record<string, string>, seedOption: string): VizSettings {
  const num = (key: string) => (a[key] !== undefined ? Number(a[key]) : undefined);
  return vizSettings({
    steps: num('steps'), lr: num('lr'), param: a.param as VizSettings['param'] | undefined,
    transforms: !a['no-transforms'], seed: num(seedOption) ?? 0, redirectSteps: num('redirect-steps'), warmupSteps: num('warmup-steps'), polish: num('polish'),
  });
}
