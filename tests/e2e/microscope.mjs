// End-to-end checks of the microscope page in headless Chromium (SwiftShader WebGPU): the default
// circuit appears, nodes and edges open the inspector, a map pixel outlines its exact receptive
// field (checked against an independent walk over model.json), the SVG export holds the kept
// kernels, a permalink reproduces the same circuit, selection, ablation and viewport, zoomed-in
// nodes show their atlas thumbnails (compared with atlas.bin) or, without an atlas, their
// finished live visualizations, hostile links are shown as plain text, keyboard shortcuts work;
// JSON and PNG exports, an uploaded image and a drawn digit are checked against the page's hook,
// PyTorch's logits and a PyTorch forward pass; after Back, Forward or Cancel the controls, the
// link and the circuit drawn agree; no console errors, nothing leaves the origin.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DOMParser } from '@xmldom/xmldom';
import { serveBuild } from './static-server.mjs';
import { encodePng } from './png.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);
const MODEL = 'fashion-small';

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, origin } = await serveBuild(buildDir, '/microscope/');
const modelJson = JSON.parse(readFileSync(join(buildDir, 'weights', MODEL, 'model.json'), 'utf8'));
const atlasFile = join(buildDir, 'weights', MODEL, 'atlas.json');
const atlasJson = existsSync(atlasFile) ? JSON.parse(readFileSync(atlasFile, 'utf8')) : null;

