// End-to-end checks of the circuit diagram and the top-activating images in headless Chromium
// (SwiftShader WebGPU): the Diagram button and the D key open it and the link says show=diagram
// (Esc and Back close it); its exported SVG holds one picture per kept unit and one kernel heatmap
// per kept kernel, matching the page's circuit (or the strongest kernels, with a note saying so);
// the PNG export is a PNG of the SVG's size times the chosen scale; fashion-inception (no atlas)
// draws each unit's activation map; the node inspector ranks the set's images that drive a unit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { startSite, GPU_TIMEOUT } from './site.mjs';
import { check, assert, finish } from './harness.mjs';

/** fashion-inception's first circuit takes minutes on SwiftShader. */
const SLOW_TIMEOUT = Number(process.env.E2E_SLOW_TIMEOUT_MS ?? 600_000);

const { server, origin, browser, shotsDir } = await startSite('e2e');
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, acceptDownloads: true });
const errors = [];
const page = await context.newPage();
page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

/** Waits until a circuit is shown (no query running) and returns the kept edges. */
async function waitForCircuit(timeout = GPU_TIMEOUT) {
  await page.waitForFunction(() => {
    const h = window.microscope;
    return h && document.body.dataset.graphReady === 'true' && document.querySelector('[data-testid="kernels-kept"]') && !document.querySelector('[data-testid="query-progress"]');
  }, null, { timeout, polling: 250 });
  return page.evaluate(() => window.microscope.kept());
}

/** Waits for the diagram's drawing; returns what its header counts. */
async function waitForDiagram(timeout = GPU_TIMEOUT) {
  await page.waitForSelector('[data-testid="diagram-svg-view"] svg', { timeout });
  await page.waitForFunction(() => !document.querySelector('[data-testid="diagram-svg-view"].stale'), null, { timeout, polling: 250 });
}

/** The kept edges and the nodes at their ends, from the page's hook (fashion-small has no junctions: every kept edge is a kernel). */
async function keptUnits() {
  return page.evaluate(() => {
    const h = window.microscope;
    const units = new Set();
    const kernels = [];
    for (const e of h.kept()) {
      const ends = h.edgeEnds(e);
      kernels.push(e);
      units.add(ends.target);
      units.add(ends.source);
    }
    return { kernels, ends: [...units] };
  });
}

/** The downloaded diagram SVG: its pictures' nodes, its heatmaps' edges, its size and note. */
async function downloadSvg() {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('[data-testid="diagram-svg"]')]);
  const text = readFileSync(await download.path(), 'utf8');
  const problems = [];
  const errorHandler = (level, msg) => level !== 'warning' && problems.push(msg);
  const doc = new DOMParser({ errorHandler }).parseFromString(text, 'image/svg+xml');
  assert(problems.length === 0, `the SVG does not parse: ${problems.join('; ')}`);
  const groups = Array.from(doc.getElementsByTagName('g'));
  const of = (cls, attr) => groups.filter((g) => g.getAttribute('class') === cls).map((g) => Number(g.getAttribute(attr))).sort((a, b) => a - b);
  const images = Array.from(doc.getElementsByTagName('image'));
  const svg = doc.documentElement;
  return {
    name: download.suggestedFilename(), text,
    units: of('unit', 'data-node'), kernels: of('kernel', 'data-edge'),
    targets: groups.filter((g) => g.getAttribute('class') === 'unit' && g.getAttribute('data-target') === '1').map((g) => Number(g.getAttribute('data-node'))),
    images: images.map((im) => im.getAttribute('xlink:href') ?? im.getAttribute('href')),
    imageNodes: images.map((im) => Number(im.parentNode.getAttribute('data-node'))).sort((a, b) => a - b),
    width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')),
    keptKernels: Number(svg.getAttribute('data-kept-kernels')),
    junctions: groups.filter((g) => g.getAttribute('class') === 'junction').length,
    note: Array.from(doc.getElementsByTagName('text')).find((t) => t.getAttribute('class') === 'cap-note')?.textContent ?? null,
  };
}

