// End-to-end checks of the classroom tour and the preservation curve in headless Chromium
// (SwiftShader WebGPU): the header's Tour button starts the tour, every step is reached by
// keyboard from the first (n / PageDown, p back, Esc leaves) and by its own link (?tour=N), each
// step shows its card and the view it describes (the prepared digit, the selected unit, the
// circuit of "3", the ablated unit, the other criterion); the preservation curve has one point
// per keep fraction and marks the current keep. Screenshots at 1920x1080 in test-results/tour/.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'tour');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);
/** What each step shows (tour.ts): the prepared "3" is image 351; conv2:18 is node 35. */
const LAST = 7;
const CIRCUIT_OF_3 = { model: 'digits', target: 'logit:3', images: 'class:3', keep: '0.05' };
const EXPECTED = [
  { model: 'digits', image: '351' },
  { model: 'digits', image: '351' },
  { model: 'digits', image: '351', select: 'node:35' },
  { model: 'digits', image: '351', target: 'logit:3' },
  { ...CIRCUIT_OF_3, image: '351' },
  { ...CIRCUIT_OF_3, image: '351', select: 'node:35', ablate: 'node:35' },
  { ...CIRCUIT_OF_3, image: '351', criterion: 'magnitude' },
  { ...CIRCUIT_OF_3, image: '351' },
];
const CURVE_KEEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, origin } = await serveBuild(buildDir, '/microscope/');
const base = `${origin}/microscope/`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});
const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
const errors = [];
const requests = [];
context.on('request', (r) => requests.push(r.url()));
const page = await context.newPage();
page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

const shot = (name) => page.screenshot({ path: join(shotsDir, `${name}.png`) });
const params = () => Object.fromEntries(new URL(page.url()).searchParams);

/** Waits for the page, its graph and (with `query`) the circuit of that query, drawn and not running. */
async function waitForView(query = null) {
  await page.waitForFunction(
    (q) => {
      const h = window.microscope;
      if (!h || document.body.dataset.graphReady !== 'true' || !document.querySelector('[data-testid="kernels-kept"]')) return false;
      if (document.querySelector('[data-testid="query-progress"]')) return false;
      const shown = h.query();
      return !q || (shown && Object.entries(q).every(([k, v]) => shown[k] === v));
    },
    query,
    { timeout: GPU_TIMEOUT, polling: 250 },
  );
}

/** The card shows step n, and the address carries tour=n and the step's view. */
async function expectStep(n) {
  await page.waitForFunction((s) => document.querySelector('[data-testid="tour-card"]')?.dataset.step === String(s), n, { timeout: GPU_TIMEOUT, polling: 100 });
  await page
    .waitForFunction(
      ([s, want]) => {
        const p = new URL(location.href).searchParams;
        return p.get('tour') === String(s) && Object.entries(want).every(([k, v]) => p.get(k) === v);
      },
      [n, EXPECTED[n]],
      { timeout: GPU_TIMEOUT, polling: 100 },
    )
    .catch(() => {});
  const p = params();
  for (const [k, v] of Object.entries(EXPECTED[n])) assert(p[k] === v, `step ${n}: parameter ${k} is ${p[k]}, expected ${v} (${page.url()})`);
  if (n !== 5) assert(!('ablate' in p), `step ${n}: nothing is ablated, the link says ${p.ablate}`);
}

