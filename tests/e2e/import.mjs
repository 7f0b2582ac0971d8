// End-to-end checks of opening your own ONNX model in headless Chromium (SwiftShader WebGPU), on
// the built site: a broken file (random bytes, dropped; a truncated model, picked) gives a plain
// message while the page keeps its model; the drop overlay; a small PyTorch-exported model,
// dropped on the page, asks for its preprocessing (its fixed 3x32x32 input prefilled, a class
// count that does not match refused, Esc cancels, Tab stays in the dialog, Enter opens), then
// shows its graph and classifies an uploaded image as PyTorch does; a reload brings it back from
// IndexedDB without asking; a `local:` link this browser lacks and hostile `url:` links fall back
// with a warning; a same-origin `url:` link downloads and opens; stored models can be removed.
// No console errors, nothing leaves the origin.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const fixtureDir = join(root, '.cache', 'import-e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
mkdirSync(fixtureDir, { recursive: true });

// ------------------------------------------------------------ the model and its oracle (PyTorch)
/**
 * A small CNN (conv, relu, max pool, conv + batchnorm, relu, global average pool, linear) on 3x32x32
 * images with 10 classes, fixed by its seed; `make` exports it to ONNX and keeps its weights,
 * `forward` runs PyTorch (float64) on one normalized CHW input from stdin.
 */
const TORCH_NET = [
  'import sys, json, torch, torch.nn as nn',
  'def build():',
  '    torch.manual_seed(7)',
  '    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(),',
  '                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(12, 10))',
  '    with torch.no_grad():',
  '        net[4].running_mean.uniform_(-0.2, 0.2); net[4].running_var.uniform_(0.5, 2.0); net[4].weight.uniform_(0.5, 1.5)',
  '        net[8].weight.mul_(8.0)',
  '    return net.eval()',
  'mode, folder = sys.argv[1], sys.argv[2]',
  'net = build()',
  "if mode == 'make':",
  "    torch.onnx.export(net, torch.zeros(1, 3, 32, 32), folder + '/tiny.onnx', input_names=['image'], output_names=['logits'], opset_version=13)",
  "    torch.save(net.state_dict(), folder + '/tiny.pt')",
  'else:',
  "    net.load_state_dict(torch.load(folder + '/tiny.pt'))",
  '    net = net.double()',
  '    x = torch.tensor(json.load(sys.stdin), dtype=torch.float64).reshape(1, 3, 32, 32)',
  "    if mode == 'forward-bgr': x = x.flip(1)",
  '    with torch.no_grad():',
  '        print(json.dumps(torch.softmax(net(x), 1)[0].tolist()))',
].join('\n');

function torch(mode, input) {
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_NET, mode, fixtureDir], {
    input: input ? JSON.stringify(input) : '',
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`PyTorch (${mode}) failed: ${r.stderr}`);
  return r.stdout;
}
const modelFile = join(fixtureDir, 'tiny.onnx');
if (!existsSync(modelFile) || !existsSync(join(fixtureDir, 'tiny.pt'))) torch('make');
const modelBytes = readFileSync(modelFile);
// Two classes share a name, as ImageNet's two "crane"s do: the page must take duplicate names.
const CLASSES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'crane', 'crane'];
// 3 input channels and every conv and linear output is a node; every 2D kernel an edge
const TINY_NODES = 3 + 8 + 12 + 10;
const TINY_EDGES = 3 * 8 + 8 * 12 + 12 * 10;
// the image-folder import's fixture for the ONNX importer, when it has been generated
const zooOps = join(root, '.cache', 'onnx-fixtures', 'zoo-ops', 'model.onnx');

