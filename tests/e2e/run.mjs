// End-to-end checks of the built site in headless Chromium on WebGPU (SwiftShader works):
// serves build/ on 127.0.0.1 (at / and under /microscope/), classifies samples, checks the
// no-WebGPU page and model errors, records every request and console error, saves screenshots.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 120_000);
const SUBFOLDER = '/microscope/';
const MODEL = 'fashion-small';

if (!existsSync(join(buildDir, 'index.html'))) {
  console.error(`No built site at ${buildDir}/index.html. Run \`npm run build\` first, then \`npm run test:e2e\`.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM} (apt-get install chromium libvulkan1, or set CHROMIUM=...).`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });

// ---------------------------------------------------------------- static server
const { server, origin } = await serveBuild(buildDir, SUBFOLDER);
console.log(`serving ${buildDir} at ${origin}/ and ${origin}${SUBFOLDER}`);

const classes = JSON.parse(readFileSync(join(buildDir, 'weights', MODEL, 'images.json'), 'utf8')).classes;

// The independent oracle: PyTorch's float32 logits for every image of the set, when shipped.
const oracle = (() => {
  const file = join(buildDir, 'weights', MODEL, 'predictions.bin');
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  const logits = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const k = classes.length;
  const row = (i) => Array.from(logits.subarray(i * k, (i + 1) * k));
  const softmax = (v) => {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  return {
    argmax: (i) => row(i).indexOf(Math.max(...row(i))),
    /** Gap between the two largest logits: a near tie may flip in float32 on another device. */
    margin: (i) => {
      const s = row(i).sort((a, b) => b - a);
      return s[0] - s[1];
    },
    probabilities: (i) => softmax(row(i)),
  };
})();
if (!oracle) console.log(`(no predictions.bin for ${MODEL}: GPU results are checked for plausibility only)`);

/** Compares the shown top prediction of the selected image with PyTorch's. */
async function checkAgainstOracle(page) {
  if (!oracle) return;
  const image = await selectedImage(page);
  const predicted = (await page.textContent('[data-testid="predicted-class"]'))?.trim();
  const shown = Number((await page.textContent('.headline .prob'))?.replace('%', '')) / 100;
  const expected = oracle.argmax(image);
  assert(predicted === classes[expected], `image #${image}: the GPU says "${predicted}", PyTorch says "${classes[expected]}"`);
  const p = oracle.probabilities(image)[expected];
  assert(Math.abs(shown - p) < 0.0011, `image #${image}: shown probability ${shown}, PyTorch ${p.toFixed(4)}`);
}

// ---------------------------------------------------------------- browsers
const BASE_ARGS = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox'];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'];
const launch = (args) => chromium.launch({ executablePath: CHROMIUM, headless: true, args });

// ---------------------------------------------------------------- test harness