/** What step n shows beyond its card: the prepared digit classified, the unit's map, the circuit, the ablation, the overlap. */
async function expectStepView(n) {
  const criterion = n === 6 ? 'magnitude' : 'actgrad';
  if (n >= 4) await waitForView({ target: 'logit:3', images: 'class:3', criterion });
  if (n === 1) {
    await page.waitForFunction(() => window.microscope?.current()?.image === 351 && !window.microscope.current().classifying, null, { timeout: GPU_TIMEOUT });
    const live = await page.textContent('[data-testid="tour-live"]');
    assert(/this digit is a 3 \(/.test(live ?? ''), `step 1: the card says "${live}"`);
  }
  if (n === 2) await page.waitForSelector('[data-testid="node-panel"][data-node="35"]', { timeout: GPU_TIMEOUT });
  if (n >= 4) {
    const kept = await page.evaluate(() => window.microscope.kept().length);
    assert(kept > 0, `step ${n}: the circuit of 3 is empty`);
  }
  if (n === 5) {
    await page.waitForSelector('[data-testid="ablated-prediction"]', { timeout: GPU_TIMEOUT });
    await page.waitForFunction(() => /Without the filter: 5 \(/.test(document.querySelector('[data-testid="tour-live"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
  }
  if (n === 6) {
    await page.waitForFunction(() => /both keep \d+/.test(document.querySelector('[data-testid="tour-live"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
  }
}

console.log('tour and preservation curve (headless Chromium, 1920x1080)');

await check('the Tour button starts the tour; n / PageDown walk every step in order, p goes back, Esc leaves', async () => {
  await page.goto(`${base}?model=digits`);
  await waitForView();
  assert((await page.$('[data-testid="tour-card"]')) === null, 'a tour card before the tour started');
  await page.click('[data-testid="tour-start"]');
  await expectStep(0);
  await shot('step-0-intro');
  for (let n = 1; n <= LAST; n++) {
    await page.keyboard.press(n % 2 ? 'n' : 'PageDown');
    await expectStep(n);
    await expectStepView(n);
    if (n === 1 || n === 5 || n === 6) await shot(`step-${n}`);
  }
  await page.keyboard.press('n'); // past the end: stays
  await expectStep(LAST);
  await page.keyboard.press('p');
  await expectStep(LAST - 1);
  await page.keyboard.press('PageUp');
  await expectStep(LAST - 2);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid="tour-card"]'), null, { timeout: 10_000 });
  assert(!new URL(page.url()).searchParams.has('tour'), `Esc left the tour, but the link still says ${page.url()}`);
  assert(params().ablate === 'node:35', 'leaving the tour keeps the view it showed');
});

await check('Back returns to the previous tour step', async () => {
  await page.goto(`${base}?tour=3`);
  await expectStep(3);
  await waitForView();
  await page.click('[data-testid="tour-next"]');
  await expectStep(4);
  await page.goBack();
  await expectStep(3);
});

for (let n = 0; n <= LAST; n++) {
  await check(`the link ?tour=${n} opens step ${n} with its view`, async () => {
    await page.goto(`${base}?tour=${n}`);
    await expectStep(n);
    await waitForView();
    await expectStepView(n);
    if (n === 4) await shot('step-4-link');
  });
}

await check('a garbled tour step is a warning and no tour', async () => {
  await page.goto(`${base}?model=digits&tour=12`);
  await waitForView();
  assert((await page.$('[data-testid="tour-card"]')) === null, 'a tour card for tour=12');
  const text = await page.textContent('body');
  assert(text.includes('parameter "tour" = "12" ignored'), 'no warning names the tour parameter');
});

await check('the preservation curve: one point per keep fraction, the current keep marked, other criteria on request', async () => {
  await page.goto(`${base}?tour=4`);
  await waitForView({ target: 'logit:3', criterion: 'actgrad' });
  await page.keyboard.press('Escape'); // the tour card covers the controls
  await page.click('[data-testid="curve-run"]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="curve-point"]').length === n, CURVE_KEEPS.length, { timeout: GPU_TIMEOUT, polling: 250 });
  const points = await page.$$eval('[data-testid="curve-point"]', (els) => els.map((e) => ({ criterion: e.dataset.criterion, keep: Number(e.dataset.keep), r: Number(e.dataset.r), cx: Number(e.getAttribute('cx')) })));
  assert(points.every((p) => p.criterion === 'actgrad'), 'points of another criterion before asking');
  assert(JSON.stringify(points.map((p) => p.keep)) === JSON.stringify(CURVE_KEEPS), `keeps ${points.map((p) => p.keep)}`);
  for (let i = 1; i < points.length; i++) assert(points[i].cx > points[i - 1].cx, 'the keep axis does not increase to the right');
  const all = points[points.length - 1];
  assert(all.r > 0.9999, `r with everything kept is ${all.r}`);
  assert(points[0].r < all.r, 'r at 1% is not below r at 100%');
  const mark = await page.$eval('[data-testid="curve-current"]', (e) => ({ keep: Number(e.dataset.keep), x: Number(e.getAttribute('x1')) }));
  assert(mark.keep === 0.05, `the current keep is marked at ${mark.keep}`);
  assert(Math.abs(mark.x - points[2].cx) < 0.01, 'the mark is not at the 5% point');
  await page.locator('[data-testid="preservation-curve"]').scrollIntoViewIfNeeded();
  await shot('curve-actgrad');
  // a looser cut moves the mark, the curve stays (cached per query)
  await page.keyboard.press('Escape');
  await page.keyboard.press(']');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="curve-current"]')?.dataset.keep) === 0.063, null, { timeout: GPU_TIMEOUT });
  assert((await page.$$('[data-testid="curve-point"]')).length === CURVE_KEEPS.length, 'the curve was lost when the cut changed');
  await page.click('[data-testid="curve-compare"]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="curve-point"]').length === n, CURVE_KEEPS.length * 4, { timeout: GPU_TIMEOUT * 4, polling: 500 });
  const criteria = await page.$$eval('[data-testid="curve-point"]', (els) => [...new Set(els.map((e) => e.dataset.criterion))]);
  assert(JSON.stringify(criteria) === JSON.stringify(['actgrad', 'snip', 'magnitude', 'random']), `criteria ${criteria}`);
  await page.locator('[data-testid="preservation-curve"]').scrollIntoViewIfNeeded();
  await shot('curve-compared');
});

await check('no console errors, nothing leaves the origin', async () => {
  assert(errors.length === 0, errors.slice(0, 5).join('\n'));
  const off = requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  assert(off.length === 0, `requests off the origin: ${off.slice(0, 3).join(', ')}`);
});

await browser.close();
server.close();
finish();