// ------------------------------------------------------------ browser and page
const { server, origin } = await serveBuild(buildDir, '/microscope/');
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
await context.addInitScript(() => localStorage.setItem('microscope.panels', JSON.stringify({ left: true, right: true }))); // both side panels open (a visitor's preference): these checks use the images and the inspector
const requests = [];
const errors = [];
context.on('request', (r) => requests.push(r.url()));
// a same-origin ONNX file for `url:` links (the built site has none of its own)
await context.route(`${origin}/e2e/tiny-url.onnx`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: modelBytes }));
const page = await context.newPage();
page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} for ${r.url()}`));
page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
const offOrigin = () => requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));

const shot = (name) => page.screenshot({ path: join(shotsDir, `${name}.png`) });

/** Waits until the page shows a model's graph; returns its node and edge counts. */
async function waitForGraph(nodeCount = null) {
  try {
    await page.waitForFunction(
      (n) => document.body.dataset.graphReady === 'true' && window.microscope?.nodeCount > 0 && (n === null || window.microscope.nodeCount === n) && !document.querySelector('[data-testid="loading"]'),
      nodeCount,
      { timeout: GPU_TIMEOUT, polling: 200 },
    );
  } catch (err) {
    const seen = await page.evaluate(() => ({ href: location.href, nodes: window.microscope?.nodeCount, text: document.body.innerText.slice(0, 600) })).catch(() => null);
    throw new Error(`no graph${nodeCount === null ? '' : ` of ${nodeCount} nodes`}: ${err.message.split('\n')[0]}; the page: ${JSON.stringify(seen)}`);
  }
  return page.evaluate(() => ({ nodes: window.microscope.nodeCount, edges: window.microscope.edgeCount }));
}

/** Drops files on the page as a drag from the desktop does: dragenter, dragover, drop on the graph area. */
async function dropFiles(files, { drop = true } = {}) {
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') })));
  const target = (await page.$('[data-testid="graph"]')) ? '[data-testid="graph"]' : 'body';
  await page.dispatchEvent(target, 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent(target, 'dragover', { dataTransfer: dt });
  if (drop) await page.dispatchEvent(target, 'drop', { dataTransfer: dt });
  return dt;
}

const dialogOpen = () => page.$('[data-testid="import-dialog"][open]');
const modelParam = () => page.evaluate(() => new URL(location.href).searchParams.get('model'));

console.log('broken files');
await check('the page opens on the default model, with "Open model…" in the header', async () => {
  await page.goto(origin + '/');
  const g = await waitForGraph();
  assert(g.nodes > 0, 'no graph');
  assert(await page.isVisible('[data-testid="open-model"]'), 'no "Open model…" button');
});

await check('dragging files over the page shows the drop overlay; leaving hides it', async () => {
  const dt = await dropFiles([{ name: 'tiny.onnx', bytes: modelBytes }], { drop: false });
  await page.waitForSelector('[data-testid="drop-zone"]', { timeout: 5000 });
  const text = await page.textContent('[data-testid="drop-zone"]');
  assert(/\.onnx file/.test(text) && /folder of images/.test(text), `the overlay says: ${text}`);
  await shot('import-drop-overlay');
  await page.dispatchEvent('[data-testid="graph"]', 'dragleave', { dataTransfer: dt });
  await page.waitForSelector('[data-testid="drop-zone"]', { state: 'detached', timeout: 5000 });
});

await check('100 random bytes dropped as .onnx: a plain message, the page keeps its model', async () => {
  const before = await page.evaluate(() => window.microscope.nodeCount);
  const noise = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 7919 + 13) % 256));
  await dropFiles([{ name: 'noise.onnx', bytes: noise }]);
  await page.waitForSelector('[data-testid="import-error"]', { timeout: 10_000 });
  const msg = await page.textContent('[data-testid="import-error"]');
  assert(msg.includes('noise.onnx') && /not an ONNX model/i.test(msg), `the message: ${msg}`);
  assert(!(await dialogOpen()), 'the preprocessing dialog opened for a broken file');
  assert((await page.evaluate(() => window.microscope.nodeCount)) === before, 'the graph changed');
  assert((await modelParam()) === null, 'the link changed');
  await shot('import-broken');
  console.log(`      ${msg.replace(/\s+/g, ' ').replace('Dismiss', '').trim()}`);
  await page.click('[data-testid="import-error"] button');
});

await check('a truncated model picked with "Open model…": a plain message, the page keeps working', async () => {
  await page.setInputFiles('[data-testid="open-model-input"]', { name: 'truncated.onnx', mimeType: 'application/octet-stream', buffer: modelBytes.subarray(0, Math.floor(modelBytes.length / 2)) });
  await page.waitForSelector('[data-testid="import-error"]', { timeout: 10_000 });
  const msg = await page.textContent('[data-testid="import-error"]');
  assert(msg.includes('truncated.onnx'), `the message does not name the file: ${msg}`);
  assert(!(await dialogOpen()), 'the dialog opened for a truncated file');
  // the page still answers: a built-in model's node can be selected
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid="shortcuts"][open]', { timeout: 5000 });
  await page.keyboard.press('Escape');
  console.log(`      ${msg.replace(/\s+/g, ' ').replace('Dismiss', '').trim()}`);
  await page.click('[data-testid="import-error"] button');
});

console.log('your own model');
await check('a dropped .onnx asks for its preprocessing: fixed 32x32 prefilled, a wrong class count refused, Tab stays inside, Esc cancels', async () => {
  await dropFiles([{ name: 'tiny.onnx', bytes: modelBytes }]);
  await page.waitForSelector('[data-testid="import-dialog"][open]', { timeout: 10_000 });
  const facts = await page.textContent('#import-facts');
  assert(/3×32×32/.test(facts) && /10 outputs/.test(facts) && /opset 13/.test(facts), `the dialog's facts: ${facts}`);
  const [h, w] = await Promise.all([page.inputValue('[data-testid="import-height"]'), page.inputValue('[data-testid="import-width"]')]);
  assert(h === '32' && w === '32', `size prefilled ${h}x${w}`);
  assert(await page.$eval('[data-testid="import-height"]', (el) => el.readOnly), 'a fixed input size can be edited');
  const mean = await page.inputValue('[data-testid="import-mean-0"]');
  assert(mean === '0.485', `mean of R is ${mean}`);
  // ImageNet's 1,000 names do not fit 10 outputs: said, and Open is off
  await page.check('[data-testid="import-classes-imagenet"]');
  await page.waitForFunction(() => /10 outputs, but there are 1,000 class names/.test(document.querySelector('[data-testid="import-problems"]')?.textContent ?? ''), null, { timeout: 10_000 });
  assert(await page.isDisabled('[data-testid="import-open"]'), 'Open is on with 1,000 names for 10 outputs');
  await shot('import-dialog-mismatch');
  // focus goes round inside the dialog
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    assert(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="import-dialog"]')), `focus left the dialog after ${i + 1} Tab presses`);
  }
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid="import-dialog"][open]'), null, { timeout: 5000 });
  assert((await modelParam()) === null, 'Esc still changed the model');
  assert((await page.evaluate(() => window.microscope.nodeCount)) !== TINY_NODES, 'the model loaded although the dialog was cancelled');
});

