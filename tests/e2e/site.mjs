// What every end-to-end script starts with: the built site served under /microscope/ and
// headless Chromium with WebGPU on SwiftShader; a missing build or browser fails the run at once.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const buildDir = join(root, 'build');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** How long a check waits for the GPU (a query, a model load) on this software adapter. */
export const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);
export const CHROMIUM_ARGS = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'];

/** Serves build/ and launches Chromium; screenshots go to test-results/<shots>/. */
export async function startSite(shots = 'e2e') {
  if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
    console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const shotsDir = join(root, 'test-results', shots);
  mkdirSync(shotsDir, { recursive: true });
  const { server, origin } = await serveBuild(buildDir, '/microscope/');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return { server, origin, browser, shotsDir };
}

/** Opens the side panels in a browser context, as a visitor who keeps them open would (panels.svelte.ts). */
export function openPanels(context, panels = { left: true, right: true }) {
  return context.addInitScript((p) => localStorage.setItem('microscope.panels', JSON.stringify(p)), panels);
}
