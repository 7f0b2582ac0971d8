// End-to-end legibility of the microscope page in headless Chromium, for every built-in model at
// 1280x800 and 1920x1080 with the panels in their default state: the graph's canvas (less any
// panel over it) covers at least 60% of the viewport, no two drawn labels overlap (the renderer's
// own boxes), the legend is on screen and says what colour and width mean, a new circuit is fitted
// into view, and the panel toggles work by keyboard (kept in this browser, never in the link).
// Screenshots land in test-results/legibility/.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'legibility');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);
const MODELS = process.env.LEGIBILITY_MODELS?.split(',') ?? ['fashion-small', 'fashion-vgg', 'fashion-vgg-sparse', 'digits', 'fashion-inception'];
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }];
/** Models small enough to wait for their first circuit on a software GPU (fit on query is checked on them). */
const QUICK = ['fashion-small', 'digits'].filter((m) => MODELS.includes(m));

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, origin } = await serveBuild(buildDir, '/microscope/');
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});
const frames = (page) => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));

async function open(model, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // the larger models' default query (500 images) would keep the GPU busy under these layout
  // checks; one image makes it short, and the graph's layout does not depend on the query
  await page.goto(`${origin}/microscope/?model=${model}${QUICK.includes(model) ? '' : '&images=image:0'}`);
  await page.waitForFunction(() => document.body.dataset.graphReady === 'true' && window.microscope?.nodeCount > 0 && !document.querySelector('.layout-note'), null, { timeout: GPU_TIMEOUT, polling: 250 });
  await frames(page);
  return { context, page, errors };
}

/** Waits for a circuit other than `before` (JSON of the hook's query, or null for any) to be drawn. */
async function waitForCircuit(page, before = null) {
  await page.waitForFunction(
    (b) => {
      const h = window.microscope;
      if (!document.querySelector('[data-testid="kernels-kept"]') || document.querySelector('[data-testid="query-progress"]')) return false;
      return b === null || JSON.stringify(h.query()) !== b;
    },
    before,
    { timeout: GPU_TIMEOUT * 2, polling: 250 },
  );
  await page.waitForTimeout(300);
  await frames(page);
}

/** The graph canvas's box, the part of it no panel covers, and the viewport. */
function measure(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="graph"] canvas').getBoundingClientRect();
    let area = c.width * c.height;
    const panel = document.querySelector('#inspector-panel');
    const over = panel && !panel.hidden && getComputedStyle(panel).position === 'absolute' ? panel.getBoundingClientRect() : null;
    if (over) {
      const w = Math.max(0, Math.min(c.right, over.right) - Math.max(c.left, over.left));
      const h = Math.max(0, Math.min(c.bottom, over.bottom) - Math.max(c.top, over.top));
      area -= w * h;
    }
    return { canvas: { x: c.left, y: c.top, w: c.width, h: c.height }, visibleArea: area, viewport: { w: innerWidth, h: innerHeight }, labels: window.microscope.labelBoxes() };
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

/** Kept nodes (ends of kept edges) that are not inside the canvas. */
function keptOutside(page) {
  return page.evaluate(() => {
    const h = window.microscope;
    const nodes = new Set();
    for (const e of h.kept()) {
      const ends = h.edgeEnds(e);
      nodes.add(ends.source);
      nodes.add(ends.target);
    }
    const out = [...nodes].filter((n) => h.nodeOnPage(n) === null);
    return { kept: nodes.size, outside: out.length };
  });
}

async function legendChecks(page, what) {
  const legend = page.locator('[data-testid="legend-box"]');
  assert(await legend.isVisible(), `${what}: no legend on screen`);
  const summary = (await legend.locator('summary').innerText()).toLowerCase();
  assert(/colou?r/.test(summary) && summary.includes('width'), `${what}: the legend's line "${summary}" does not say what colour and width mean`);
  const lb = await legend.boundingBox();
  const m = await measure(page);
  assert(lb.x >= m.canvas.x && lb.y >= m.canvas.y && lb.x + lb.width <= m.canvas.x + m.canvas.w + 1 && lb.y + lb.height <= m.canvas.y + m.canvas.h + 1, `${what}: the legend is not over the graph`);
}