/** A page that records every request (page and workers), console error and page error. */
async function openPage(browser, { viewport = { width: 1280, height: 800 }, colorScheme = 'light', init } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
  await context.addInitScript(() => localStorage.setItem('microscope.panels', JSON.stringify({ left: true, right: true }))); // both side panels open (a visitor's preference): these checks use the images and the inspector
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  if (init) await page.addInitScript(init);
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => {
    w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`));
  });
  const offOrigin = () => requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  return { context, page, requests, errors, offOrigin };
}

async function waitForPrediction(page) {
  await page.waitForSelector('[data-testid="predicted-class"]', { timeout: GPU_TIMEOUT });
  const predicted = (await page.textContent('[data-testid="predicted-class"]'))?.trim();
  const truth = (await page.textContent('[data-testid="true-label"]'))?.trim();
  return { predicted, truth };
}

const selectedImage = (page) => page.$eval('.thumb.selected', (el) => Number(el.getAttribute('data-image')));

// ---------------------------------------------------------------- scenarios
const gpuBrowser = await launch([...BASE_ARGS, ...WEBGPU_ARGS]);

console.log('home page, WebGPU on');
{
  const { page, errors, offOrigin, requests, context } = await openPage(gpuBrowser);
  await check('page loads and the GPU classifies the first sample', async () => {
    await page.goto(origin + '/');
    const { predicted, truth } = await waitForPrediction(page);
    // Screenshot first (after the batched pass has marked the grid), so a failure has a picture.
    await page.waitForSelector('[data-testid="sample-accuracy"]', { timeout: GPU_TIMEOUT }).catch(() => {});
    await page.screenshot({ path: join(shotsDir, 'home.png') });
    assert(classes.includes(predicted), `predicted class "${predicted}" is not one of ${classes.join(', ')}`);
    assert(classes.includes(truth), `true label "${truth}" is not a class name`);
    await checkAgainstOracle(page);
    const bars = await page.$$eval('.bars li', (els) => els.length);
    assert(bars === 5, `expected 5 probability bars, found ${bars}`);
    const adapter = (await page.textContent('[data-testid="adapter"]'))?.trim();
    assert(adapter && !/Looking for a GPU|No WebGPU/.test(adapter), `adapter description missing (${adapter})`);
    const timing = await page.textContent('[data-testid="timing"]');
    assert(/Forward pass [\d.]+ ms/.test(timing ?? ''), `no forward-pass timing (${timing})`);
    console.log(`      adapter: ${adapter}; first sample "${truth}" -> "${predicted}"; ${timing?.trim()}`);
  });
  await check('sample grid shows several images per class, marked by a batched pass', async () => {
    const thumbs = await page.$$eval('.thumb', (els) => els.length);
    assert(thumbs >= classes.length * 2, `only ${thumbs} sample thumbnails`);
    await page.waitForSelector('[data-testid="sample-accuracy"]', { timeout: GPU_TIMEOUT });
    const acc = (await page.textContent('[data-testid="sample-accuracy"]'))?.trim();
    const [right, total] = (acc?.match(/\d+/g) ?? []).map(Number);
    assert(total === thumbs, `batched pass covered ${total} of ${thumbs} samples`);
    console.log(`      ${acc}`);
    await page.screenshot({ path: join(shotsDir, 'home.png') });
    if (oracle) {
      const marks = await page.$$eval('.thumb', (els) => els.map((e) => [Number(e.dataset.image), Number(e.dataset.predicted)]));
      const disagree = marks.filter(([i, p]) => p !== oracle.argmax(i) && oracle.margin(i) > 1e-3);
      assert(
        disagree.length === 0,
        `${disagree.length} of ${marks.length} batched GPU predictions differ from PyTorch: ` +
          disagree.slice(0, 8).map(([i, p]) => `#${i} GPU ${classes[p]} vs ${classes[oracle.argmax(i)]}`).join('; '),
      );
    } else {
      assert(right >= total * 0.5, `only ${right} of ${total} samples right: the model or engine looks broken`);
    }
    const gpuErrors = await page.$('[data-testid="gpu-errors"]');
    assert(!gpuErrors, 'the page shows GPU errors');
    await page.screenshot({ path: join(shotsDir, 'home.png') });
  });
  await check('clicking a sample of another class updates the prediction and the URL', async () => {
    const before = await selectedImage(page);
    const beforeTruth = (await page.textContent('[data-testid="true-label"]'))?.trim();
    // The first thumbnail of the fourth class column.
    const target = page.locator('.column').nth(3).locator('.thumb').first();
    const image = Number(await target.getAttribute('data-image'));
    await target.click();
    await page.waitForFunction(
      ([img]) => document.querySelector('.thumb.selected')?.getAttribute('data-image') === String(img) && location.search.includes(`image=${img}`),
      [image],
      { timeout: GPU_TIMEOUT },
    );
    await page.waitForFunction(
      (t) => {
        const el = document.querySelector('[data-testid="true-label"]');
        return el && el.textContent.trim() !== t && document.querySelector('[data-testid="predicted-class"]');
      },
      beforeTruth,
      { timeout: GPU_TIMEOUT },
    );
    const { predicted, truth } = await waitForPrediction(page);
    assert(image !== before, 'the same image stayed selected');
    assert(truth === classes[3], `true label "${truth}", expected "${classes[3]}"`);
    await page.screenshot({ path: join(shotsDir, 'home-second.png') });
    assert(classes.includes(predicted), `prediction "${predicted}" is not a class name`);
    console.log(`      image #${image} "${truth}" -> "${predicted}"`);
    await checkAgainstOracle(page);
  });
  await check('arrow keys move the selection', async () => {
    const before = await selectedImage(page);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((b) => document.querySelector('.thumb.selected')?.getAttribute('data-image') !== String(b), before);
    const afterRight = await selectedImage(page);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((b) => document.querySelector('.thumb.selected')?.getAttribute('data-image') !== String(b), afterRight);
    await waitForPrediction(page);
    const shown = await page.$eval('[data-testid="true-label"]', (el) => el.textContent.trim());
    assert(classes.includes(shown), 'no label after moving with the keyboard');
    await page.waitForFunction(() => {
      const sel = document.querySelector('.thumb.selected')?.getAttribute('data-image');
      return sel && location.search.includes(`image=${sel}`) && document.querySelector('[data-testid="predicted-class"]');
    });
    await checkAgainstOracle(page);
  });
  await check('reloading with ?image= restores the selection', async () => {
    const image = await selectedImage(page);
    await page.goto(`${origin}/?image=${image}`);
    await waitForPrediction(page);
    assert((await selectedImage(page)) === image, 'selection not restored from the URL');
  });
  await check('no console errors and no request off the page origin', async () => {
    assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
    assert(offOrigin().length === 0, `requests off ${origin}:\n${offOrigin().join('\n')}`);
    assert(requests.some((u) => u.endsWith('/weights.bin')), 'weights.bin was never requested (workers not recorded?)');
  });
  await context.close();
}