// ------------------------------------------------------------ the oracle for receptive fields
/** Input rectangle of pixel (y, x) of `layer`, walking model.json back by hand (conv, pool, relu, ...). */
function receptiveFieldOracle(layer, y, x) {
  const byName = new Map(modelJson.layers.map((l) => [l.name, l]));
  const size = new Map([[modelJson.input.name, [modelJson.input.height, modelJson.input.width]]]);
  for (const l of modelJson.layers) {
    const [h, w] = size.get(l.inputs[0]);
    if (l.op === 'conv2d' || l.op === 'maxpool' || l.op === 'avgpool') {
      const { kernel: k, stride: s, padding: p } = l.attrs;
      const d = l.attrs.dilation ?? [1, 1];
      size.set(l.name, [Math.floor((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1, Math.floor((w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1]);
    } else size.set(l.name, [h, w]);
  }
  let box = [y, y, x, x];
  let name = layer;
  while (name !== modelJson.input.name) {
    const l = byName.get(name);
    const input = l.inputs[0];
    const [h, w] = size.get(input);
    if (l.op === 'conv2d' || l.op === 'maxpool' || l.op === 'avgpool') {
      const { kernel: k, stride: s, padding: p } = l.attrs;
      const d = l.attrs.dilation ?? [1, 1];
      box = [box[0] * s[0] - p[0], box[1] * s[0] - p[0] + d[0] * (k[0] - 1), box[2] * s[1] - p[1], box[3] * s[1] - p[1] + d[1] * (k[1] - 1)];
    } else if (l.op === 'linear' || l.op === 'flatten') box = [0, h - 1, 0, w - 1];
    box = [Math.max(0, box[0]), Math.min(h - 1, box[1]), Math.max(0, box[2]), Math.min(w - 1, box[3])];
    name = input;
  }
  return { y0: box[0], y1: box[1], x0: box[2], x1: box[3] };
}


// ------------------------------------------------------------ oracles for images and predictions
/** PyTorch's softmax over its stored float32 logits for image i (static/weights/<model>/predictions.bin). */
function torchStoredProbabilities(model, i) {
  const meta = JSON.parse(readFileSync(join(buildDir, 'weights', model, 'predictions.json'), 'utf8'));
  const bin = readFileSync(join(buildDir, 'weights', model, meta.logits.file));
  const k = meta.classes;
  const logits = Array.from({ length: k }, (_, c) => bin.readFloatLE(4 * (i * k + c)));
  const m = Math.max(...logits);
  const z = logits.reduce((a, v) => a + Math.exp(v - m), 0);
  return { probabilities: logits.map((v) => Math.exp(v - m) / z), argmax: meta.argmax[i], logits };
}

/** A fresh PyTorch forward pass of the model (tools/python/mcnet.py reads model.json + weights.bin) on one normalized CHW input. */
function torchForward(model, input) {
  const code = [
    'import sys, json, torch',
    `sys.path.insert(0, ${JSON.stringify(join(root, 'tools', 'python'))})`,
    'from mcnet import load_model',
    'net = load_model(sys.argv[1])',
    "i = net.meta['input']",
    "x = torch.tensor(json.load(sys.stdin), dtype=torch.float32).reshape(1, i['channels'], i['height'], i['width'])",
    'with torch.no_grad():',
    '    print(json.dumps(torch.softmax(net(x).double(), 1)[0].tolist()))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', code, join(buildDir, 'weights', model)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`PyTorch forward pass failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The page's ranked probabilities match the oracle's: same order (ties aside) and values within tol. */
function assertSamePrediction(ranked, oracle, tol, what) {
  assert(ranked.length > 0, `${what}: no prediction`);
  for (const r of ranked) {
    assert(Math.abs(r.probability - oracle[r.index]) <= tol, `${what}: class ${r.index} at ${r.probability}, PyTorch ${oracle[r.index]}`);
    // saturated softmaxes: the small probabilities must agree in ratio too (float32 keeps them to about 1e-30)
    if (oracle[r.index] > 1e-20) assert(Math.abs(Math.log(r.probability) - Math.log(oracle[r.index])) < 0.02, `${what}: class ${r.index} at ${r.probability}, PyTorch ${oracle[r.index]} (ratio ${r.probability / oracle[r.index]})`);
  }
  const best = oracle.indexOf(Math.max(...oracle));
  assert(ranked[0].index === best || Math.abs(oracle[ranked[0].index] - oracle[best]) <= tol, `${what}: the page predicts class ${ranked[0].index}, PyTorch ${best}`);
}

// ------------------------------------------------------------ browser and page
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});

async function openPage({ viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, acceptDownloads: true });
  await context.addInitScript(() => localStorage.setItem('microscope.panels', JSON.stringify({ left: true, right: true }))); // both side panels open (a visitor's preference): these checks use the images and the inspector
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  const offOrigin = () => requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  return { context, page, errors, offOrigin, requests };
}

/** Waits until a circuit is shown and the graph is drawn; returns the kept edges. */
async function waitForCircuit(page, query = null) {
  await page.waitForFunction(
    (q) => {
      const h = window.microscope;
      if (!h || document.body.dataset.graphReady !== 'true' || !document.querySelector('[data-testid="kernels-kept"]')) return false;
      if (document.querySelector('[data-testid="query-progress"]')) return false;
      return !q || JSON.stringify(h.query()) === q;
    },
    query && JSON.stringify(query),
    { timeout: GPU_TIMEOUT, polling: 250 },
  );
  return page.evaluate(() => window.microscope.kept());
}

const shot = (page, name) => page.screenshot({ path: join(shotsDir, `${name}.png`) });

/** RGBA bytes of a page region, decoded from a real screenshot. */
async function screenRgba(page, clip) {
  const png = await page.screenshot({ clip });
  const b64 = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = `data:image/png;base64,${src}`;
    await img.decode();
    const c = document.createElement('canvas');
    [c.width, c.height] = [img.width, img.height];
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let text = '';
    for (let i = 0; i < d.length; i += 0x8000) text += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return btoa(text);
  }, png.toString('base64'));
  return Buffer.from(b64, 'base64');
}

/** Pixel counts of the graph's canvas: in the ablation colour (purple, rgb 148 51 191), light (luminance > 0.9), dark (< 0.3), and all. */
async function graphPixelStats(page) {
  const d = await screenRgba(page, await page.$eval('[data-testid="graph"] canvas', (c) => { const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, width: r.width, height: r.height }; }));
  let purple = 0, light = 0, dark = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - 148) < 30 && Math.abs(d[i + 1] - 51) < 30 && Math.abs(d[i + 2] - 191) < 30) purple++;
    const y = (0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2]) / 255;
    if (y > 0.9) light++;
    else if (y < 0.3) dark++;
  }
  return { purple, light, dark, all: d.length / 4 };
}
const removalPixels = async (page) => (await graphPixelStats(page)).purple;

/** Mean grey level (0..255) of each pixel of a page region. */
async function screenGrey(page, clip) {
  const d = await screenRgba(page, clip);
  return Array.from({ length: d.length / 4 }, (_, i) => (d[4 * i] + d[4 * i + 1] + d[4 * i + 2]) / 3);
}
const mean = (a) => a.reduce((t, v) => t + v, 0) / a.length;
/** Pearson correlation of two equally long arrays. */
function correlation(xs, ys) {
  const mx = mean(xs), my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < xs.length; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
    syy += (ys[k] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * The thumbnail the graph draws left of `node` against `tile` ({ w, h, grey }), sampled nearest
 * at the screen pixels' centres, inner pixels only. Follows the scene's rule: side
 * min(72, floor(0.85 zoom)) px, right edge 3 px left of the node's disc.
 */
async function drawnThumbnailVs(page, node, tile) {
  const zoom = await page.evaluate(() => window.microscope.viewport().zoom);
  const side = Math.min(72, Math.floor(0.85 * zoom)), radius = Math.min(12, Math.max(2.5, 0.32 * zoom));
  const at = await page.evaluate((n) => window.microscope.nodeOnPage(n), node);
  const grey = await screenGrey(page, { x: Math.round(at.x - radius - 3 - side), y: Math.round(at.y - side / 2), width: side, height: side });
  const xs = [], ys = [];
  for (let i = 2; i < side - 2; i++) {
    for (let j = 2; j < side - 2; j++) {
      xs.push(tile.grey[Math.floor(((i + 0.5) * tile.h) / side) * tile.w + Math.floor(((j + 0.5) * tile.w) / side)]);
      ys.push(grey[i * side + j]);
    }
  }
  return { r: correlation(xs, ys), drawnMean: mean(ys), tileMean: mean(xs), zoom };
}
const numbers = {};

const { context, page, errors, offOrigin } = await openPage();
let firstKept = [];
let nodeId = -1;
let edgeId = -1;
let svgViewBox = [];
let ablatedLink = '';
let ablatedPrediction = '';

console.log('the default view');
await check('the default URL shows the whole graph and a circuit (loss, all images, actgrad, keep 10%)', async () => {
  const t0 = Date.now();
  await page.goto(origin + '/');
  firstKept = await waitForCircuit(page);
  numbers.defaultQuerySeconds = (Date.now() - t0) / 1000;
  await shot(page, 'microscope-default');
  const q = await page.evaluate(() => window.microscope.query());
  assert(q.target === 'loss' && q.images === 'all' && q.criterion === 'actgrad' && q.cut.kind === 'keep' && q.cut.value === 0.1 && q.perLayer === true, `default query is ${JSON.stringify(q)}`);
  const shown = Number((await page.textContent('[data-testid="kernels-kept"]')).replace(/,/g, ''));
  const relevantText = await page.textContent('[data-testid="circuit-stats"] .big');
  const relevant = Number(relevantText.match(/of ([\d,]+) relevant/)[1].replace(/,/g, ''));
  // linear layers are kept whole (only conv kernels are pruned by default): the graph draws both
  const wholeNote = await page.$('[data-testid="kept-whole"]');
  const whole = wholeNote ? Number(await wholeNote.getAttribute('data-kernels')) : 0;
  assert(firstKept.length === shown + whole, `the graph keeps ${firstKept.length} edges, the stats say ${shown} pruned + ${whole} kept whole`);
  assert(shown > 0 && shown <= Math.ceil(0.1 * relevant), `${shown} kernels kept of ${relevant} relevant: not within the top 10%`);
  const { nodeCount, edgeCount } = await page.evaluate(() => ({ nodeCount: window.microscope.nodeCount, edgeCount: window.microscope.edgeCount }));
  // every filter is a node and every kernel an edge, counted from model.json's weight shapes
  const channels = new Map([[modelJson.input.name, modelJson.input.channels]]);
  let nodes = modelJson.input.channels, edges = 0;
  for (const l of modelJson.layers) {
    const cin = channels.get(l.inputs[0]);
    if (l.op === 'conv2d' || l.op === 'linear') {
      const out = modelJson.tensors[l.params.weight].shape[0];
      nodes += out;
      edges += out * (l.op === 'conv2d' ? modelJson.tensors[l.params.weight].shape[1] : cin);
      channels.set(l.name, out);
    } else channels.set(l.name, cin);
  }
  assert(nodeCount === nodes && edgeCount === edges, `graph has ${nodeCount} nodes and ${edgeCount} edges; the model has ${nodes} filters and ${edges} kernels`);
  const renderer = await page.getAttribute('.graph [data-renderer]', 'data-renderer');
  assert(renderer === 'webgpu' || renderer === 'webgl', `renderer "${renderer}"`);
  numbers.kept = shown;
  numbers.relevant = relevant;
  console.log(`      ${shown} of ${relevant} kernels in ${numbers.defaultQuerySeconds.toFixed(1)} s from opening the page; renderer ${renderer}`);
});

await check('clicking a node opens its map and incoming kernels in the inspector', async () => {
  // a conv2 filter in the circuit: the target of a kept conv2 kernel
  nodeId = await page.evaluate(() => {
    const h = window.microscope;
    for (const e of h.kept()) {
      const ends = h.edgeEnds(e);
      if (ends.layer === 'conv2' && h.nodeOnPage(ends.target)) return ends.target;
    }
    return -1;
  });
  assert(nodeId >= 0, 'no conv2 node of the circuit is on screen');
  const at = await page.evaluate((n) => window.microscope.nodeOnPage(n), nodeId);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`[data-testid="node-panel"][data-node="${nodeId}"] [data-testid="map-canvas"]`, { timeout: GPU_TIMEOUT });
  const map = await page.$eval('[data-testid="node-panel"] [data-testid="inspector-map"] [data-testid="map-canvas"]', (el) => [Number(el.dataset.height), Number(el.dataset.width)]);
  assert(map[0] === 14 && map[1] === 14, `conv2's map is ${map.join('x')}, expected 14x14`);
  const kernels = await page.$$eval('[data-testid="node-panel"] [data-testid="kernel-heatmap"]', (els) => els.length);
  assert(kernels >= 1, 'no incoming kernels shown');
  await page.waitForFunction((n) => location.search.includes(`select=node%3A${n}`) || location.search.includes(`select=node:${n}`), nodeId);
  if (atlasJson) {
    // the model ships an atlas: the node's precomputed visualization is shown, at the atlas's tile size
    await page.waitForSelector('[data-testid="atlas-thumbnail"]', { timeout: 30_000 });
    const tile = await page.$eval('[data-testid="atlas-thumbnail"]', (el) => [Number(el.dataset.height), Number(el.dataset.width)]);
    assert(tile[0] === atlasJson.tile.height && tile[1] === atlasJson.tile.width, `thumbnail ${tile.join('x')}, atlas tiles ${atlasJson.tile.height}x${atlasJson.tile.width}`);
    // this model's atlas is made by the live optimizer (atlas.test.ts), so it is not labelled as earlier
    assert(!(await page.$('[data-testid="atlas-earlier"]')), 'the thumbnail is labelled as made by an earlier optimizer');
  }
  await shot(page, 'microscope-node');
});

await check('hovering a map pixel outlines its exact receptive field on the input image', async () => {
  await page.locator('[data-testid="node-panel"] [data-testid="inspector-map"] canvas').scrollIntoViewIfNeeded();
  const box = await page.$eval('[data-testid="node-panel"] [data-testid="inspector-map"] canvas', (c) => {
    const r = c.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  const [py, px] = [3, 9];
  await page.mouse.move(box.x + ((px + 0.5) * box.w) / 14, box.y + ((py + 0.5) * box.h) / 14);
  await page.waitForSelector('[data-testid="receptive-field"]', { timeout: 10_000 });
  const layer = await page.$eval('[data-testid="node-panel"] [data-testid="inspector-map"]', (el) => el.dataset.layer);
  const rect = await page.$eval('[data-testid="receptive-field"]', (el) => ({ y0: +el.dataset.y0, x0: +el.dataset.x0, y1: +el.dataset.y1, x1: +el.dataset.x1 }));
  const expected = receptiveFieldOracle(layer, py, px);
  assert(['y0', 'x0', 'y1', 'x1'].every((k) => rect[k] === expected[k]), `pixel (${py}, ${px}) of ${layer}: shown ${JSON.stringify(rect)}, expected ${JSON.stringify(expected)}`);
  await shot(page, 'microscope-receptive-field');
  console.log(`      ${layer} (${py}, ${px}) -> rows ${rect.y0}-${rect.y1}, columns ${rect.x0}-${rect.x1}`);
});

await check('removing the filter (ablation) reports the prediction before and after and marks it on the graph; Restore all undoes it', async () => {
  const purpleBefore = await removalPixels(page);
  await page.click('[data-testid="ablate-node"]');
  await page.waitForSelector('[data-testid="ablated-target"]', { timeout: GPU_TIMEOUT });
  const row = await page.$$eval('[data-testid="ablation"] tbody tr:first-child td', (tds) => tds.map((td) => td.textContent.trim()));
  // the full network's prediction from the ablation run agrees with the page's own classification of the image
  const predicted = (await page.textContent('[data-testid="predicted-class"]')).trim();
  const prob = (await page.textContent('.headline .prob')).trim();
  const full = Number(row[0].slice(predicted.length).replace('%', ''));
  assert(row[0].startsWith(predicted + ' ') && Math.abs(full - Number(prob.replace('%', ''))) <= 0.11, `ablation says the full network predicts "${row[0]}", the page "${predicted} ${prob}"`);
  const target = await page.$$eval('[data-testid="ablation"] tbody tr:nth-child(2) td', (tds) => tds.map((td) => Number(td.textContent)));
  assert(target.length === 2 && target.every(Number.isFinite), `target values ${target}`);
  console.log(`      without ${await page.textContent('[data-testid="node-panel"] h2')}: ${row.join(' -> ')}, loss ${target.join(' -> ')}`);
  await shot(page, 'microscope-ablation');
  // the removed filter and its kernels are drawn in the removal colour, and only while removed
  await page.waitForTimeout(300);
  const purple = await removalPixels(page);
  // the link carries what is removed, and forgets it with Restore all
  ablatedLink = await page.evaluate(() => location.href);
  ablatedPrediction = (await page.textContent('[data-testid="ablated-prediction"]')).trim();
  assert(new URL(ablatedLink).searchParams.get('ablate') === `node:${nodeId}`, `ablate=${new URL(ablatedLink).searchParams.get('ablate')} in ${ablatedLink}`);
  await page.click('[data-testid="ablation"] header button');
  await page.waitForFunction(() => !document.querySelector('[data-testid="ablation"]'));
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('ablate'));
  await page.waitForTimeout(300);
  const purpleAfter = await removalPixels(page);
  assert(purpleBefore < 20 && purple > 100 && purpleAfter < 20, `removal-coloured pixels: ${purpleBefore} before, ${purple} while removed, ${purpleAfter} after Restore all`);
  numbers.removalPixels = purple;
});

await check('Visualize streams the optimization live, with progress, and Cancel stops it', async () => {
  await page.click('[data-testid="node-panel"] [data-testid="visualize"]');
  await page.waitForSelector('[data-testid="viz"] [data-testid="viz-image"]', { timeout: 60_000 });
  const size = await page.$eval('[data-testid="viz-image"]', (el) => [Number(el.dataset.height), Number(el.dataset.width)]);
  assert(size[0] === modelJson.input.height && size[1] === modelJson.input.width, `visualization ${size.join('x')}, input ${modelJson.input.height}x${modelJson.input.width}`);
  const caption = await page.textContent('[data-testid="viz-image"] figcaption');
  await shot(page, 'microscope-visualize');
  if (/step \d+ of \d+/.test(caption)) {
    await page.click('[data-testid="viz"] [data-testid="cancel"]');
    await page.waitForSelector('[data-testid="viz"] [data-testid="visualize"]', { timeout: 10_000 });
  }
  console.log(`      ${caption.trim()}`);
});

await check('clicking an edge shows its kernel and its input, pre-sum and output maps', async () => {
  const [e] = await page.evaluate(() => window.microscope.clickableKeptEdges(1));
  assert(e !== undefined, 'no kept edge can be clicked on screen');
  edgeId = e;
  const at = await page.evaluate((id) => window.microscope.edgeOnPage(id), edgeId);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`[data-testid="edge-panel"][data-edge="${edgeId}"] [data-testid="kernel-heatmap"]`, { timeout: GPU_TIMEOUT });
  const maps = await page.$$eval('[data-testid="edge-panel"] [data-testid="inspector-map"]', (els) => els.length);
  assert(maps === 3, `${maps} maps for the edge, expected input, pre-sum and output`);
  const kernel = await page.$eval('[data-testid="edge-panel"] [data-testid="kernel-heatmap"] [data-testid="map-canvas"]', (el) => [Number(el.dataset.height), Number(el.dataset.width)]);
  const ends = await page.evaluate((id) => window.microscope.edgeEnds(id), edgeId);
  const layer = modelJson.layers.find((l) => l.name === ends.layer);
  if (layer.op === 'conv2d') assert(kernel.join('x') === layer.attrs.kernel.join('x'), `kernel shown ${kernel.join('x')}, layer ${layer.attrs.kernel.join('x')}`);
  await shot(page, 'microscope-edge');
});

await check('the SVG export downloads a file that parses as SVG with exactly the kept kernels', async () => {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('[data-testid="export-svg"]')]);
  const file = await download.path();
  const text = readFileSync(file, 'utf8');
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  assert(svg.nodeName === 'svg' && svg.getAttribute('xmlns') === 'http://www.w3.org/2000/svg', `root element ${svg.nodeName}`);
  assert(doc.getElementsByTagName('parsererror').length === 0, 'the SVG does not parse');
  const groups = Array.from(doc.getElementsByTagName('g')).filter((g) => g.getAttribute('class') === 'edges');
  const lines = Array.from(groups[0]?.getElementsByTagName('line') ?? []);
  const drawn = new Set(lines.map((l) => ['x1', 'y1', 'x2', 'y2'].map((a) => Number(l.getAttribute(a)).toFixed(1)).join(',')));
  const expected = await page.evaluate(() => {
    const h = window.microscope;
    return h.kept().map((e) => {
      const { source, target } = h.edgeEnds(e);
      return [...h.position(source), ...h.position(target)].map((v) => (Math.round(v * 24 * 100) / 100).toFixed(1)).join(',');
    });
  });
  assert(lines.length === expected.length, `${lines.length} lines in the SVG, ${expected.length} kept kernels`);
  const missing = expected.filter((k) => !drawn.has(k));
  assert(missing.length === 0, `${missing.length} kept kernels are not drawn, e.g. ${missing[0]}`);
  assert(/\.svg$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  numbers.svgBytes = text.length;
  svgViewBox = (svg.getAttribute('viewBox') ?? '').trim().split(/[\s,]+/).map(Number);
});

await check('the JSON export parses, is tagged cnn-microscope-circuit/1 and lists exactly the kept kernels', async () => {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('[data-testid="export-json"]')]);
  const doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert(doc.format === 'cnn-microscope-circuit/1', `format tag ${JSON.stringify(doc.format)}`);
  assert(/\.json$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  // the kept edges the page holds, as (layer, source node, target node), counted here from the hook
  const expected = await page.evaluate(() => {
    const h = window.microscope;
    return h.kept().map((e) => {
      const { source, target, layer } = h.edgeEnds(e);
      return `${layer}:${source}:${target}`;
    });
  });
  const addLayers = new Set(modelJson.layers.filter((l) => l.op === 'add').map((l) => l.name));
  const kernelsExpected = expected.filter((k) => !addLayers.has(k.split(':')[0])).sort();
  const inFile = doc.kernels.map((k) => `${k.layer}:${k.sourceNode}:${k.targetNode}`).sort();
  assert(inFile.length === kernelsExpected.length, `${inFile.length} kernels in the JSON, the page keeps ${kernelsExpected.length}`);
  assert(inFile.every((k, i) => k === kernelsExpected[i]), `the JSON's kernels differ from the kept edges, e.g. ${inFile.find((k, i) => k !== kernelsExpected[i])}`);
  assert(doc.counts.kernelsKept === kernelsExpected.length, `counts.kernelsKept ${doc.counts.kernelsKept}, kept ${kernelsExpected.length}`);
  // the layer's weight shape bounds every (out, in) pair
  for (const k of doc.kernels) {
    const l = modelJson.layers.find((x) => x.name === k.layer);
    const shape = modelJson.tensors[l.params.weight].shape;
    assert(k.out >= 0 && k.out < shape[0] && k.in >= 0 && k.in < shape[1], `kernel ${k.layer}[${k.out}, ${k.in}] outside the weight ${shape.join('x')}`);
  }
  numbers.jsonKernels = inFile.length;
});

await check('the PNG export is a PNG of the SVG viewBox times the export scale (2)', async () => {
  assert(svgViewBox.length === 4 && svgViewBox.every(Number.isFinite), `the SVG's viewBox is ${svgViewBox.join(' ')}`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('[data-testid="export-png"]')]);
  const png = readFileSync(await download.path());
  assert(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), `not a PNG signature: ${png.subarray(0, 8).toString('hex')}`);
  assert(png.toString('ascii', 12, 16) === 'IHDR', 'no IHDR chunk first');
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  const [ew, eh] = [Math.floor(svgViewBox[2] * 2), Math.floor(svgViewBox[3] * 2)];
  assert(w === ew && h === eh, `PNG is ${w}x${h}, the viewBox ${svgViewBox[2]}x${svgViewBox[3]} at 2x is ${ew}x${eh}`);
  assert(/\.png$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  numbers.png = `${w}x${h}`;
  numbers.pngBytes = png.length;
});

let permalink = '';
await check('Copy link copies the address, which holds the whole state', async () => {
  await page.waitForTimeout(400); // the viewport reaches the URL after a pause
  await page.click('[data-testid="copy-link"]');
  await page.waitForSelector('.toolbar [role="status"]', { timeout: 5000 });
  permalink = await page.evaluate(() => navigator.clipboard.readText());
  const href = await page.evaluate(() => location.href);
  assert(permalink === href, `copied ${permalink}, address is ${href}`);
  const params = new URL(permalink).searchParams;
  assert(params.get('select') === `edge:${edgeId}`, `select=${params.get('select')}`);
  assert(params.has('zoom') && params.has('image'), `no viewport or image in ${permalink}`);
});

await check('the image set is downloaded once; a model whose images are missing still opens and says why', async () => {
  const other = await openPage();
  try {
    await other.page.goto(`${origin}/?model=fashion-small`);
    await waitForCircuit(other.page);
    const fetched = other.requests.filter((u) => /\/weights\/fashion-small\/images\.bin$/.test(u));
    assert(fetched.length === 1, `images.bin requested ${fetched.length} times`);
  } finally {
    await other.context.close();
  }
  const broken = await openPage();
  try {
    await broken.context.route('**/weights/fashion-small/images.json', (route) => route.fulfill({ status: 404, body: 'missing' }));
    await broken.page.goto(`${origin}/?model=fashion-small`);
    const note = await broken.page.waitForSelector('[data-testid="images-warning"]', { timeout: GPU_TIMEOUT });
    const text = (await note.textContent()).trim();
    assert(/images/i.test(text), `the warning does not speak of the images: ${text}`);
    await broken.page.waitForSelector('[data-testid="graph"] canvas', { timeout: GPU_TIMEOUT });
    await shot(broken.page, 'microscope-no-images');
    const pageErrors = broken.errors.filter((e) => e.startsWith('pageerror'));
    assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    console.log(`      without images: ${text.slice(0, 100)}`);
  } finally {
    await broken.context.close();
  }
});

console.log('permalinks');
await check('opening the permalink reproduces the same circuit, selection and viewport', async () => {
  const other = await openPage();
  try {
    await other.page.goto(permalink);
    const kept = await waitForCircuit(other.page);
    assert(kept.length === firstKept.length && kept.every((e, i) => e === firstKept[i]), `the permalink keeps ${kept.length} kernels, the first run ${firstKept.length}; they differ`);
    await other.page.waitForSelector(`[data-testid="edge-panel"][data-edge="${edgeId}"]`, { timeout: GPU_TIMEOUT });
    const v = await other.page.evaluate(() => window.microscope.viewport());
    const p = new URL(permalink).searchParams;
    assert(Math.abs(v.zoom - Number(p.get('zoom'))) < 1e-9 && Math.abs(v.x - Number(p.get('x') ?? 0)) < 1e-6 && Math.abs(v.y - Number(p.get('y') ?? 0)) < 1e-6, `viewport ${JSON.stringify(v)} vs the link's`);
    await shot(other.page, 'microscope-permalink');
    assert(other.errors.length === 0, `console errors:\n${other.errors.join('\n')}`);
  } finally {
    await other.context.close();
  }
});

await check('a link with ablate= opens with that filter removed and the same prediction after removal', async () => {
  const other = await openPage();
  try {
    await other.page.goto(ablatedLink);
    await waitForCircuit(other.page);
    await other.page.waitForSelector('[data-testid="ablated-prediction"]', { timeout: GPU_TIMEOUT });
    const removed = await other.page.$$eval('[data-testid="ablation"] .removed li', (els) => els.map((el) => el.textContent.trim()));
    assert(removed.length === 1 && removed[0].includes('filter'), `removed: ${JSON.stringify(removed)}`);
    const prediction = (await other.page.textContent('[data-testid="ablated-prediction"]')).trim();
    assert(prediction === ablatedPrediction, `after removal the link predicts "${prediction}", the page did "${ablatedPrediction}"`);
    assert(other.errors.length === 0, `console errors:\n${other.errors.join('\n')}`);
    console.log(`      ${removed[0]}: ${(await other.page.textContent('[data-testid="ablated-prediction"]')).trim()}`);
  } finally {
    await other.context.close();
  }
});

await check('zoomed in, the graph shows the atlas thumbnail beside each visible unit, pixel for pixel', async () => {
  assert(atlasJson, `${MODEL} ships no atlas`);
  const unit = atlasJson.units.findIndex((u) => u.node === nodeId);
  assert(unit >= 0, `node ${nodeId} has no atlas tile`);
  const [wx, wy] = await page.evaluate((n) => window.microscope.position(n), nodeId);
  const zoom = 40;
  const other = await openPage();
  try {
    await other.page.goto(`${origin}/?x=${wx}&y=${wy}&zoom=${zoom}`);
    await waitForCircuit(other.page);
    await other.page.waitForFunction(() => Number(document.querySelector('[data-testid="graph"] canvas')?.dataset.thumbnails) > 0, null, { timeout: 30_000 });
    const shown = Number(await other.page.getAttribute('[data-testid="graph"] canvas', 'data-thumbnails'));
    // the tile from atlas.bin, its channels averaged
    const { channels: C, height: H, width: W } = atlasJson.tile;
    const bin = readFileSync(join(buildDir, 'weights', MODEL, 'atlas.bin')).subarray(unit * C * H * W, (unit + 1) * C * H * W);
    const grey = Array.from({ length: H * W }, (_, q) => { let v = 0; for (let c = 0; c < C; c++) v += bin[c * H * W + q] / C; return v; });
    const { r, drawnMean: my, tileMean: mx } = await drawnThumbnailVs(other.page, nodeId, { w: W, h: H, grey });
    await shot(other.page, 'microscope-thumbnails');
    assert(r > 0.9 && Math.abs(mx - my) < 12, `the thumbnail left of node ${nodeId} vs its atlas tile: correlation ${r.toFixed(3)}, mean ${my.toFixed(1)} vs ${mx.toFixed(1)}`);
    assert(other.errors.length === 0, `console errors:\n${other.errors.join('\n')}`);
    console.log(`      ${shown} thumbnails at zoom ${zoom}; node ${nodeId}'s matches its tile (r = ${r.toFixed(3)})`);
  } finally {
    await other.context.close();
  }
});

await check('on a model without an atlas, a finished visualization becomes its node\'s graph thumbnail', async () => {
  const other = await openPage();
  try {
    // fashion-vgg ships no atlas; node 1 is conv1_1:0, whose visualization runs a one-layer net
    // (magnitude scores need no images, so the circuit is there at once)
    await other.page.goto(`${origin}/?model=fashion-vgg&criterion=magnitude&select=node:1`);
    await waitForCircuit(other.page);
    const canvas = '[data-testid="graph"] canvas';
    assert(Number(await other.page.getAttribute(canvas, 'data-thumbnails')) === 0, 'thumbnails before any visualization');
    await other.page.click('[data-testid="node-panel"] [data-testid="visualize"]');
    await other.page.waitForFunction(() => /^done/.test(document.querySelector('[data-testid="viz-image"] figcaption')?.textContent?.trim() ?? ''), null, { timeout: GPU_TIMEOUT });
    const tile = await other.page.$eval('[data-testid="viz-image"] canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return { w: c.width, h: c.height, grey: Array.from({ length: d.length / 4 }, (_, i) => (d[4 * i] + d[4 * i + 1] + d[4 * i + 2]) / 3) };
    });
    // zoom in with the wheel over the node until thumbnails are large enough to show
    for (let k = 0; k < 8 && (await other.page.evaluate(() => window.microscope.viewport().zoom)) < 40; k++) {
      const at = await other.page.evaluate(() => window.microscope.nodeOnPage(1));
      assert(at, 'node 1 is off screen');
      await other.page.mouse.move(at.x, at.y);
      await other.page.mouse.wheel(0, -600);
      await other.page.waitForTimeout(150);
    }
    await other.page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.thumbnails) === 1, canvas, { timeout: 10_000 });
    const { r, zoom } = await drawnThumbnailVs(other.page, 1, tile);
    await shot(other.page, 'microscope-live-thumbnail');
    assert(r > 0.9, `the thumbnail left of node 1 vs its visualization: correlation ${r.toFixed(3)}`);
    assert(other.errors.length === 0, `console errors:\n${other.errors.join('\n')}`);
    console.log(`      zoom ${zoom.toFixed(1)}: node 1's thumbnail is its visualization (r = ${r.toFixed(3)})`);
  } finally {
    await other.context.close();
  }
});

