// Tiny argument parsing and shared setup for the command-line tools: --key value and
// --key=value pairs, a WebGPU device in Node, target strings like "conv4:12".

import { create, globals } from 'webgpu';
import { acquireDevice } from '../../src/lib/engine/gpu';
import type { Model } from '../../src/lib/model/types';
import type { Target } from '../../src/lib/engine/targets';
import { vizSettings, type VizSettings } from '../../src/lib/featureviz/settings';

/** --key value pairs; with `known`, an option outside it is refused (a typo would be ignored). */
export function parseArgs(argv: string[], known?: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = 'true';
  }
  const unknown = known ? Object.keys(out).filter((k) => !known.includes(k) && k !== 'help') : [];
  if (unknown.length) throw new Error(`unknown option --${unknown[0]}: expected ${known!.map((k) => `--${k}`).join(', ')}`);
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

/**
 * A target from text: "layer:channel" (feature mean; "layer:channel:max",
 * "layer:channel@y,x"), "class:Name" or "class:N" (logit), "prob:Name", "loss".
 */
export function parseTarget(model: Model, text: string): Target {
  const t = text.trim();
  if (t === 'loss') return { kind: 'loss' };
  const cls = /^(class|prob):(.+)$/.exec(t);
  if (cls) {
    const name = cls[2];
    const c = /^\d+$/.test(name) ? Number(name) : model.classes.findIndex((x) => x.toLowerCase() === name.toLowerCase());
    if (c < 0 || c >= model.classes.length) throw new Error(`unknown class "${name}" (classes: ${model.classes.join(', ')})`);
    return cls[1] === 'class' ? { kind: 'classLogit', class: c } : { kind: 'classProbability', class: c };
  }
  const m = /^([^:@]+):(\d+)(?::(mean|max))?(?:@(\d+),(\d+))?$/.exec(t);
  if (!m) throw new Error(`bad target "${text}": use layer:channel, layer:channel:max, layer:channel@y,x, class:Name, prob:Name or loss`);
  const layer = model.layers.find((l) => l.name === m[1]);
  if (!layer) throw new Error(`no layer "${m[1]}" (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  const channel = Number(m[2]);
  if (channel >= layer.shape[0]) throw new Error(`layer ${m[1]} has ${layer.shape[0]} channels`);
  if (m[4] !== undefined) return { kind: 'featureAt', layer: m[1], channel, y: Number(m[4]), x: Number(m[5]) };
  return m[3] === 'max' ? { kind: 'featureMax', layer: m[1], channel } : { kind: 'featureMean', layer: m[1], channel };
}

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