let prediction = null;
/** The visitor's image as a PNG: a 32x32 colour pattern drawn by the browser itself. */
async function patternPng() {
  const b64 = await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = c.height = 32;
    const ctx = c.getContext('2d');
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
      ctx.fillStyle = `rgb(${(x * 8) % 256}, ${(y * 8) % 256}, ${((x * y) * 3) % 256})`;
      ctx.fillRect(x, y, 1, 1);
    }
    const blob = await new Promise((ok) => c.toBlob(ok, 'image/png'));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return { name: 'pattern.png', mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') };
}

/** Uploads the pattern and compares the page's probabilities with PyTorch's (`mode`: forward, or forward-bgr for a model fed BGR). */
async function classifyLikeTorch(mode) {
  await page.setInputFiles('[data-testid="image-upload"] input[type="file"]', await patternPng());
  await page.waitForFunction(() => window.microscope.current()?.image === -1 && !window.microscope.current().classifying, null, { timeout: GPU_TIMEOUT });
  const current = await page.evaluate(() => window.microscope.current());
  assert(current.input?.length === 3 * 32 * 32, `the input has ${current.input?.length} values`);
  const oracle = JSON.parse(torch(mode, current.input));
  for (const r of current.ranked) assert(Math.abs(r.probability - oracle[r.index]) < 1e-4, `class ${r.index}: ${r.probability}, PyTorch ${oracle[r.index]}`);
  const best = oracle.indexOf(Math.max(...oracle));
  assert(current.ranked[0].index === best, `the page predicts ${current.ranked[0].index}, PyTorch ${best}`);
  return { current, oracle, best };
}
await check('filled in and confirmed with Enter, the model loads: its graph, local:tiny in the link, the note that it is kept only here', async () => {
  await dropFiles([{ name: 'tiny.onnx', bytes: modelBytes }]);
  await page.waitForSelector('[data-testid="import-dialog"][open]', { timeout: 10_000 });
  await page.check('[data-testid="import-classes-own"]');
  await page.fill('[data-testid="import-own-classes"]', CLASSES.slice(0, 9).join('\n'));
  await page.waitForFunction(() => /10 outputs, but there are 9 class names/.test(document.querySelector('[data-testid="import-problems"]')?.textContent ?? ''), null, { timeout: 5000 });
  await page.fill('[data-testid="import-own-classes"]', CLASSES.join('\n'));
  await page.waitForFunction(() => !document.querySelector('[data-testid="import-problems"]'), null, { timeout: 5000 });
  await shot('import-dialog');
  await page.focus('[data-testid="import-std-2"]');
  await page.keyboard.press('Enter');
  const g = await waitForGraph(TINY_NODES);
  assert(g.edges === TINY_EDGES, `the graph has ${g.edges} edges, the model ${TINY_EDGES} kernels`);
  assert((await modelParam()) === 'local:tiny', `the link's model is ${await modelParam()}`);
  await page.waitForSelector('[data-testid="local-model-note"]', { timeout: 10_000 });
  await page.waitForFunction(() => /stored only in this browser; a link to it works only here/.test(document.querySelector('[data-testid="local-model-note"]')?.textContent ?? ''), null, { timeout: 10_000 });
  const warning = await page.textContent('[data-testid="images-warning"]');
  assert(/no image set yet/.test(warning), `the images warning: ${warning}`);
  assert((await page.title()).includes('tiny'), `the title is ${await page.title()}`);
});