for (const model of MODELS) {
  for (const viewport of VIEWPORTS) {
    const what = `${model} at ${viewport.width}x${viewport.height}`;
    await check(`${what}: the graph fills ≥ 60% of the viewport, labels do not overlap, the legend explains colour and width`, async () => {
      const { context, page, errors } = await open(model, viewport);
      try {
        if (QUICK.includes(model)) await waitForCircuit(page);
        const m = await measure(page);
        const share = m.visibleArea / (m.viewport.w * m.viewport.h);
        console.log(`      ${what}: graph ${Math.round(m.canvas.w)}x${Math.round(m.canvas.h)} px, ${(share * 100).toFixed(1)}% of the viewport, ${m.labels.length} labels`);
        await page.screenshot({ path: join(shotsDir, `${model}-${viewport.width}x${viewport.height}.png`), timeout: 120_000 }); // a frame can take long while the GPU process is busy
        assert(share >= 0.6, `${what}: the graph covers ${(share * 100).toFixed(1)}% of the viewport`);
        assert(m.labels.length > 0, `${what}: no labels drawn`);
        const bad = overlaps(m.labels);
        assert(bad.length === 0, `${what}: overlapping labels ${bad.slice(0, 5).join(', ')}`);
        await legendChecks(page, what);
        if (model === 'fashion-small') {
          // opened, the legend lists each colour and width with its meaning, over the graph
          await page.click('[data-testid="legend-box"] summary');
          const full = await page.locator('[data-testid="graph-legend"]').innerText();
          assert(await page.locator('[data-testid="graph-legend"]').isVisible() && /red/.test(full) && /blue/.test(full) && /thick/.test(full) && /target/.test(full), `${what}: the opened legend reads "${full.slice(0, 120)}…"`);
          await page.screenshot({ path: join(shotsDir, `${model}-${viewport.width}x${viewport.height}-legend.png`), timeout: 120_000 }); // a frame can take long while the GPU process is busy
        }
        const fold = await page.evaluate(() => [...document.querySelectorAll('[data-testid="circuit-line"], [data-testid="run"], [data-testid="toggle-controls"], [data-testid="toggle-inspector"]')]
          .map((el) => ({ id: el.dataset.testid, r: el.getBoundingClientRect() })).filter(({ r }) => r.bottom > innerHeight || r.right > innerWidth || r.height === 0).map(({ id }) => id));
        assert(fold.length === 0, `${what}: below the fold or hidden: ${fold.join(', ')}`);
        if (QUICK.includes(model)) assert(await page.locator('[data-testid="circuit-line"]').isVisible(), `${what}: the circuit's count is not shown over the graph`);
        assert(errors.length === 0, `${what}: ${errors.join('; ')}`);
      } finally {
        await context.close();
      }
    });
  }
}

for (const model of QUICK) {
  for (const viewport of VIEWPORTS) {
    const what = `${model} at ${viewport.width}x${viewport.height}`;
    await check(`${what}: a new circuit is fitted into view`, async () => {
      const { context, page } = await open(model, viewport);
      try {
        await waitForCircuit(page);
        let k = await keptOutside(page);
        assert(k.kept > 0 && k.outside === 0, `${what}: ${k.outside} of ${k.kept} kept nodes outside the canvas after the first circuit`);
        for (let i = 0; i < 6; i++) await page.click('[data-testid="graph-zoom-in"]');
        await frames(page);
        const zoomed = await keptOutside(page);
        assert(zoomed.outside > 0, `${what}: zoomed in, every kept node is still in view (the check could not fail)`);
        const before = await page.evaluate(() => JSON.stringify(window.microscope.query()));
        await page.locator('body').focus();
        await page.keyboard.press(']');
        await page.keyboard.press('Enter');
        await waitForCircuit(page, before);
        k = await keptOutside(page);
        assert(k.outside === 0, `${what}: ${k.outside} of ${k.kept} kept nodes outside the canvas after a new query`);
        await page.screenshot({ path: join(shotsDir, `${model}-${viewport.width}x${viewport.height}-refit.png`), timeout: 120_000 }); // a frame can take long while the GPU process is busy
      } finally {
        await context.close();
      }
    });
  }
}