await check('a garbled, hostile link gives plain-text warnings and the default circuit', async () => {
  const other = await openPage();
  try {
    const bad = `${origin}/?target=${encodeURIComponent('<img src=x onerror=alert(1)>')}&keep=lots&select=node:99999&ablate=edge:99999999&zoom=NaN&criterion=${encodeURIComponent('"><script>')}`;
    await other.page.goto(bad);
    await other.page.waitForSelector('[data-testid="url-warnings"]', { timeout: GPU_TIMEOUT });
    const kept = await waitForCircuit(other.page);
    const text = await other.page.textContent('[data-testid="url-warnings"]');
    for (const key of ['target', 'keep', 'zoom', 'criterion']) assert(text.includes(`"${key}"`), `no warning names "${key}": ${text}`);
    assert(/node 99999/.test(text), `no warning about the missing node: ${text}`);
    assert(/removed edge 99999999 is not in this model/.test(text), `no warning about the missing removed edge: ${text}`);
    assert(!(await other.page.$('[data-testid="ablation"]')), 'an edge that is not in the model was removed');
    const injected = await other.page.evaluate(
      () => document.querySelectorAll('img[src="x"], [onerror]').length + [...document.scripts].filter((s) => /alert\(1\)/.test(s.textContent ?? '')).length,
    );
    assert(injected === 0, 'markup from the link was injected');
    assert(kept.length === firstKept.length && kept.every((e, i) => e === firstKept[i]), 'the default circuit differs');
    await shot(other.page, 'microscope-bad-link');
    await other.page.click('[data-testid="url-warnings"] button');
    assert(!(await other.page.$('[data-testid="url-warnings"]')), 'the notice cannot be dismissed');
    assert(other.errors.length === 0, `console errors:\n${other.errors.join('\n')}`);
  } finally {
    await other.context.close();
  }
});

