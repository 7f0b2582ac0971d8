// End-to-end checks of your own images as the image set, in headless Chromium (SwiftShader WebGPU):
// a folder picked with two subfolders of PNGs becomes two classes (odd files named in one warning,
// a 20000x20000 PNG refused by its header), the pictures are centre-cropped and made grey as the
// model takes them (pixels against colours worked out by hand: Rec. 601 luma of pure red, green,
// blue), a circuit is scored on one class, a contrast and one image, the model's own images come
// back; a .zip through the files picker; files dropped on the page; the demo photos for a model
// without images. No console errors, nothing leaves the origin.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { zipSync } from 'fflate';
import { serveBuild } from './static-server.mjs';
import { check, assert, finish } from './harness.mjs';
import { encodePng, rgbPng } from './png.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, origin } = await serveBuild(buildDir, '/microscope/');

// ------------------------------------------------------------ the visitor's files
// cat: pure red, green and blue 30x50 pictures (grey: round(255 x 0.299, 0.587, 0.114) = 76, 150, 29);
// dog: 84x42 pictures whose centred 42x42 square is light on the left, black on the right, with red
// outer quarters that the centre crop must cut away; plus a text file and a PNG declaring 20000x20000.
const filesDir = join(root, 'test-results', 'e2e', 'your-images');
rmSync(filesDir, { recursive: true, force: true });
const pets = join(filesDir, 'pets');
mkdirSync(join(pets, 'cat'), { recursive: true });
mkdirSync(join(pets, 'dog'), { recursive: true });
const CAT_GREY = [76, 150, 29];
[[255, 0, 0], [0, 255, 0], [0, 0, 255]].forEach((rgb, i) => writeFileSync(join(pets, 'cat', `${i + 1}.png`), rgbPng(30, 50, () => rgb)));
const DOG_LIGHT = [255, 220, 190];
DOG_LIGHT.forEach((v, i) =>
  writeFileSync(join(pets, 'dog', `${i + 1}.png`), rgbPng(84, 42, (x) => (x < 21 || x >= 63 ? [255, 0, 0] : x < 42 ? [v, v, v] : [0, 0, 0]))),
);
writeFileSync(join(pets, 'notes.txt'), 'these are my pets');
writeFileSync(join(pets, 'huge.png'), encodePng(20000, 20000, 1, new Uint8Array(20000), 1));
const zipFile = join(filesDir, 'zoo.zip');
writeFileSync(zipFile, zipSync({ 'zoo/bird/a.png': rgbPng(28, 28, () => [250, 250, 250]), 'zoo/fish/b.png': rgbPng(28, 28, () => [10, 10, 10]), 'zoo/fish/c.png': rgbPng(40, 40, () => [0, 0, 255]) }));

// ------------------------------------------------------------ browser and page
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});

async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await context.addInitScript(() => localStorage.setItem('microscope.panels', JSON.stringify({ left: true, right: true }))); // both side panels open (a visitor's preference): these checks use the images and the inspector
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  const offOrigin = () => requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  return { context, page, errors, requests, offOrigin };
}

/** Waits until the circuit drawn is the one asked for (images expression), and returns its stats line. */
async function waitForCircuit(page, images = null) {
  await page.waitForFunction(
    (want) => {
      const h = window.microscope;
      if (!h || document.body.dataset.graphReady !== 'true' || !document.querySelector('[data-testid="kernels-kept"]')) return false;
      if (document.querySelector('[data-testid="query-progress"]')) return false;
      return !want || h.query()?.images === want;
    },
    images,
    { timeout: GPU_TIMEOUT, polling: 250 },
  );
  return (await page.textContent('[data-testid="circuit-stats"]')).replace(/\s+/g, ' ').trim();
}

/** Asks for a circuit on an image set by typing it, as a visitor does. */
async function askImages(page, images) {
  await page.fill('[data-testid="images-input"]', images);
  await page.press('[data-testid="images-input"]', 'Enter');
  return waitForCircuit(page, images);
}

/** Grey values (the red channel of the RGBA) of the sample thumbnail of image `index`, at its natural size. */
const thumbnail = (page, index) =>
  page.$eval(`.grid [data-image="${index}"] canvas`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, grey: Array.from({ length: d.length / 4 }, (_, i) => d[4 * i]) };
  });