console.log(`subfolder ${SUBFOLDER} (relative paths), projector size, dark scheme`);
{
  const { page, errors, offOrigin, context } = await openPage(gpuBrowser, { viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' });
  await check(`the site works from ${SUBFOLDER}`, async () => {
    await page.goto(origin + SUBFOLDER);
    const { predicted } = await waitForPrediction(page);
    await page.waitForSelector('[data-testid="sample-accuracy"]', { timeout: GPU_TIMEOUT }).catch(() => {});
    await page.screenshot({ path: join(shotsDir, 'subfolder-1920-dark.png') });
    assert(classes.includes(predicted), `prediction "${predicted}" is not a class name`);
    const outside = (await context.pages()[0].evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))).filter(
      (u) => u.startsWith(origin) && !u.startsWith(origin + SUBFOLDER),
    );
    assert(outside.length === 0, `requests outside ${SUBFOLDER}:\n${outside.join('\n')}`);
    await checkAgainstOracle(page);
  });
  await check('subfolder: no console errors, nothing off-origin', async () => {
    assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
    assert(offOrigin().length === 0, `requests off ${origin}:\n${offOrigin().join('\n')}`);
  });
  await context.close();
}

console.log('loading state and model errors');
{
  const { page, context, offOrigin } = await openPage(gpuBrowser);
  await check('a slow weights download shows the loading progress', async () => {
    // Hold weights.bin back for a moment so the progress panel can be seen.
    await context.route('**/weights/fashion-small/weights.bin', async (route) => {
      await new Promise((r) => setTimeout(r, 2500));
      await route.continue();
    });
    await page.goto(origin + '/');
    await page.waitForSelector('[data-testid="loading"]', { timeout: 30_000 });
    await page.waitForTimeout(500);
    const text = (await page.textContent('[data-testid="loading"]'))?.replace(/\s+/g, ' ').trim();
    assert(/Loading fashion-small/.test(text ?? ''), `unexpected loading text: ${text}`);
    await page.screenshot({ path: join(shotsDir, 'loading.png') });
    await waitForPrediction(page);
    await context.unrouteAll({ behavior: 'wait' });
  });
  await check('a broken model.json shows the format error and the page recovers', async () => {
    let broken = true;
    await context.route('**/weights/fashion-small/model.json', async (route) => {
      if (!broken) return route.continue();
      const res = await route.fetch();
      const json = await res.json();
      json.layers[0].op = 'teleport';
      await route.fulfill({ response: res, json });
    });
    await page.goto(origin + '/');
    await page.waitForSelector('[data-testid="load-error"]', { timeout: GPU_TIMEOUT });
    const text = await page.textContent('[data-testid="load-error"]');
    assert(/not valid/i.test(text ?? ''), `expected a "not valid" title, got: ${text}`);
    assert(/teleport/.test(text ?? ''), `the message does not name the bad op: ${text}`);
    console.log(`      ${text?.replace(/\s+/g, ' ').trim().slice(0, 160)}`);
    await page.screenshot({ path: join(shotsDir, 'model-error.png') });
    broken = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await waitForPrediction(page);
  });
  await check('an unknown model name shows a download error with a way back', async () => {
    await page.goto(origin + '/?model=no-such-model');
    await page.waitForSelector('[data-testid="load-error"]', { timeout: GPU_TIMEOUT });
    const text = await page.textContent('[data-testid="load-error"]');
    assert(/could not be downloaded/i.test(text ?? ''), `unexpected error text: ${text}`);
    await page.getByRole('button', { name: `Load ${MODEL}` }).click();
    await waitForPrediction(page);
    assert(offOrigin().length === 0, `requests off ${origin}:\n${offOrigin().join('\n')}`);
  });
  await context.close();
}

console.log('WebGPU unavailable');
{
  const { page, context, errors } = await openPage(gpuBrowser, { init: () => delete Object.getPrototypeOf(navigator).gpu });
  await check('without navigator.gpu the page explains what to do', async () => {
    await page.goto(origin + '/');
    await page.waitForSelector('[data-testid="no-webgpu"]', { timeout: 30_000 });
    const text = (await page.textContent('[data-testid="no-webgpu"]')) ?? '';
    for (const needle of ['Chrome', 'Safari 26', 'Firefox 141', 'enable-unsafe-webgpu', 'Nothing is sent to a server']) {
      assert(text.includes(needle), `the explanation does not mention "${needle}"`);
    }
    assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
  });
  await context.close();
}
await gpuBrowser.close();

{
  const plainBrowser = await launch([...BASE_ARGS, '--disable-features=WebGPU']);
  const { page, context, errors, offOrigin } = await openPage(plainBrowser);
  await check('a browser with WebGPU switched off gets the explanation page', async () => {
    await page.goto(origin + SUBFOLDER);
    await page.waitForSelector('[data-testid="no-webgpu"]', { timeout: 30_000 });
    await page.screenshot({ path: join(shotsDir, 'no-webgpu.png') });
    assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
    assert(offOrigin().length === 0, `requests off ${origin}:\n${offOrigin().join('\n')}`);
  });
  await context.close();
  await plainBrowser.close();
}

server.close();
console.log(`screenshots in ${shotsDir}`);
finish();