await check('an uploaded image is classified as PyTorch classifies it, with the given class names', async () => {
  const { current, oracle, best } = await classifyLikeTorch('forward');
  const shown = await page.textContent('[data-testid="predicted-class"]');
  assert(shown.trim() === CLASSES[best], `the page names the class "${shown}", expected "${CLASSES[best]}"`);
  prediction = current.ranked;
  await shot('import-loaded');
  console.log(`      ${CLASSES[best]} at ${(current.ranked[0].probability * 100).toFixed(1)}% (PyTorch ${(oracle[best] * 100).toFixed(1)}%)`);
});

await check('a reload brings the model back from IndexedDB without asking', async () => {
  await page.reload();
  const g = await waitForGraph(TINY_NODES);
  assert(g.edges === TINY_EDGES, `the graph has ${g.edges} edges`);
  assert(!(await dialogOpen()), 'the dialog asked again');
  assert((await modelParam()) === 'local:tiny', `the link's model is ${await modelParam()}`);
  await page.waitForFunction(() => /stored only in this browser/.test(document.querySelector('[data-testid="local-model-note"]')?.textContent ?? ''), null, { timeout: 10_000 });
  const stored = await page.textContent('[data-testid="stored-models"] summary');
  assert(/Kept here \(1\)/.test(stored), `the stored list says ${stored}`);
  const option = await page.$eval('header select', (s) => s.selectedOptions[0]?.textContent);
  assert(option === 'tiny (kept in this browser)', `the model picker shows "${option}"`);
  await shot('import-reloaded');
});

