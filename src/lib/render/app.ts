// The pixi.js application under the graph: WebGPU first, WebGL when WebGPU cannot initialise or
// present to the canvas, and whether a software rasterizer (no GPU) is drawing it.

import { Application } from 'pixi.js';

/** Creates the pixi application; if WebGPU fails to initialise or to present, uses WebGL. */
export async function createApp(preference: 'webgpu' | 'webgl', antialias: boolean): Promise<{ app: Application; fallbackReason: string | null }> {
  let reason: string | null = null;
  // When a WebGPU renderer is given up, pixi's own pending error-scope probe rejects with
  // "Instance dropped"; that rejection is expected here and is kept out of the console.
  const dropped = (ev: PromiseRejectionEvent) => {
    if (/instance dropped|device (was )?(lost|destroyed)/i.test(String(ev.reason?.message ?? ev.reason))) ev.preventDefault();
  };
  for (const pref of preference === 'webgpu' ? (['webgpu', 'webgl'] as const) : (['webgl'] as const)) {
    const app = new Application();
    if (pref === 'webgpu') globalThis.addEventListener?.('unhandledrejection', dropped);
    else setTimeout(() => globalThis.removeEventListener?.('unhandledrejection', dropped), 10_000);
    try {
      await app.init({ preference: pref, antialias, background: '#ffffff', autoStart: false, autoDensity: true, resolution: Math.min(2, globalThis.devicePixelRatio || 1), width: 300, height: 200 });
      if (pref === 'webgpu' && app.renderer.name === 'webgpu') await checkPresentation(app);
      if (pref === 'webgpu') globalThis.removeEventListener?.('unhandledrejection', dropped);
      return { app, fallbackReason: reason };
    } catch (err) {
      reason = `${pref}: ${(err as Error)?.message ?? err}`;
      // pixi's own error-scope probes must settle before the device goes away
      await new Promise((ok) => setTimeout(ok, 100));
      try {
        app.destroy(true);
      } catch {
        /* a half-made renderer may not come apart cleanly */
      }
    }
  }
  throw new Error(`no renderer could draw the graph (${reason})`);
}

/** Renders one frame inside error scopes: a canvas WebGPU cannot present to reports here. */
async function checkPresentation(app: Application): Promise<void> {
  const device = (app.renderer as unknown as { gpu: { device: GPUDevice } }).gpu.device;
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  app.renderer.render(app.stage);
  const results = await Promise.allSettled([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]);
  for (const r of results) {
    if (r.status === 'rejected') throw new Error(String((r.reason as Error)?.message ?? r.reason));
    if (r.value) throw new Error(r.value.message);
  }
}

/** The rasterizer's name: the WebGPU adapter's description, or WebGL's renderer string ('' when hidden). */
export function rasterizerName(app: Application): string {
  const r = app.renderer as unknown as { name: string; gpu?: { adapter?: GPUAdapter }; gl?: WebGL2RenderingContext };
  if (r.name === 'webgpu') {
    const info = r.gpu?.adapter?.info;
    return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ').trim() : '';
  }
  const gl = r.gl;
  if (!gl) return '';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
}

/** True on a software rasterizer (SwiftShader, llvmpipe): no GPU under the canvas. */
export function isSoftware(app: Application): boolean {
  const r = app.renderer as unknown as { name: string; gpu?: { adapter?: GPUAdapter } };
  const soft = /swiftshader|llvmpipe|software|softpipe/i;
  if (r.name === 'webgpu') {
    const info = r.gpu?.adapter?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
    return !!info && (!!info.isFallbackAdapter || soft.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`));
  }
  return soft.test(rasterizerName(app));
}
