// End-to-end legibility of the graph demo (/graph) in headless Chromium: fashion-inception at
// 1920x1080 and 1280x800 (grid, zoomed in, Class MDS), each built-in model at 1280x800: no two
// drawn labels overlap (the renderer's own label boxes), every layer is named, the inception
// branches run in distinct lanes, the graph fills the canvas, the zoom and fit buttons work, a
// new cut refits the view,
// the legend lists what the colours mean.
// Screenshots land in test-results/e2e/layout-*.png. Run alone, or from graph.mjs.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const shotsDir = join(root, 'test-results', 'e2e');
const MODELS = ['fashion-small', 'fashion-vgg', 'fashion-vgg-sparse', 'digits', 'fashion-inception'];
const BRANCHES = [['inc3a_1x1', 'inc3a_3x3', 'inc3a_5x5', 'inc3a_pool_proj'], ['inc4a_1x1', 'inc4a_3x3_reduce', 'inc4a_5x5_reduce', 'inc4a_pool_proj']];
const frames = (page) => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));

/** Label boxes, each layer's box on the canvas, and the canvas size. */
function measure(page) {
  return page.evaluate(() => {
    const d = window.graphDemo;
    const r = d.scene.canvas.getBoundingClientRect();
    const layers = d.layers().map((l) => {
      const b = { name: l.name, x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
      for (let n = l.nodeStart; n < l.nodeStart + l.nodeCount; n++) {
        const p = d.nodeOnPage(n);
        b.x0 = Math.min(b.x0, p.x - r.left); b.x1 = Math.max(b.x1, p.x - r.left);
        b.y0 = Math.min(b.y0, p.y - r.top); b.y1 = Math.max(b.y1, p.y - r.top);
      }
      return b;
    });
    return { labels: d.scene.labelBoxes(), layers, canvas: { width: r.width, height: r.height }, view: d.scene.getView() };
  });
}

function overlaps(labels) {
  const out = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    const [a, b] = [labels[i], labels[j]];
    if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(`"${a.text}" / "${b.text}"`);
  }
  return out;
}

/** Layers named alike (elided names count by their visible ends) and labels inside the canvas. */
function assertLegible(m, what) {
  const bad = overlaps(m.labels);
  assert(bad.length === 0, `${what}: overlapping labels ${bad.slice(0, 5).join(', ')}`);
  for (const l of m.labels) assert(l.x >= 0 && l.y >= 0 && l.x + l.w <= m.canvas.width + 0.5 && l.y + l.h <= m.canvas.height + 0.5, `${what}: label "${l.text}" leaves the canvas`);
}

function assertLanes(m, names, what) {
  const boxes = names.map((n) => m.layers.find((l) => l.name === n));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const gap = Math.max(boxes[i].y0, boxes[j].y0) - Math.min(boxes[i].y1, boxes[j].y1);
    assert(gap >= 12, `${what}: ${names[i]} and ${names[j]} are ${gap.toFixed(1)} px apart across the forward axis`);
  }
}

function extent(m) {
  const x0 = Math.min(...m.layers.map((l) => l.x0)), x1 = Math.max(...m.layers.map((l) => l.x1));
  const y0 = Math.min(...m.layers.map((l) => l.y0)), y1 = Math.max(...m.layers.map((l) => l.y1));
  return { w: (x1 - x0) / m.canvas.width, h: (y1 - y0) / m.canvas.height };
}