await check('opened as BGR (the means follow their colours), the model classifies an RGB image as PyTorch does on its BGR channels', async () => {
  await page.setInputFiles('[data-testid="open-model-input"]', { name: 'tiny-bgr.onnx', mimeType: 'application/octet-stream', buffer: modelBytes });
  await page.waitForSelector('[data-testid="import-dialog"][open]', { timeout: 10_000 });
  await page.check('[data-testid="import-bgr"]');
  const means = await Promise.all([0, 1, 2].map((c) => page.inputValue(`[data-testid="import-mean-${c}"]`)));
  assert(means.join() === '0.406,0.456,0.485', `BGR means are ${means.join()}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('model') === 'local:tiny-bgr', null, { timeout: GPU_TIMEOUT });
  await waitForGraph(TINY_NODES);
  const { current, oracle, best } = await classifyLikeTorch('forward-bgr');
  console.log(`      class ${best} at ${(current.ranked[0].probability * 100).toFixed(1)}% (PyTorch ${(oracle[best] * 100).toFixed(1)}%)`);
  await page.goto(`${origin}/?model=local:tiny`);
  await waitForGraph(TINY_NODES);
});

console.log('links');
await check('a local: link this browser lacks says so and shows the default model', async () => {
  await page.goto(origin + '/?model=local:not-here');
  await waitForGraph();
  const w = await page.textContent('[data-testid="url-warnings"]');
  assert(/local:not-here.*stored only in the browser it was opened in/.test(w) && /showing fashion-small/.test(w), `the warning: ${w}`);
  assert((await modelParam()) === null, `the link still names ${await modelParam()}`);
  await shot('import-local-missing');
});

await check('url: links to other sites or schemes are refused with a message; nothing is requested from them', async () => {
  for (const bad of ['url://evil.example/x.onnx', 'url:http://evil.example/x.onnx', 'url:data:,x.onnx', 'url:/\\evil.example/x.onnx']) {
    await page.goto(`${origin}/?model=${encodeURIComponent(bad)}`);
    await waitForGraph();
    const w = await page.textContent('[data-testid="url-warnings"]');
    assert(/a model file is url:\/path\/model\.onnx on this site/.test(w), `${bad}: the warning is ${w}`);
  }
  const evil = requests.filter((u) => /^[a-z]+:/.test(u) && !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).hostname.endsWith('evil.example'));
  assert(evil.length === 0, `requests went to evil.example: ${evil.join(', ')}`);
});

await check('a same-origin url: link downloads the file, asks once, opens it, and a reload does not ask again', async () => {
  await page.goto(`${origin}/?model=${encodeURIComponent('url:/e2e/tiny-url.onnx')}`);
  await page.waitForSelector('[data-testid="import-dialog"][open]', { timeout: GPU_TIMEOUT });
  // numbered classes by default for 10 outputs
  assert(await page.isChecked('[data-testid="import-classes-numbered"]'), 'numbered class names are not the default for 10 outputs');
  await page.keyboard.press('Enter');
  await waitForGraph(TINY_NODES);
  assert((await modelParam()) === 'url:/e2e/tiny-url.onnx', `the link's model is ${await modelParam()}`);
  assert(requests.includes(`${origin}/e2e/tiny-url.onnx`), 'the file was not requested from the site');
  await page.reload();
  await waitForGraph(TINY_NODES);
  assert(!(await dialogOpen()), 'the dialog asked again after a reload');
  await shot('import-url');
});

if (existsSync(zooOps)) {
  await check('the importer fixture zoo-ops (3x32x32) opens with its defaults', async () => {
    await page.setInputFiles('[data-testid="open-model-input"]', zooOps);
    const opened = await Promise.race([
      page.waitForSelector('[data-testid="import-dialog"][open]', { timeout: 20_000 }).then(() => 'dialog'),
      page.waitForSelector('[data-testid="import-error"]', { timeout: 20_000 }).then(() => 'error'),
    ]);
    assert(opened === 'dialog', `zoo-ops was refused: ${opened === 'error' ? await page.textContent('[data-testid="import-error"]') : ''}`);
    const open = await page.isEnabled('[data-testid="import-open"]');
    if (!open) await page.check('[data-testid="import-classes-numbered"]');
    await page.keyboard.press('Enter');
    await waitForGraph();
    assert((await modelParam()) === 'local:model', `the link's model is ${await modelParam()}`);
    await shot('import-zoo-ops');
  });
} else console.log(`  (no ${zooOps}: the importer's fixture is not generated, its check is left out)`);

console.log('stored models');
await check('stored models can be removed; the note then says a reload will not find the model', async () => {
  await page.goto(`${origin}/?model=local:tiny`);
  await waitForGraph(TINY_NODES);
  await page.click('[data-testid="stored-models"] summary');
  const before = await page.$$eval('[data-testid="remove-stored"]', (els) => els.length);
  assert(before >= 3, `${before} stored models listed (tiny, tiny-bgr and tiny-url expected)`);
  await shot('import-stored-list');
  await page.click('[data-testid="stored-models"] summary');
  await page.click('[data-testid="local-model-note"] button');
  await page.waitForFunction(() => /not stored in this browser/.test(document.querySelector('[data-testid="local-model-note"]')?.textContent ?? ''), null, { timeout: 10_000 });
  const after = await page.$$eval('[data-testid="remove-stored"]', (els) => els.length);
  assert(after === before - 1, `${after} stored models after removing one of ${before}`);
  // the model on screen still works
  assert((await page.evaluate(() => window.microscope.nodeCount)) === TINY_NODES, 'the graph went away');
  await page.reload();
  await waitForGraph();
  const w = await page.textContent('[data-testid="url-warnings"]');
  assert(/local:tiny.*stored only in the browser it was opened in/.test(w), `after removal a reload says: ${w}`);
});

await check('no console errors, nothing requested off the page\'s origin', async () => {
  assert(prediction !== null, 'no prediction was made');
  assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
  assert(offOrigin().length === 0, `requests off the origin: ${offOrigin().join(', ')}`);
});

await browser.close();
server.close();
console.log(`screenshots in ${shotsDir}`);
finish();
