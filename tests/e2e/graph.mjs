// End-to-end checks of the graph demo (/graph) in headless Chromium: fashion-small and a
// synthetic 250k-edge graph render without console errors, a click selects a node, labels never
// overlap and branches run in lanes (layout.mjs), WebGL takes over when WebGPU cannot present; then frame times and threshold-change times next to pixi's
// plain Graphics, printed and written to bench-results/graph.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';
import { layoutChecks } from './layout.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const benchFile = join(root, 'bench-results', 'graph.json');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SIZES = (process.env.GRAPH_BENCH_SIZES ?? '10000,50000,250000').split(',').map(Number).filter((n) => n > 0); // '' skips the benchmark
const FRAMES = Number(process.env.GRAPH_BENCH_FRAMES ?? 30);

if (!existsSync(join(buildDir, 'graph.html'))) {
  console.error(`No built graph page at ${buildDir}/graph.html. Run \`npm run build\` first.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
mkdirSync(join(root, 'bench-results'), { recursive: true });

// ---------------------------------------------------------------- static server
const { server, origin } = await serveBuild(buildDir);

// ---------------------------------------------------------------- harness
const BASE_ARGS = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox'];
const CANVAS_ARGS = ['--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'];
const launch = (args) => chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, '--enable-unsafe-webgpu', ...args] });
async function openGraph(browser, query) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/graph?${query}`);
  await page.waitForSelector('body[data-graph-ready="true"]', { timeout: 180_000 });
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  return { page, errors };
}
const rendererOf = (page) => page.getAttribute('.graph', 'data-renderer');