await check('the panel toggles work by keyboard, are kept in this browser and stay out of the link', async () => {
  const { context, page } = await open('fashion-small', VIEWPORTS[0]);
  try {
    const state = () => page.evaluate(() => ({
      left: document.querySelector('[data-testid="toggle-controls"]').getAttribute('aria-expanded'),
      right: document.querySelector('[data-testid="toggle-inspector"]').getAttribute('aria-expanded'),
      leftShown: !document.querySelector('#controls-panel').hidden,
      rightShown: !document.querySelector('#inspector-panel').hidden,
      canvas: document.querySelector('[data-testid="graph"] canvas').getBoundingClientRect().width,
    }));
    const s0 = await state();
    assert(s0.left === 'true' && s0.leftShown && s0.right === 'false' && !s0.rightShown, `default panels at 1280x800: ${JSON.stringify(s0)}`);
    await page.locator('body').focus();
    await page.keyboard.press('c');
    await page.waitForFunction((w) => document.querySelector('[data-testid="graph"] canvas').getBoundingClientRect().width > w, s0.canvas, { timeout: 10_000 }).catch(() => {});
    const s1 = await state();
    assert(s1.left === 'false' && !s1.leftShown && s1.canvas > s0.canvas, `after C: ${JSON.stringify(s1)}`);
    await page.keyboard.press('i');
    const s2 = await state();
    assert(s2.right === 'true' && s2.rightShown, `after I: ${JSON.stringify(s2)}`);
    // the buttons themselves, by keyboard: focus, then Enter and Space
    await page.focus('[data-testid="toggle-controls"]');
    await page.keyboard.press('Enter');
    const s3 = await state();
    assert(s3.left === 'true' && s3.leftShown, `Enter on the Controls button: ${JSON.stringify(s3)}`);
    await page.focus('[data-testid="toggle-inspector"]');
    await page.keyboard.press('Space');
    const s4 = await state();
    assert(s4.right === 'false' && !s4.rightShown, `Space on the inspector button: ${JSON.stringify(s4)}`);
    // typing C in a field types it
    await page.focus('[data-testid="target-input"]');
    await page.keyboard.press('c');
    assert((await state()).left === 'true', 'C typed into the target field closed the controls');
    await page.keyboard.press('Backspace');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('c');
    const s5a = await state();
    assert(s5a.left === 'false', `after C again: ${JSON.stringify(s5a)}`);
    assert(!/panel|left|right/i.test(new URL(page.url()).search), `the link holds the panels: ${page.url()}`);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.graphReady === 'true', null, { timeout: GPU_TIMEOUT });
    const s5 = await state();
    assert(s5.left === 'false' && s5.right === 'false', `after a reload the panels are not as left: ${JSON.stringify(s5)}`);
    const sizes = await page.evaluate(() => [...document.querySelectorAll('.panel-toggle')].map((b) => b.getBoundingClientRect().height));
    assert(sizes.every((h) => h >= 32), `panel toggles are too small to tap: ${sizes}`);
  } finally {
    await context.close();
  }
});

await check('the How it works page explains the criteria with their formulas and shows the atlas, from this site only', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS[0] });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(`${origin}/microscope/`);
  await page.click('[data-testid="how-link"]');
  await page.waitForURL(/\/how$/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="atlas-row"] canvas').length >= 3, null, { timeout: 30_000 });
  const text = await page.locator('main').innerText();
  for (const s of ['S = 1/d sum_img 1/m sum_p |a_{o<-i}(p) g_o(p)|', 'S = 1/d sum_img 1/K sum_k |W[o,i,k] dF/dW[o,i,k]|', 'k_t = exp(t/T ln k + (1-t/T) ln N)', 'S = 1/K sum_k |W[o,i,k]|', 'ceil(keep × N)', 'Pearson', 'effective mask']) {
    assert(text.includes(s), `the How it works page lacks "${s}"`);
  }
  await page.screenshot({ path: join(shotsDir, 'how.png'), fullPage: true });
  const off = requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  assert(off.length === 0, `requests off the origin: ${off.join(', ')}`);
  await context.close();
});

await browser.close();
server.close();
finish();
