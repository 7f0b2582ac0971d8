// End-to-end checks of reported bugs, each one a check that failed before its fix (headless
// Chromium, SwiftShader WebGPU): leaving the target field, Cancel after raising the cut, Visualize
// on a kernel leaving the input, a query on one image, and the digit pad after Clear.
import { join } from 'node:path';
import { startSite, openPanels, GPU_TIMEOUT } from './site.mjs';
import { check, assert, finish } from './harness.mjs';

const ONLY = process.env.BUGS_ONLY ? new Set(process.env.BUGS_ONLY.split(',')) : null;

const { server, origin, browser, shotsDir } = await startSite('e2e');

async function openPage(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await openPanels(context); // both side panels open: these checks use the controls and the inspector
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  await page.goto(origin + url);
  return { context, page, errors };
}

/** Waits until a circuit is shown (no query running) and returns the query it answers. */
async function waitForCircuit(page) {
  await page.waitForFunction(() => {
    const h = window.microscope;
    return h && document.body.dataset.graphReady === 'true' && document.querySelector('[data-testid="kernels-kept"]') && !document.querySelector('[data-testid="query-progress"]');
  }, null, { timeout: GPU_TIMEOUT, polling: 250 });
  return page.evaluate(() => window.microscope.query());
}

const shot = (page, name) => page.screenshot({ path: join(shotsDir, `${name}.png`) });
/** Runs a check on its own page, closed afterwards; BUGS_ONLY=a,b runs only the named ones. */
async function bug(id, name, url, fn) {
  if (ONLY && !ONLY.has(id)) return;
  await check(`${id}: ${name}`, async () => {
    const p = await openPage(url);
    try {
      await fn(p);
    } finally {
      await p.context.close();
    }
  });
}