const sorted = (a) => [...a].sort((x, y) => x - y);
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const isFilter = (layer) => !/^input$/.test(layer);

console.log('the circuit diagram (fashion-small)');
await check('a small circuit: the Diagram button opens it, the link says show=diagram, the SVG holds every kept unit and kernel', async () => {
  await page.goto(`${origin}/?target=node:conv2:0&keep=0.3`);
  const kept = await waitForCircuit();
  assert(kept.length > 0, 'the circuit is empty');
  await page.click('[data-testid="open-diagram"]');
  await waitForDiagram();
  assert(new URL(page.url()).searchParams.get('show') === 'diagram', `the link is ${page.url()}`);
  const svg = await downloadSvg();
  assert(/\.svg$/.test(svg.name), `file name ${svg.name}`);
  const { kernels, ends } = await keptUnits();
  const layers = await page.evaluate((ns) => ns.map((n) => window.microscope.nodeLayer(n)), ends);
  const units = ends.filter((n, i) => isFilter(layers[i]));
  assert(svg.note === null, `a small circuit is drawn whole, but the note says ${svg.note}`);
  assert(svg.keptKernels === kernels.length, `the SVG counts ${svg.keptKernels} kept kernels, the page ${kernels.length}`);
  assert(same(svg.kernels, kernels), `heatmaps for edges ${svg.kernels} but the page keeps ${kernels}`);
  assert(svg.images.length === units.length && same(svg.imageNodes, units), `pictures of ${svg.imageNodes}, kept units ${sorted(units)}`);
  assert(svg.images.every((h) => /^data:image\/png;base64,/.test(h)), 'a picture is not an embedded PNG');
  await page.screenshot({ path: join(shotsDir, 'diagram-fashion-small-small.png') });
});

await check('Esc closes the diagram and the link loses show=diagram; the D key and Back bring it back and close it', async () => {
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="circuit-diagram"]', { state: 'detached', timeout: 10_000 });
  assert(!new URL(page.url()).searchParams.has('show'), `the link is still ${page.url()}`);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('d');
  await page.waitForSelector('[data-testid="circuit-diagram"]', { timeout: 10_000 });
  assert(new URL(page.url()).searchParams.get('show') === 'diagram', `after D the link is ${page.url()}`);
  await page.goBack();
  await page.waitForSelector('[data-testid="circuit-diagram"]', { state: 'detached', timeout: 10_000 });
});

await check('the default circuit: at most 60 kernels drawn, the strongest, all kept, and the note says of how many', async () => {
  await page.goto(`${origin}/?show=diagram`);
  const kept = await waitForCircuit();
  await waitForDiagram();
  const svg = await downloadSvg();
  const { kernels } = await keptUnits();
  const keptSet = new Set(kept);
  assert(svg.keptKernels === kernels.length, `the SVG counts ${svg.keptKernels} kept kernels, the page ${kernels.length}`);
  assert(svg.kernels.every((e) => keptSet.has(e)), 'a heatmap for an edge outside the circuit');
  if (kernels.length > 60) {
    assert(svg.kernels.length === 60, `${svg.kernels.length} heatmaps drawn of ${kernels.length}`);
    assert(svg.note && svg.note.includes(`the 60 strongest of ${kernels.length} kernels`), `the note says ${svg.note}`);
  } else assert(svg.kernels.length === kernels.length, `${svg.kernels.length} heatmaps of ${kernels.length}`);
  // every drawn unit is an end of a drawn kernel or a target (the loss reads every class unit), and has its picture
  const drawnEnds = await page.evaluate((es) => es.flatMap((e) => [window.microscope.edgeEnds(e).source, window.microscope.edgeEnds(e).target]), svg.kernels);
  const outputs = await page.evaluate((ns) => ns.map((n) => window.microscope.nodeLayer(n)), svg.targets);
  assert(svg.targets.length === 10 && outputs.every((l) => l === 'fc'), `the loss's targets drawn: ${svg.targets} in ${outputs}`);
  assert(svg.units.every((n) => drawnEnds.includes(n) || svg.targets.includes(n)), 'a unit drawn without a drawn kernel');
  assert(same(svg.imageNodes, svg.units), 'a unit without its picture');
  await page.screenshot({ path: join(shotsDir, 'diagram-fashion-small.png') });

  // PNG at 2x: a PNG of the SVG's size times two (floored)
  await page.selectOption('[data-testid="diagram-scale"]', '2');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('[data-testid="diagram-png"]')]);
  const png = readFileSync(await download.path());
  assert(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'the PNG export is not a PNG');
  assert(png.subarray(12, 16).toString('ascii') === 'IHDR', 'no IHDR chunk');
  const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
  assert(w === Math.floor(svg.width * 2) && h === Math.floor(svg.height * 2), `PNG ${w}x${h}, expected ${Math.floor(svg.width * 2)}x${Math.floor(svg.height * 2)}`);
});