const columnClasses = (page) => page.$$eval('.grid .class-name', (els) => els.map((e) => e.textContent.trim()));
const shot = (page, name) => page.screenshot({ path: join(shotsDir, `${name}.png`) });
const mean = (a) => a.reduce((t, v) => t + v, 0) / a.length;

const { context, page, errors, offOrigin } = await openPage();

console.log('your own images');
await check('a picked folder with two subfolders of PNGs becomes two classes; odd files are named in one warning', async () => {
  await page.goto(`${origin}/microscope/?model=fashion-small`);
  await waitForCircuit(page);
  await page.setInputFiles('[data-testid="folder-input"]', pets);
  await page.waitForFunction(() => /your images/.test(document.querySelector('[data-testid="image-set-name"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
  const name = (await page.textContent('[data-testid="image-set-name"]')).trim();
  assert(name === 'your images (6 in 2 classes)', `the image set is "${name}"`);
  const classes = await columnClasses(page);
  assert(JSON.stringify(classes) === JSON.stringify(['cat', 'dog']), `the sample columns are ${JSON.stringify(classes)}`);
  const warning = (await page.textContent('[data-testid="image-import-warning"]')).trim();
  assert(warning === '2 files skipped: pets/huge.png (20000×20000 px, over 8,192 px a side), pets/notes.txt (not an image)', `the warning reads "${warning}"`);
  await page.waitForSelector('[data-testid="true-label"]');
  const label = (await page.textContent('.current .caption')).replace(/\s+/g, ' ').trim();
  assert(label === 'Class cat image #0', `the current image's caption reads "${label}"`);
  console.log(`      ${name}; ${warning}`);
});

await check('the pictures are centre-cropped and made grey at 28x28 as fashion-small takes them', async () => {
  for (let i = 0; i < 3; i++) {
    const t = await thumbnail(page, i);
    assert(t.width === 28 && t.height === 28, `image ${i} is ${t.width}x${t.height}`);
    const off = t.grey.filter((v) => Math.abs(v - CAT_GREY[i]) > 1).length;
    assert(off === 0, `cat image ${i}: ${off} pixels differ from grey ${CAT_GREY[i]} (e.g. ${t.grey.find((v) => Math.abs(v - CAT_GREY[i]) > 1)})`);
  }
  for (let k = 0; k < 3; k++) {
    const t = await thumbnail(page, 3 + k);
    const column = (x) => mean(Array.from({ length: 28 }, (_, y) => t.grey[y * 28 + x]));
    // the red quarters (grey 76) are cut away: light to the left edge, black to the right edge
    const left = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(column), right = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27].map(column);
    assert(left.every((v) => Math.abs(v - DOG_LIGHT[k]) <= 2), `dog image ${k}: left columns ${left.map(Math.round)} are not ${DOG_LIGHT[k]}`);
    assert(right.every((v) => v <= 2), `dog image ${k}: right columns ${right.map(Math.round)} are not black`);
  }
  await shot(page, 'images-folder');
});

await check('a circuit is scored on one class of your images, on a contrast and on one image', async () => {
  const dog = await askImages(page, 'dog');
  assert(/on class dog \(3 images\)/.test(dog), `the stats read "${dog}"`);
  const kept = Number((await page.textContent('[data-testid="kernels-kept"]')).replace(/,/g, ''));
  assert(kept > 0, `${kept} kernels kept`);
  await shot(page, 'images-circuit-dog');
  await page.fill('[data-testid="images-input"]', 'Sandal');
  await page.press('[data-testid="images-input"]', 'Enter');
  const err = await page.waitForSelector('[data-testid="query-error"]', { timeout: GPU_TIMEOUT });
  const text = (await err.textContent()).trim();
  assert(/unknown class "Sandal" \(classes: cat, dog/.test(text), `the error reads "${text}"`);
  const one = await askImages(page, 'image:4');
  assert(/on image 4 \(1 images\)/.test(one), `the stats read "${one}"`);
  const contrast = await askImages(page, 'dog - all');
  assert(/on class dog − all images \(9 images\)/.test(contrast), `the stats read "${contrast}"`);
  console.log(`      ${dog.slice(0, 90)}`);
});

await check("back to the model's images: its classes return, and a query naming your class falls back to all images", async () => {
  await page.click('[data-testid="model-images"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="image-set-name"]')?.textContent.trim() === "the model's images", null, { timeout: GPU_TIMEOUT });
  const stats = await waitForCircuit(page, 'all');
  const classes = await columnClasses(page);
  assert(classes.length === 10 && classes.includes('Sandal'), `the columns are ${JSON.stringify(classes)}`);
  assert(/on all images \(500 images\)/.test(stats), `the stats read "${stats}"`);
});

await check('a .zip through the files picker: its folders are the classes', async () => {
  await page.setInputFiles('[data-testid="files-input"]', zipFile);
  await page.waitForFunction(() => /your images \(3 in 2 classes\)/.test(document.querySelector('[data-testid="image-set-name"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
  const classes = await columnClasses(page);
  assert(JSON.stringify(classes) === JSON.stringify(['bird', 'fish']), `the columns are ${JSON.stringify(classes)}`);
  const stats = await askImages(page, 'fish');
  assert(/on class fish \(2 images\)/.test(stats), `the stats read "${stats}"`);
  await shot(page, 'images-zip');
});

await check('image files dropped on the page (the drop zone) become one class, "images"', async () => {
  const files = [
    { name: 'one.png', b64: rgbPng(28, 28, () => [200, 200, 200]).toString('base64') },
    { name: 'two.png', b64: rgbPng(56, 28, (x) => (x < 28 ? [0, 0, 0] : [255, 255, 255])).toString('base64') },
  ];
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: 'image/png' }));
    const target = document.querySelector('[data-testid="graph"]');
    for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
  await page.waitForFunction(() => /your images \(2 in 1 class\)/.test(document.querySelector('[data-testid="image-set-name"]')?.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
  const classes = await columnClasses(page);
  assert(JSON.stringify(classes) === JSON.stringify(['images']), `the columns are ${JSON.stringify(classes)}`);
  await waitForCircuit(page, 'all');
});

await check('no console errors, and nothing left the origin', async () => {
  assert(errors.length === 0, `console errors:\n${errors.join('\n')}`);
  const off = offOrigin();
  assert(off.length === 0, `requests off the origin: ${off.join(', ')}`);
});
await context.close();

console.log('demo photos');
await check('a model without images offers the demo photos, made grey 28x28, and scores a circuit on one of their classes', async () => {
  const other = await openPage();
  try {
    await other.context.route('**/weights/fashion-small/images.json', (route) => route.fulfill({ status: 404, body: 'missing' }));
    await other.page.goto(`${origin}/microscope/?model=fashion-small`);
    await other.page.waitForSelector('[data-testid="use-demo-photos"]', { timeout: GPU_TIMEOUT });
    await other.page.waitForSelector('[data-testid="graph"] canvas', { timeout: GPU_TIMEOUT });
    await other.page.click('[data-testid="use-demo-photos"]');
    await other.page.waitForFunction(() => document.querySelector('[data-testid="image-set-name"]')?.textContent.trim() === 'the demo photos', null, { timeout: GPU_TIMEOUT });
    const classes = await columnClasses(other.page);
    assert(JSON.stringify(classes) === JSON.stringify(['cat', 'coffee', 'coins', 'galaxy', 'horse', 'person', 'rocket']), `the columns are ${JSON.stringify(classes)}`);
    const t = await thumbnail(other.page, 0);
    assert(t.width === 28 && t.height === 28, `a demo photo is ${t.width}x${t.height}`);
    const stats = await askImages(other.page, 'cat');
    assert(/on class cat \(3 images\)/.test(stats), `the stats read "${stats}"`);
    const fetched = other.requests.filter((u) => u.endsWith('/microscope/images/demo-photos/images.bin'));
    assert(fetched.length === 1, `images.bin of the demo photos requested ${fetched.length} times`);
    await shot(other.page, 'images-demo-photos');
    const pageErrors = other.errors.filter((e) => !/images\.json|404/.test(e));
    assert(pageErrors.length === 0, `console errors:\n${pageErrors.join('\n')}`);
    assert(other.offOrigin().length === 0, `requests off the origin: ${other.offOrigin().join(', ')}`);
    console.log(`      ${stats.slice(0, 90)}`);
  } finally {
    await other.context.close();
  }
});

await browser.close();
server.close();
console.log(`screenshots in ${shotsDir}`);
finish();