await bug('clear', 'after Clear on the digit pad there is no prediction until something is drawn', '/?model=digits&images=image:0', async ({ page }) => {
  await page.waitForSelector('[data-testid="draw-pad"] canvas', { timeout: GPU_TIMEOUT });
  await page.waitForFunction(() => window.microscope?.current()?.image >= 0, null, { timeout: GPU_TIMEOUT });
  await page.locator('[data-testid="draw-pad"] canvas').scrollIntoViewIfNeeded(); // it sits in the scrolling side panel
  const pad = await page.$eval('[data-testid="draw-pad"] canvas', (c) => {
    const r = c.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  const path = [[0.5, 0.15], [0.5, 0.5], [0.5, 0.85]]; // a "1"
  await page.mouse.move(pad.x + path[0][0] * pad.w, pad.y + path[0][1] * pad.h);
  await page.mouse.down();
  for (const [u, v] of path.slice(1)) await page.mouse.move(pad.x + u * pad.w, pad.y + v * pad.h, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => {
    const c = window.microscope.current();
    return c?.image === -1 && !c.classifying;
  }, null, { timeout: GPU_TIMEOUT, polling: 100 });
  await page.click('[data-testid="draw-pad"] button:has-text("Clear")');
  await page.waitForTimeout(1500);
  const after = await page.evaluate(() => window.microscope.current());
  const caption = (await page.textContent('.current').catch(() => '')) ?? '';
  await shot(page, 'bugs-clear');
  assert(after === null || after.ranked.length === 0, `after Clear the page predicts ${JSON.stringify(after?.ranked?.[0])} for the blank pad`);
  assert(!/\d%/.test(caption), `after Clear the current image reads "${caption.trim().replace(/\s+/g, ' ')}"`);
  // drawing again predicts again
  await page.mouse.move(pad.x + 0.5 * pad.w, pad.y + 0.2 * pad.h);
  await page.mouse.down();
  await page.mouse.move(pad.x + 0.5 * pad.w, pad.y + 0.8 * pad.h, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => {
    const c = window.microscope.current();
    return c?.image === -1 && !c.classifying && c.ranked.length > 0;
  }, null, { timeout: GPU_TIMEOUT, polling: 100 });
});

await bug('image', 'a query on image:8 shows image #8 in the inspector', '/?model=fashion-small&images=image:8', async ({ page, errors }) => {
  const q = await waitForCircuit(page);
  assert(q.images === 'image:8', `the query is on ${q.images}`);
  await page.waitForFunction(() => window.microscope.current() !== null, null, { timeout: GPU_TIMEOUT });
  const current = await page.evaluate(() => window.microscope.current().image);
  const link = new URL(await page.evaluate(() => location.href)).searchParams.get('image');
  await shot(page, 'bugs-image-8');
  assert(current === 8, `the query is about image 8, the inspector shows image ${current}`);
  assert(link === null || link === '8', `the link says image=${link}`);
  assert(errors.length === 0, errors.join('\n'));
});

await bug('viz-input', 'Visualize on a kernel leaving the input layer runs', '/?model=fashion-small', async ({ page, errors }) => {
  await waitForCircuit(page);
  const e = await page.evaluate(() => {
    const h = window.microscope;
    for (let e = 0; e < h.edgeCount; e++) if (h.nodeLayer(h.edgeEnds(e).source) === 'input') return e;
    return -1;
  });
  assert(e >= 0, 'no edge leaves the input');
  await page.goto(`${origin}/?model=fashion-small&select=edge:${e}`);
  await waitForCircuit(page);
  await page.waitForSelector(`[data-testid="edge-panel"][data-edge="${e}"] [data-testid="visualize"]`, { timeout: GPU_TIMEOUT });
  await page.click(`[data-testid="edge-panel"] [data-testid="visualize"]`);
  await page.waitForFunction(() => document.querySelector('[data-testid="viz"] [data-testid="viz-image"]') || document.querySelector('[data-testid="viz"] [role="alert"]'), null, { timeout: GPU_TIMEOUT });
  const error = await page.$eval('[data-testid="viz"]', (el) => el.querySelector('[role="alert"]')?.textContent ?? null);
  await shot(page, 'bugs-viz-input');
  assert(error === null, `Visualize on edge ${e} (input -> ${await page.evaluate((id) => window.microscope.edgeEnds(id).layer, e)}) says: ${error}`);
  assert(errors.length === 0, errors.join('\n'));
});

await bug('target-leave', 'leaving the target for the Images field starts no query', '/?model=fashion-small', async ({ page }) => {
  await waitForCircuit(page);
  const before = await page.evaluate(() => location.href);
  await page.fill('[data-testid="target-input"]', 'logit:Bag');
  await page.click('[data-testid="images-input"]');
  await page.waitForTimeout(800);
  assert(!(await page.$('[data-testid="query-progress"]')), 'a query with the old image set started when the target field was left for the images field');
  assert((await page.evaluate(() => location.href)) === before, 'the link changed before the image set was entered');
  // entering an image set and leaving both fields runs the two together
  await page.fill('[data-testid="images-input"]', 'image:3');
  await page.keyboard.press('Enter');
  const q = await waitForCircuit(page);
  assert(q.target === 'logit:Bag' && q.images === 'image:3', `after leaving both fields the query is ${JSON.stringify(q)}`);
});

await bug('cancel-cut', 'after Cancel of a raised cut (FORCE, ], Esc) the slider and the link say the cut drawn', '/?model=fashion-small&criterion=force', async ({ page }) => {
  const drawn = await waitForCircuit(page);
  assert(drawn.criterion === 'force' && drawn.cut.value === 0.1, `the first circuit is ${JSON.stringify(drawn)}`);
  const drawnHref = await page.evaluate(() => location.href);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(']');
  await page.waitForSelector('[data-testid="query-progress"]', { timeout: 10_000 });
  await page.waitForTimeout(300);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="query-cancelled"]', { timeout: 10_000 });
  await page.waitForTimeout(800);
  const cut = (await page.textContent('[data-testid="cut-value"]')).trim();
  const slider = await page.$eval('[data-testid="cut"] input[type="range"], input[type="range"]', (el) => el.value).catch(() => null);
  const href = await page.evaluate(() => location.href);
  const now = await page.evaluate(() => window.microscope.query());
  await shot(page, 'bugs-cancel-cut');
  assert(JSON.stringify(now) === JSON.stringify(drawn), `the circuit drawn changed to ${JSON.stringify(now)}`);
  assert(cut === '10.0%', `after Cancel the cut reads ${cut} (slider ${slider}) while the 10% circuit is drawn`);
  assert(href === drawnHref, `after Cancel the link is ${href}, the circuit drawn is ${drawnHref}`);
  // Esc at once after ] (the query may not have started yet): once settled, the cut shown and the link are the drawn circuit's
  for (const pause of [0, 40, 120]) {
    await page.keyboard.press(']');
    if (pause) await page.waitForTimeout(pause);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1500);
    if (await page.$('[data-testid="query-progress"]')) {
      await page.keyboard.press('Escape');
      await page.waitForSelector('[data-testid="query-cancelled"]', { timeout: 10_000 });
      await page.waitForTimeout(800);
    }
    const q = await page.evaluate(() => window.microscope.query());
    const shown = (await page.textContent('[data-testid="cut-value"]')).trim();
    const keep = new URL(await page.evaluate(() => location.href)).searchParams.get('keep') ?? '0.1';
    assert(shown === `${(q.cut.value * 100).toFixed(1)}%` && Number(keep) === q.cut.value, `Esc ${pause} ms after ]: the cut reads ${shown}, the link keep=${keep}, the circuit drawn keeps ${q.cut.value}`);
  }
});

await browser.close();
server.close();
finish();