console.log('controls and keyboard');
await check('a bad target shows its message next to the field; the page stays', async () => {
  await page.keyboard.press('Escape');
  await page.keyboard.press('/');
  const focused = await page.evaluate(() => document.activeElement?.dataset.testid);
  assert(focused === 'target-input', `"/" focused ${focused}`);
  await page.fill('[data-testid="target-input"]', 'node:nowhere:3');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="query-error"]', { timeout: GPU_TIMEOUT });
  const msg = await page.textContent('[data-testid="query-error"]');
  assert(/nowhere/.test(msg), `the message does not name the bad layer: ${msg}`);
  assert(await page.$('[data-testid="graph"] canvas'), 'the graph went away');
  await shot(page, 'microscope-bad-target');
  await page.fill('[data-testid="target-input"]', 'loss');
  await page.keyboard.press('Enter');
  await waitForCircuit(page);
  assert(!(await page.$('[data-testid="query-error"]')), 'the error stayed after a good target');
});

await check('leaving the target for the images field starts no query; leaving both runs them together', async () => {
  const before = await page.evaluate(() => location.href);
  await page.fill('[data-testid="target-input"]', 'logit:Bag');
  await page.click('[data-testid="images-input"]');
  await page.waitForTimeout(500);
  assert(!(await page.$('[data-testid="query-progress"]')), 'a query with the old image set started when the target field was left for the images field');
  assert((await page.evaluate(() => location.href)) === before, 'the link changed before the image set was entered');
  await page.fill('[data-testid="images-input"]', 'class:Bag');
  await page.locator('body').click({ position: { x: 5, y: 790 } });
  await waitForCircuit(page, { target: 'logit:Bag', images: 'class:Bag', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  const p = new URL(await page.evaluate(() => location.href)).searchParams;
  assert(p.get('target') === 'logit:Bag' && p.get('images') === 'class:Bag', `the link says target=${p.get('target')} images=${p.get('images')}`);
  await page.fill('[data-testid="target-input"]', 'loss');
  await page.fill('[data-testid="images-input"]', 'all');
  await page.keyboard.press('Enter');
  const back = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  assert(back.length === firstKept.length && back.every((e, i) => e === firstKept[i]), 'back at loss on all the circuit differs');
});

await check('] keeps more kernels, [ fewer; the URL follows', async () => {
  await page.locator('body').click({ position: { x: 5, y: 790 } }).catch(() => {});
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(']');
  const more = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.125 }, perLayer: true, linear: false });
  assert(more.length > firstKept.length, `keep 12.5% kept ${more.length}, keep 10% kept ${firstKept.length}`);
  await page.waitForFunction(() => location.search.includes('keep=0.125'));
  await page.keyboard.press('[');
  const back = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  assert(back.length === firstKept.length && back.every((e, i) => e === firstKept[i]), 'back at 10% the circuit differs');
});