export async function layoutChecks(browser, origin) {
  mkdirSync(shotsDir, { recursive: true });
  const open = async (query, width, height) => {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors = [];
    page.on('console', (msg) => msg.type() === 'error' && errors.push(`console: ${msg.text()}`));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(`${origin}/graph?${query}`);
    await page.waitForSelector('body[data-graph-ready="true"]', { timeout: 180_000 });
    await frames(page);
    return { page, errors };
  };
  for (const [width, height] of [[1920, 1080], [1280, 800]]) {
    await check(`fashion-inception ${width}x${height}: lanes, labels apart, the graph fills the canvas, zoom and fit buttons`, async () => {
      const { page, errors } = await open('model=fashion-inception&target=logit:Bag', width, height);
      const m = await measure(page);
      assertLegible(m, 'fitted');
      const named = new Set(m.labels.map((l) => l.text));
      const layerLabels = m.labels.filter((l) => m.layers.some((ly) => ly.name === l.text || (l.text.includes('…') && ly.name.startsWith(l.text.split('…')[0]))));
      assert(layerLabels.length >= m.layers.length, `only ${layerLabels.length} of ${m.layers.length} layers named: ${[...named].join(', ')}`);
      assert(named.has('target: Bag'), `no target tag among ${[...named].join(', ')}`);
      for (const group of BRANCHES) assertLanes(m, group, `${width}x${height}`);
      const e = extent(m);
      console.log(`      graph spans ${(e.w * 100).toFixed(0)}% of the canvas width, ${(e.h * 100).toFixed(0)}% of its height; ${m.labels.length} labels`);
      assert(e.w > 0.8 && e.h > 0.6, `the graph covers ${JSON.stringify(e)} of the canvas`);
      await page.screenshot({ path: join(shotsDir, `layout-inception-${width}x${height}.png`) });
      // zoom in with the button: unit names appear, still apart; fit comes back
      for (let i = 0; i < 4; i++) await page.click('[data-testid="graph-zoom-in"]');
      await frames(page);
      const zoomed = await measure(page);
      assert(zoomed.view.zoom > m.view.zoom * 3, `zoom ${m.view.zoom} -> ${zoomed.view.zoom}`);
      assertLegible(zoomed, 'zoomed');
      const units = zoomed.labels.filter((l) => /:\d+$/.test(l.text)).length;
      assert(units > 10, `zoomed in, only ${units} unit names`);
      assert(zoomed.labels.length - units >= 3, 'zoomed in, the layer names went');
      await page.screenshot({ path: join(shotsDir, `layout-inception-${width}x${height}-zoomed.png`) });
      // a new cut let go on the slider: the view fits the new circuit again
      await page.$eval('input[aria-label="keep fraction"]', (el) => {
        el.value = '0.05';
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await frames(page);
      const refit = (await measure(page)).view.zoom;
      assert(refit < zoomed.view.zoom / 2 && refit >= m.view.zoom * 0.98, `after a new cut the view did not fit the circuit: zoom ${zoomed.view.zoom} -> ${refit} (fitted ${m.view.zoom})`);
      for (let i = 0; i < 4; i++) await page.click('[data-testid="graph-zoom-in"]');
      await frames(page);
      await page.click('[data-testid="graph-zoom-out"]');
      await frames(page);
      const out = (await measure(page)).view.zoom;
      const before = refit * 1.4 ** 4;
      assert(Math.abs(out / before - 1 / 1.4) < 0.01, `zoom out: ${before} -> ${out}`);
      await page.click('[data-testid="graph-fit"]');
      await frames(page);
      const fitted = (await measure(page)).view;
      assert(Math.abs(fitted.zoom - refit) / refit < 0.02, `fit: ${JSON.stringify(fitted)} vs ${refit}`);
      // Class MDS: every layer in its own band, labels apart
      await page.selectOption('select[aria-label="layout"]', 'mds');
      await frames(page);
      const mds = await measure(page);
      assertLegible(mds, 'Class MDS');
      await page.screenshot({ path: join(shotsDir, `layout-inception-${width}x${height}-mds.png`) });
      assert(errors.length === 0, errors.join('\n'));
      await page.close();
    });
  }
  await check('every built-in model at 1280x800: all layers named, no labels overlapping, the graph fills the canvas', async () => {
    for (const model of MODELS) {
      const { page, errors } = await open(`model=${model}`, 1280, 800);
      const m = await measure(page);
      assertLegible(m, model);
      const e = extent(m);
      console.log(`      ${model}: ${m.labels.length} labels for ${m.layers.length} layers; graph ${(e.w * 100).toFixed(0)}% x ${(e.h * 100).toFixed(0)}% of the canvas`);
      assert(m.labels.length >= m.layers.length, `${model}: ${m.labels.length} labels for ${m.layers.length} layers`);
      assert(e.w > 0.8 || e.h > 0.8, `${model}: the graph covers ${JSON.stringify(e)} of the canvas`);
      await page.screenshot({ path: join(shotsDir, `layout-${model}-1280x800.png`) });
      if (model === 'fashion-small') {
        // the legend, from the renderer's own colours: red and blue kernels, the target
        await page.click('details.legend summary');
        const items = await page.$$eval('[data-testid="graph-legend"] li', (li) => li.map((l) => l.textContent.trim()));
        assert(items.length >= 10 && items.some((t) => /^red/.test(t)) && items.some((t) => /^blue/.test(t)) && items.some((t) => /target/.test(t)), `legend: ${items.join(' | ')}`);
        await page.screenshot({ path: join(shotsDir, 'layout-legend.png') });
      }
      assert(errors.length === 0, errors.join('\n'));
      await page.close();
    }
  });
}

// run on its own: node tests/e2e/layout.mjs
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const buildDir = join(root, 'build');
  if (!existsSync(join(buildDir, 'graph.html'))) {
    console.error(`No built graph page at ${buildDir}/graph.html. Run \`npm run build\` first.`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const { server, origin } = await serveBuild(buildDir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
  });
  console.log('graph layout and labels');
  await layoutChecks(browser, origin);
  await browser.close();
  server.close();
  finish();
}
