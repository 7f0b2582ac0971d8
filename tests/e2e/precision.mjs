// End-to-end check of the fast-precision setting, in headless Chromium (SwiftShader WebGPU): a
// link with precision=fast loads the engine with f16 weights (the checkbox is ticked and the
// controls say so) and draws a circuit; unticking it drops the parameter from the link, loads
// the model again in exact f32 and draws the circuit again.
import { join } from 'node:path';
import { startSite, openPanels, GPU_TIMEOUT } from './site.mjs';
import { check, assert, finish } from './harness.mjs';

const { server, origin, browser, shotsDir } = await startSite('e2e');
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
await openPanels(context, { left: true, right: false }); // the controls panel open
const page = await context.newPage();
const errors = [];
page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

async function waitForCircuit() {
  await page.waitForFunction(() => window.microscope && document.body.dataset.graphReady === 'true' && document.querySelector('[data-testid="kernels-kept"]') && !document.querySelector('[data-testid="query-progress"]'), null, { timeout: GPU_TIMEOUT, polling: 250 });
  return page.evaluate(() => window.microscope.kept().length);
}
const engineSays = async () => ((await page.textContent('[data-testid="engine-precision"]')) ?? '').trim();

console.log('fast precision');
await check('precision=fast in the link: the engine runs with f16 weights, the box is ticked, a circuit is drawn', async () => {
  await page.goto(`${origin}/microscope/?model=fashion-small&images=image:0&precision=fast`);
  const kept = await waitForCircuit();
  assert(kept > 0, 'no kernel kept');
  assert(await page.isChecked('[data-testid="precision"]'), 'the Fast precision box is not ticked');
  const says = await engineSays();
  assert(/with f16 weights/.test(says), `the controls say "${says}"`);
  await page.locator('[data-testid="precision"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shotsDir, 'precision-fast.png') });
  console.log(`      ${kept} kernels kept; "${says}"`);
});

await check('unticked: the link loses precision, the model loads again in exact f32 and the circuit is drawn again', async () => {
  await page.uncheck('[data-testid="precision"]');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('precision'), null, { timeout: 10_000 });
  await page.waitForFunction(() => /in exact f32/.test(document.querySelector('[data-testid="engine-precision"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT, polling: 250 });
  const kept = await waitForCircuit();
  assert(kept > 0, 'no kernel kept after the reload');
  console.log(`      ${kept} kernels kept; "${await engineSays()}"`);
});

await check('no errors in the console', async () => {
  assert(errors.length === 0, errors.join('\n'));
});

await browser.close();
server.close();
finish();