await check('ranked globally (per-layer off), the loss circuit at keep 10% is empty and the page says why', async () => {
  await page.click('text=normalize scores per layer');
  await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: false, linear: false });
  const kept = await page.evaluate(() => window.microscope.kept().length);
  const note = await page.$('[data-testid="empty-circuit"]');
  if (kept === 0) assert(note && /keep more/i.test(await note.textContent()), 'an empty circuit without an explanation');
  else assert(!note, `${kept} kernels kept, yet the page calls the circuit empty`);
  console.log(`      global ranking keeps ${kept} kernels${kept === 0 ? `: ${(await note.textContent()).trim().slice(0, 120)}` : ''}`);
  await page.waitForFunction(() => location.search.includes('perlayer=0'));
  await page.click('text=normalize scores per layer');
  const back = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  assert(back.length === firstKept.length && back.every((e, i) => e === firstKept[i]), 'per-layer again: the circuit differs');
});

await check('linear=1 prunes linear layers too; Back and Forward move the view between the two circuits', async () => {
  await page.waitForTimeout(400); // the viewport reaches the URL after a pause
  const before = await page.evaluate(() => location.search);
  await page.click('[data-testid="linear"]');
  const withLinear = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: true });
  await page.waitForFunction(() => new URLSearchParams(location.search).get('linear') === '1');
  await page.goBack({ waitUntil: 'commit' });
  const back = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  assert((await page.evaluate(() => location.search)) === before, 'Back did not return to the address before');
  assert(!(await page.isChecked('[data-testid="linear"]')), 'after Back the "Prune linear layers too" box is still ticked');
  assert(back.length === firstKept.length && back.every((e, i) => e === firstKept[i]), 'after Back the circuit differs from the conv-only one');
  await page.goForward({ waitUntil: 'commit' });
  const again = await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: true });
  assert(await page.isChecked('[data-testid="linear"]'), 'after Forward the box is not ticked');
  assert(again.length === withLinear.length && again.every((e, i) => e === withLinear[i]), 'after Forward the circuit differs');
  await page.click('[data-testid="linear"]');
  await waitForCircuit(page, { target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, linear: false });
  numbers.keptWithLinear = withLinear.length;
  console.log(`      conv kernels only: ${firstKept.length} kept; linear layers too: ${withLinear.length}`);
});