// ---------------------------------------------------------------- checks
const browser = await launch(CANVAS_ARGS);
console.log('graph demo, WebGPU canvas');
await check('fashion-small: graph drawn, click selects a node, no console errors', async () => {
  const { page, errors } = await openGraph(browser, 'model=fashion-small');
  const stats = await page.textContent('.stats');
  assert(/67 nodes · 968 edges/.test(stats ?? ''), `stats: ${stats}`);
  console.log(`      ${stats}`);
  await page.screenshot({ path: join(shotsDir, 'graph-fashion-small.png') });
  const at = await page.evaluate(() => window.graphDemo.nodeOnPage(30));
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction(() => document.querySelector('[data-testid="selection"]')?.textContent?.includes('node 30'), null, { timeout: 10_000 });
  const selected = await page.textContent('[data-testid="selection"]');
  assert(/conv3 channel 5/.test(selected ?? ''), `selection text: ${selected}`);
  assert(page.url().includes('select=node%3A30'), `the URL does not carry the selection: ${page.url()}`);
  // a new keep fraction rewrites the state buffer of the same mesh; the scene is not rebuilt
  const kept = await page.evaluate(async () => {
    const raf = () => new Promise((ok) => requestAnimationFrame(ok));
    const edgesMesh = () => window.graphDemo.scene.app.stage.children[0].children[0];
    const mesh = edgesMesh();
    const attrs = mesh.geometry.attributes;
    const updates = { aState: 0, aEnds: 0, aStyle: 0 };
    for (const name of Object.keys(updates)) attrs[name].buffer.on('update', () => updates[name]++);
    const buffer = attrs.aState.buffer;
    window.graphDemo.setKeep(0.5);
    await raf();
    await raf();
    return { sameMesh: mesh === edgesMesh(), sameBuffer: buffer === edgesMesh().geometry.attributes.aState.buffer, updates, label: mesh.label };
  });
  const u = kept.updates;
  assert(kept.sameMesh && kept.sameBuffer && u.aState === 1 && u.aEnds === 0 && u.aStyle === 0, `threshold change: ${JSON.stringify(kept)}`);
  console.log(`      keep change: same mesh "${kept.label}", buffer uploads ${JSON.stringify(u)}`);
  await page.evaluate(() => window.graphDemo.setKeep(0.1));
  await page.mouse.move(at.x + 3, at.y + 2);
  await page.screenshot({ path: join(shotsDir, 'graph-fashion-small-selected.png') });
  await page.selectOption('select[aria-label="layout"]', 'mds');
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  await page.screenshot({ path: join(shotsDir, 'graph-fashion-small-mds.png') });
  // zoomed in: node labels appear
  const box = await page.locator('.graph canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -300);
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  await page.screenshot({ path: join(shotsDir, 'graph-fashion-small-zoomed.png') });
  assert(errors.length === 0, errors.join('\n'));
  await page.close();
});

await check('synthetic 250k edges: drawn with WebGPU, no console errors', async () => {
  const { page, errors } = await openGraph(browser, 'synthetic=250000');
  const renderer = await rendererOf(page);
  assert(renderer === 'webgpu', `renderer: ${renderer}`);
  const drawing = await page.getAttribute('.graph', 'data-edges');
  const choice = await page.evaluate(() => window.graphDemo.scene.drawing);
  assert(choice?.drawing === drawing, `the page draws ${drawing} edges, the scene reports ${JSON.stringify(choice)}`);
  // on this software rasterizer the page picks expanded edges and hides faded ones, and says so
  assert(drawing === 'expanded' && choice.fadedEdges === 'hidden' && /software rasterizer/.test(choice.why), `drawing choice: ${JSON.stringify(choice)}`);
  console.log(`      edges drawn ${drawing}: ${choice.why}`);
  await page.screenshot({ path: join(shotsDir, 'graph-synthetic-250k.png') });
  assert(errors.length === 0, errors.join('\n'));
  await page.close();
});

await check('garbled URL: warnings as plain text, default view', async () => {
  const { page, errors } = await openGraph(browser, 'model=fashion-small&layout=<b>3d</b>&keep=2&select=node:x');
  const warnings = await page.$$eval('.warning', (els) => els.map((e) => e.textContent));
  assert(warnings.length === 3, `warnings: ${JSON.stringify(warnings)}`);
  assert((await page.$$('.warning b')).length === 0, 'markup from the URL became elements');
  assert(errors.length === 0, errors.join('\n'));
  await page.close();
});

console.log('layout and labels');
await layoutChecks(browser, origin);
await browser.close();

console.log('WebGPU without a presentable canvas: fallback to WebGL');
const noCanvas = await launch([]);
await check('falls back to WebGL and still draws', async () => {
  const page = await noCanvas.newPage({ viewport: { width: 1280, height: 760 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // the failed WebGPU attempt may log; shader or program errors from the WebGL path may not
  page.on('console', (m) => m.type() === 'error' && /shader|glsl|program|compile/i.test(m.text()) && pageErrors.push(m.text()));
  await page.goto(`${origin}/graph?model=fashion-small`);
  await page.waitForSelector('body[data-graph-ready="true"]', { timeout: 120_000 });
  const renderer = await rendererOf(page);
  const hasGpu = await page.evaluate(async () => !!(navigator.gpu && (await navigator.gpu.requestAdapter())));
  console.log(`      adapter present: ${hasGpu}; renderer: ${renderer}`);
  assert(renderer === 'webgl' || renderer === 'webgpu', `renderer: ${renderer}`);
  await page.screenshot({ path: join(shotsDir, 'graph-fallback.png') });
  assert(pageErrors.length === 0, pageErrors.join('\n'));
  await page.close();
});
await noCanvas.close();

// ---------------------------------------------------------------- benchmark
console.log(`frame time while panning (${FRAMES} frames) and threshold change, instanced vs Graphics`);
const bench = await launch(CANVAS_ARGS);
const rows = [];
// same work in every mode: all edges drawn (faded ones faint), no multisampling
const MODES = [
  ['instanced', 'edges=instanced&faded=show'],
  ['expanded', 'edges=expanded&faded=show'],
  ['graphics', 'mode=graphics'],
  // what the page does by itself: on a software rasterizer, expanded edges with faded ones hidden
  ['auto', 'mode=instanced'],
].filter(([mode]) => !process.env.GRAPH_BENCH_MODES || process.env.GRAPH_BENCH_MODES.split(',').includes(mode));
for (const edges of SIZES) {
  for (const [mode, query] of MODES) {
    await check(`bench ${mode} ${edges} edges`, async () => {
      const t0 = Date.now();
      const { page, errors } = await openGraph(bench, `synthetic=${edges}&${query}`);
      const loadMs = Date.now() - t0;
      const result = await page.evaluate(async (maxFrames) => {
        const { scene } = window.graphDemo;
        const raf = () => new Promise((ok) => requestAnimationFrame(ok));
        const v0 = scene.getView();
        // warm up, and size the run to about 15 s on slow adapters
        let t = performance.now();
        for (let i = 0; i < 3; i++) {
          scene.setView({ ...v0, x: v0.x + i / v0.zoom });
          await raf();
        }
        const first = (performance.now() - t) / 3;
        const frames = Math.max(5, Math.min(maxFrames, Math.floor(15_000 / first)));
        const deltas = [];
        const cpu = [];
        let last = performance.now();
        for (let i = 0; i < frames; i++) {
          scene.setView({ ...v0, x: v0.x + (40 * Math.sin(i / 6)) / v0.zoom, y: v0.y + (20 * Math.cos(i / 7)) / v0.zoom });
          await raf();
          const now = performance.now();
          deltas.push(now - last);
          cpu.push(scene.lastRenderMs);
          last = now;
        }
        const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
        const p95 = (a) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.95))];
        // threshold change: a new keep fraction, until the frame after the one that shows it
        const change = [];
        for (const keep of frames > 10 ? [0.05, 0.3, 0.01] : [0.05]) {
          t = performance.now();
          window.graphDemo.setKeep(keep);
          await raf();
          await raf();
          change.push(performance.now() - t);
        }
        // the CPU side of a threshold change on its own: new mask -> display states -> one frame encoded
        const mask = new Uint8Array(window.graphDemo.edgeCount).map((_, e) => ((e * 2654435761) >>> 0) % 5 === 0 ? 1 : 0);
        t = performance.now();
        scene.setKept(mask);
        scene.render();
        const thresholdCpu = performance.now() - t;
        return { frames, frameMedian: median(deltas), frameP95: p95(deltas), renderCpuMedian: median(cpu), thresholdMedian: median(change), thresholdCpu };
      }, FRAMES);
      assert(errors.length === 0, errors.join('\n'));
      const renderer = await rendererOf(page);
      // which drawing ran and why (the scene's own choice: instanced on a GPU, expanded on a software rasterizer)
      const drawing = await page.evaluate(() => window.graphDemo.scene.drawing);
      assert(drawing && typeof drawing.why === 'string' && drawing.why.length > 0, `the scene reports no drawing choice: ${JSON.stringify(drawing)}`);
      rows.push({ edges, mode, renderer, loadMs, drawn: drawing.drawing, fadedEdges: drawing.fadedEdges, why: drawing.why, ...result });
      console.log(`      ${JSON.stringify(rows.at(-1))}`);
      // one frame of all 250k edges takes up to minutes on a software rasterizer: the picture is
      // a courtesy, the measurement above is what counts
      if (edges === Math.max(...SIZES))
        await page.screenshot({ path: join(shotsDir, `graph-bench-${mode}-${edges / 1000}k.png`), timeout: 180_000 }).catch((e) => console.log(`      no screenshot: ${String(e.message).split('\n')[0]}`));
      await page.close();
    });
  }
}
await bench.close();
server.close();

// rows of earlier runs stay unless this run measured the same size and mode
const earlier = existsSync(benchFile) ? (JSON.parse(readFileSync(benchFile, 'utf8')).rows ?? []) : [];
const merged = [...earlier.filter((e) => !rows.some((r) => r.edges === e.edges && r.mode === e.mode)), ...rows].sort((a, b) => a.edges - b.edges);
const f = (v) => (v === undefined ? '-' : v.toFixed(1).padStart(8));
console.log('\n   edges  mode       renderer  frames  frame ms (median      p95)  render CPU ms  threshold ms (to 2nd frame, CPU)  load ms');
for (const r of merged) {
  console.log(`${String(r.edges).padStart(8)}  ${r.mode.padEnd(10)} ${r.renderer.padEnd(8)} ${String(r.frames).padStart(6)}  ${f(r.frameMedian)} ${f(r.frameP95)}       ${f(r.renderCpuMedian)}      ${f(r.thresholdMedian)} ${f(r.thresholdCpu)}          ${String(r.loadMs).padStart(7)}`);
}
if (rows.length) writeFileSync(benchFile, JSON.stringify({ date: new Date().toISOString(), adapter: 'headless Chromium, SwiftShader (software rasterizer), 2 shared cores', canvas: '1280x760 page, no multisampling; instanced/expanded/graphics draw every edge, auto hides faded edges', rows: merged }, null, 2));
if (rows.length) console.log(`\nwrote ${benchFile}`);
finish();