console.log('top-activating images');
await check('the node inspector ranks the images that drive a unit most (6, descending) and least (3)', async () => {
  await page.goto(`${origin}/?select=node:5`);
  await waitForCircuit();
  await page.waitForSelector('[data-testid="top-images-most"] li', { timeout: GPU_TIMEOUT });
  const means = await page.$$eval('[data-testid="top-images-most"] button', (bs) => bs.map((b) => Number(b.dataset.mean)));
  const least = await page.$$eval('[data-testid="top-images-least"] button', (bs) => bs.map((b) => Number(b.dataset.mean)));
  assert(means.length === 6 && least.length === 3, `${means.length} top and ${least.length} bottom images`);
  for (let k = 1; k < means.length; k++) assert(means[k] <= means[k - 1], `top images not descending: ${means}`);
  for (let k = 1; k < least.length; k++) assert(least[k] >= least[k - 1], `bottom images not ascending: ${least}`);
  assert(least[0] <= means[5], `the least (${least[0]}) is above the most (${means[5]})`);
  await page.locator('[data-testid="top-images"]').screenshot({ path: join(shotsDir, 'top-images-fashion-small.png') });
  // clicking one shows that image
  const index = await page.$eval('[data-testid="top-images-most"] button', (b) => Number(b.dataset.image));
  await page.click('[data-testid="top-images-most"] button');
  await page.waitForFunction((i) => window.microscope.current()?.image === i, index, { timeout: 30_000 });
});

console.log('the circuit diagram (fashion-inception, no atlas)');
await check('fashion-inception: each drawn unit is its activation map; junctions drawn; one heatmap per drawn kernel, all kept', async () => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${origin}/?model=fashion-inception&show=diagram`);
  const kept = await waitForCircuit(SLOW_TIMEOUT);
  await waitForDiagram(SLOW_TIMEOUT);
  const svg = await downloadSvg();
  const keptSet = new Set(kept);
  assert(svg.kernels.length > 0 && svg.kernels.every((e) => keptSet.has(e)), 'heatmaps outside the circuit, or none');
  assert(same(svg.imageNodes, svg.units) && svg.images.length === svg.units.length, 'a unit without its picture');
  assert(/activation map/.test(svg.text), 'the legend does not say the pictures are activation maps');
  assert(svg.junctions > 0, 'no add junction drawn in a residual model');
  assert(svg.note && svg.note.includes(`of ${svg.keptKernels} kernels`), `the note says ${svg.note}`);
  await page.screenshot({ path: join(shotsDir, 'diagram-fashion-inception.png') });
});

await check('no console errors', async () => {
  assert(errors.length === 0, errors.join('\n'));
});

await browser.close();
server.close();
finish();