await check('a long query shows progress with time left and can be cancelled', async () => {
  await page.selectOption('[data-testid="criterion"]', 'snip');
  await page.waitForSelector('[data-testid="query-progress"]', { timeout: 10_000 });
  // after a batch or two the rate is known and the time left shows
  await page.waitForSelector('[data-testid="time-left"]', { timeout: 60_000 });
  const left = await page.textContent('[data-testid="time-left"]');
  assert(/(about \d+ (s|min)|less than a second) left/.test(left), `time left reads "${left}"`);
  await shot(page, 'microscope-progress');
  await page.click('[data-testid="cancel"]');
  await page.waitForSelector('[data-testid="query-cancelled"]', { timeout: 10_000 });
  assert(!(await page.$('[data-testid="query-progress"]')), 'the progress bar stayed after Cancel');
  await page.selectOption('[data-testid="criterion"]', 'actgrad');
  const kept = await waitForCircuit(page);
  assert(kept.length === firstKept.length, 'the cached circuit did not come back');
});

await check('after Cancel the controls and the link return to the circuit drawn; Run it again restarts the cancelled query', async () => {
  const drawnHref = await page.evaluate(() => location.href);
  const drawn = await page.evaluate(() => JSON.stringify(window.microscope.query()));
  await page.selectOption('[data-testid="criterion"]', 'force');
  await page.waitForSelector('[data-testid="query-progress"]', { timeout: 10_000 });
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(']');
  await page.waitForFunction(() => /criterion=force/.test(location.search) && /keep=0\.125/.test(location.search));
  await page.waitForTimeout(500);
  await page.waitForSelector('[data-testid="query-progress"]', { timeout: 10_000 });
  assert(await page.$('[data-testid="circuit-stale"]'), 'while the new query runs, the graph is not marked as showing the earlier circuit');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="query-cancelled"]', { timeout: 10_000 });
  await page.waitForFunction((h) => location.href === h, drawnHref, { timeout: 5000 }).catch(() => {});
  const href = await page.evaluate(() => location.href);
  assert(href === drawnHref, `after Cancel the link is ${href}, the circuit drawn is ${drawnHref}`);
  const controls = await page.evaluate(() => ({ criterion: document.querySelector('[data-testid="criterion"]').value, cut: document.querySelector('[data-testid="cut-value"]').textContent.trim() }));
  assert(controls.criterion === 'actgrad' && controls.cut === '10.0%', `after Cancel the controls say ${JSON.stringify(controls)}`);
  assert((await page.evaluate(() => JSON.stringify(window.microscope.query()))) === drawn, 'the circuit drawn changed');
  await page.waitForTimeout(300);
  assert(!(await page.$('[data-testid="query-progress"]')), 'returning to the circuit drawn started a query');
  assert(!(await page.$('[data-testid="circuit-stale"]')), 'the circuit is marked as earlier though the controls describe it');
  await page.click('[data-testid="query-cancelled"] button');
  await page.waitForSelector('[data-testid="query-progress"]', { timeout: 10_000 });
  await page.waitForFunction(() => /criterion=force/.test(location.search) && /keep=0\.125/.test(location.search), null, { timeout: 5000 });
  await page.click('[data-testid="cancel"]');
  await page.waitForFunction((h) => location.href === h, drawnHref, { timeout: 10_000 });
});

await check('the preservation check runs on every held-out image of images.json and gives a correlation', async () => {
  const evaluation = JSON.parse(readFileSync(join(buildDir, 'weights', MODEL, 'images.json'), 'utf8')).splits.evaluation.length;
  await page.click('[data-testid="preservation"] button');
  await page.waitForSelector('[data-testid="preservation-r"]', { timeout: GPU_TIMEOUT });
  const text = (await page.textContent('[data-testid="preservation"]')).trim();
  const r = Number(text.match(/r = (-?[\d.]+)/)?.[1]);
  const images = Number(text.match(/on ([\d,]+) held-out images/)?.[1].replace(/,/g, ''));
  assert(images === evaluation, `preservation on ${images} images, images.json holds ${evaluation} held-out ones`);
  assert(Number.isFinite(r) && r >= -1 && r <= 1, `r reads "${text}"`);
  numbers.preservationR = r;
  console.log(`      ${text}`);
});

await check('? opens the shortcuts, Esc closes them', async () => {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid="shortcuts"][open]', { timeout: 5000 });
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid="shortcuts"][open]'));
});


console.log('your own image');
const uploadInput = '[data-testid="image-upload"] input[type="file"]';
await check('a text file renamed .png gives a message naming the file; the page stays', async () => {
  const bad = join(shotsDir, 'not-an-image.png');
  writeFileSync(bad, 'these are notes, not pixels\n');
  await page.setInputFiles(uploadInput, bad);
  await page.waitForSelector('.custom [role="alert"]', { timeout: 10_000 });
  const msg = await page.textContent('.custom [role="alert"]');
  assert(msg.includes('not-an-image.png'), `the message does not name the file: ${msg}`);
  assert(await page.$('[data-testid="graph"] canvas'), 'the graph went away');
  console.log(`      ${msg.trim()}`);
});

await check('an uploaded PNG of a held-out image is classified as PyTorch classifies that image', async () => {
  // a held-out image PyTorch classifies with a clear margin, so rounding cannot flip the class
  const set = JSON.parse(readFileSync(join(buildDir, 'weights', MODEL, 'images.json'), 'utf8'));
  const bin = readFileSync(join(buildDir, 'weights', MODEL, 'images.bin'));
  let i = 0;
  for (; i < set.count; i++) {
    const l = torchStoredProbabilities(MODEL, i).logits.slice().sort((a, b) => b - a);
    if (l[0] - l[1] > 2) break;
  }
  const n = set.channels * set.height * set.width;
  const chw = bin.subarray(i * n, (i + 1) * n);
  const file = join(shotsDir, `upload-${MODEL}-${i}.png`);
  writeFileSync(file, encodePng(set.width, set.height, set.channels, set.channels === 1 ? chw : Buffer.from(Array.from({ length: n }, (_, k) => chw[(k % 3) * set.height * set.width + Math.floor(k / 3)]))));
  await page.setInputFiles(uploadInput, file);
  await page.waitForFunction(() => window.microscope.current()?.image === -1 && !window.microscope.current().classifying, null, { timeout: GPU_TIMEOUT });
  const current = await page.evaluate(() => window.microscope.current());
  const oracle = torchStoredProbabilities(MODEL, i);
  assertSamePrediction(current.ranked, oracle.probabilities, 2e-3, `image #${i} uploaded`);
  assert(current.ranked[0].index === oracle.argmax, `the page predicts class ${current.ranked[0].index}, PyTorch ${oracle.argmax}`);
  assert(!(await page.$('.custom [role="alert"]')), 'the earlier error stayed after a good image');
  const caption = await page.textContent('.current .caption');
  assert(caption.includes(`upload-${MODEL}-${i}.png`), `the caption does not name the upload: ${caption}`);
  await shot(page, 'microscope-upload');
  console.log(`      image #${i}: ${modelJson.classes[current.ranked[0].index]} ${(current.ranked[0].probability * 100).toFixed(1)}% (PyTorch ${(oracle.probabilities[oracle.argmax] * 100).toFixed(1)}%)`);
  await page.click('text=Back to the model\'s images');
  await page.waitForFunction(() => window.microscope.current()?.image >= 0, null, { timeout: GPU_TIMEOUT });
});

console.log('dark mode');
/** WCAG contrast ratio of two CSS colours given as rgb()/rgba() strings. */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
await check('in dark mode the upload button, Run query and the graph stay readable', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  try {
    await page.waitForTimeout(200);
    const css = await page.evaluate(() => {
      const st = (sel) => getComputedStyle(document.querySelector(sel));
      const button = st('[data-testid="image-upload"] button');
      return {
        body: getComputedStyle(document.documentElement).backgroundColor,
        buttonInk: button.color, buttonBg: button.backgroundColor,
        hintInk: st('[data-testid="image-upload"] .hint').color, zoneBg: st('[data-testid="image-upload"]').backgroundColor,
        graphInk: st('[data-testid="graph"]').color, graphBg: st('[data-testid="graph"]').backgroundColor,
        runInk: getComputedStyle([...document.querySelectorAll('button')].find((b) => /Run query/.test(b.textContent))).color,
        runBg: getComputedStyle([...document.querySelectorAll('button')].find((b) => /Run query/.test(b.textContent))).backgroundColor,
      };
    });
    assert(contrast(css.body, 'rgb(0, 0, 0)') < 2, `the page is not dark in dark mode: background ${css.body}`);
    assert(contrast(css.buttonInk, css.buttonBg) >= 4.5, `upload button ${css.buttonInk} on ${css.buttonBg}: contrast ${contrast(css.buttonInk, css.buttonBg).toFixed(2)}`);
    assert(contrast(css.hintInk, css.zoneBg) >= 3, `upload hint ${css.hintInk} on ${css.zoneBg}: contrast ${contrast(css.hintInk, css.zoneBg).toFixed(2)}`);
    assert(contrast(css.graphInk, css.graphBg) >= 4.5, `text on the graph ${css.graphInk} on ${css.graphBg}`);
    assert(contrast(css.runInk, css.runBg) >= 4.5, `Run query ${css.runInk} on ${css.runBg}: contrast ${contrast(css.runInk, css.runBg).toFixed(2)}`);
    // the drawn graph: a light canvas with dark nodes and labels on it, decoded from a screenshot
    const counts = await graphPixelStats(page);
    assert(counts.light > 0.5 * counts.all && counts.dark > 50, `graph canvas: ${counts.light} light and ${counts.dark} dark pixels of ${counts.all}`);
    await shot(page, 'microscope-dark');
    numbers.darkButtonContrast = Number(contrast(css.buttonInk, css.buttonBg).toFixed(2));
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
});

await check('no console errors and no request off the page origin', async () => {
  assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
  assert(offOrigin().length === 0, `requests off ${origin}:\n${offOrigin().join('\n')}`);
});
await context.close();

console.log('projector size');
await check('1920x1080: the default circuit and a node fit on screen', async () => {
  const big = await openPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await big.page.goto(`${origin}/?select=node:${nodeId}`);
    await waitForCircuit(big.page);
    await big.page.waitForSelector(`[data-testid="node-panel"][data-node="${nodeId}"]`, { timeout: GPU_TIMEOUT });
    await shot(big.page, 'microscope-1920');
    assert(big.errors.length === 0, `console errors:\n${big.errors.join('\n')}`);
  } finally {
    await big.context.close();
  }
});

console.log('drawing');
await check('on ?model=digits a stroke on the draw pad updates the prediction, as PyTorch predicts the drawing', async () => {
  const d = await openPage();
  try {
    await d.page.goto(`${origin}/?model=digits&images=image:0`); // a one-image circuit, so the query is short
    await d.page.waitForSelector('[data-testid="draw-pad"] canvas', { timeout: GPU_TIMEOUT });
    await d.page.waitForFunction(() => window.microscope?.current()?.image >= 0, null, { timeout: GPU_TIMEOUT });
    const before = await d.page.evaluate(() => window.microscope.current());
    await d.page.locator('[data-testid="draw-pad"] canvas').scrollIntoViewIfNeeded(); // it sits in the scrolling side panel
    const pad = await d.page.$eval('[data-testid="draw-pad"] canvas', (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height };
    });
    // a "7": across the top, then down to the left
    const path = [[0.25, 0.2], [0.5, 0.2], [0.75, 0.2], [0.65, 0.45], [0.55, 0.65], [0.45, 0.85]];
    await d.page.mouse.move(pad.x + path[0][0] * pad.w, pad.y + path[0][1] * pad.h);
    await d.page.mouse.down();
    for (const [u, v] of path.slice(1)) await d.page.mouse.move(pad.x + u * pad.w, pad.y + v * pad.h, { steps: 4 });
    await d.page.mouse.up();
    // the pad sends its last frame on the next animation frame; then the prediction must be of that frame
    await d.page.waitForTimeout(250);
    await d.page.waitForFunction(() => {
      const c = window.microscope.current();
      return c?.image === -1 && !c.classifying;
    }, null, { timeout: GPU_TIMEOUT, polling: 100 });
    const after = await d.page.evaluate(() => window.microscope.current());
    assert(after.input && after.input.length === 28 * 28, `the drawing's input has ${after.input?.length} values`);
    const oracle = torchForward('digits', after.input);
    const total = oracle.reduce((a, b) => a + b, 0);
    assert(Math.abs(total - 1) < 1e-9, `PyTorch's probabilities sum to ${total}`);
    assertSamePrediction(after.ranked, oracle, 1e-3, 'the drawing');
    const shownSum = after.ranked.reduce((a, r) => a + r.probability, 0);
    const torchTop = oracle.slice().sort((a, b) => b - a).slice(0, after.ranked.length).reduce((a, b) => a + b, 0);
    assert(shownSum <= 1 + 1e-6 && Math.abs(shownSum - torchTop) < 2e-3, `the top ${after.ranked.length} shown sum to ${shownSum}, PyTorch's to ${torchTop}`);
    const changed = before.ranked.some((r, k) => r.index !== after.ranked[k].index || Math.abs(r.probability - after.ranked[k].probability) > 1e-4);
    assert(changed, 'the prediction did not change after the stroke');
    const label = await d.page.textContent('.current .caption');
    assert(/your drawing/.test(label), `the caption reads "${label}"`);
    await shot(d.page, 'microscope-draw');
    console.log(`      drawn: ${after.ranked[0].index} at ${(after.ranked[0].probability * 100).toFixed(1)}% (before: ${before.ranked[0].index}); PyTorch ${oracle.indexOf(Math.max(...oracle))}`);
    assert(d.errors.length === 0, `console errors:\n${d.errors.join('\n')}`);
  } finally {
    await d.context.close();
  }
});

await browser.close();
server.close();
console.log(`numbers: ${JSON.stringify(numbers)}`);
console.log(`screenshots in ${shotsDir}`);
finish();
