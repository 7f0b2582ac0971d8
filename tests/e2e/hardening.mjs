// End-to-end hardening checks of the built site in headless Chromium (issue 19): the Content-
// Security-Policy blocks an injected off-origin image, fetch and inline script (a second local
// server on another port stands for the other origin and counts what reaches it) while the page
// still loads a model and runs a query; the link corpus (tests/fuzz/links.mjs, 50+ hostile links)
// and 15+ bad image files each give a clear plain-text message, with no uncaught error, no
// dialog, no injected element and no request off the origin; a GPU reset in the middle of a query
// (the test hook destroys the worker's device) is said in plain words and the next query recovers
// with the same circuit. Counts are printed.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveBuild } from './static-server.mjs';
import { pngFile } from './png.mjs';
import { check, assert, finish } from './harness.mjs';
import { pageLinks } from '../fuzz/links.mjs';
import { XSS } from '../fuzz/payloads.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = join(root, 'build');
const shotsDir = join(root, 'test-results', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const GPU_TIMEOUT = Number(process.env.E2E_GPU_TIMEOUT_MS ?? 150_000);
/** The JS heap the page may reach over the whole corpus (Chromium's own count). */
const HEAP_BOUND_MB = 600;

if (!existsSync(join(buildDir, 'index.html')) || !existsSync(CHROMIUM)) {
  console.error(existsSync(CHROMIUM) ? 'No built site: run `npm run build` first.' : `Chromium not found at ${CHROMIUM}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, origin } = await serveBuild(buildDir, '/microscope/');

// ------------------------------------------------------------ the other origin
/** Every request that reaches another origin (127.0.0.1 on another port). */
const offOriginHits = [];
const elsewhere = createServer((req, res) => {
  offOriginHits.push(req.url);
  res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
  res.end();
});
await new Promise((ok) => elsewhere.listen(0, '127.0.0.1', ok));
const otherOrigin = `http://127.0.0.1:${elsewhere.address().port}`;

// ------------------------------------------------------------ browser and page
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'],
});

/** A page that records requests, errors, dialogs and CSP violations (from the first script on). */
async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await context.addInitScript(() => localStorage.setItem('microscope.panels', JSON.stringify({ left: true, right: true }))); // both side panels open (a visitor's preference): these checks use the images and the inspector
  const requests = [];
  const errors = [];
  const dialogs = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.effectiveDirective, uri: e.blockedURI }));
  });
  page.on('console', (m) => m.type() === 'error' && !/Content Security Policy/.test(m.text()) && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  const offOrigin = () => requests.filter((u) => /^(https?|wss?):/.test(u) && !u.startsWith(origin + '/'));
  const violations = () => page.evaluate(() => window.__violations);
  return { context, page, errors, dialogs, offOrigin, violations };
}

/** Waits until a circuit is shown and the graph is drawn; returns the kept edges. */
async function waitForCircuit(page) {
  await page.waitForFunction(
    () => window.microscope && document.body.dataset.graphReady === 'true' && document.querySelector('[data-testid="kernels-kept"]') && !document.querySelector('[data-testid="query-progress"]'),
    null,
    { timeout: GPU_TIMEOUT, polling: 250 },
  );
  return page.evaluate(() => window.microscope.kept());
}

/** Elements a payload would have made, had any markup from a link, name or file become DOM. */
const injectedElements = (page) =>
  page.evaluate(() => {
    const found = [
      ...document.querySelectorAll('img[src="x"], [onerror], [onload], iframe, object, embed, math, a[href^="javascript:"], [href*="evil.example"], [src*="evil.example"]'),
      ...[...document.querySelectorAll('script')].filter((s) => !s.src && /alert|pwned/.test(s.textContent ?? '')),
      ...[...document.querySelectorAll('style')].filter((s) => /evil\.example/.test(s.textContent ?? '')),
      ...[...document.querySelectorAll('svg')].filter((s) => s.hasAttribute('onload')),
    ];
    return found.map((el) => el.outerHTML.slice(0, 80));
  });

let firstKept = null;

console.log('content security policy');
await check('the page loads a model and runs a query under its CSP, with no violation of its own', async () => {
  const p = await openPage();
  try {
    await p.page.goto(`${origin}/`);
    firstKept = await waitForCircuit(p.page);
    assert(firstKept.length > 0, 'no kernel kept');
    await p.page.waitForSelector('[data-testid="predicted-class"]', { timeout: GPU_TIMEOUT }).catch(() => {});
    const csp = await p.page.$eval('meta[http-equiv="content-security-policy"]', (m) => m.getAttribute('content'));
    assert(/default-src 'self'/.test(csp) && /connect-src 'self'/.test(csp), `unexpected policy: ${csp}`);
    const own = await p.violations();
    assert(own.length === 0, `the page's own code broke its policy: ${JSON.stringify(own)}`);
    assert(p.errors.length === 0, `errors:\n${p.errors.join('\n')}`);
    console.log(`      ${firstKept.length} kernels kept; policy: ${csp.slice(0, 100)}…`);
  } finally {
    await p.context.close();
  }
});

await check('an injected off-origin image, fetch and inline script are blocked; the page still works', async () => {
  const p = await openPage();
  try {
    await p.page.goto(`${origin}/`);
    await waitForCircuit(p.page);
    const before = offOriginHits.length;
    const outcome = await p.page.evaluate(async (other) => {
      const img = document.createElement('img');
      img.src = `${other}/injected.png`;
      document.body.append(img);
      const script = document.createElement('script');
      script.textContent = 'window.__pwned = 1';
      document.body.append(script);
      let fetched;
      try {
        await fetch(`${other}/injected-fetch`);
        fetched = 'fetched';
      } catch (e) {
        fetched = `refused (${e.name})`;
      }
      await new Promise((r) => setTimeout(r, 500));
      img.remove();
      script.remove();
      return { fetched, pwned: window.__pwned ?? null, violations: window.__violations };
    }, otherOrigin);
    assert(outcome.fetched.startsWith('refused'), `an off-origin fetch was ${outcome.fetched}`);
    assert(outcome.pwned === null, 'an injected inline script ran');
    const directives = outcome.violations.map((v) => v.directive);
    for (const d of ['img-src', 'connect-src', 'script-src-elem']) assert(directives.includes(d), `no ${d} violation: ${JSON.stringify(outcome.violations)}`);
    assert(offOriginHits.length === before, `the other origin was reached: ${offOriginHits.slice(before).join(', ')}`);
    assert(p.offOrigin().filter((u) => !u.startsWith(otherOrigin)).length === 0, `requests off ${origin}: ${p.offOrigin().join('\n')}`);
    // the page goes on: another query runs
    await p.page.fill('[data-testid="target-input"]', 'logit:Bag');
    await p.page.keyboard.press('Enter');
    const kept = await waitForCircuit(p.page);
    assert(kept.length > 0, 'the next query kept nothing');
    assert(p.errors.length === 0, `errors:\n${p.errors.join('\n')}`);
    console.log(`      blocked: ${[...new Set(directives)].join(', ')}; the other origin saw ${offOriginHits.length - before} requests; the next query kept ${kept.length} kernels`);
  } finally {
    await p.context.close();
  }
});

// ------------------------------------------------------------ hostile links
console.log('hostile links');
/** Links whose warning comes only once the model is there (they name what the model lacks). */
const AFTER_LOAD = { 'image: past the image set': /image 99999999 is not in this model's image set/, 'model: wrong case': /not a built-in model name; showing fashion-small/ };

await check(`the page corpus of ${pageLinks().length} hostile links: plain-text warnings, no error, dialog, injected element or off-origin request`, async () => {
  const links = pageLinks();
  assert(links.length >= 50, `only ${links.length} links`);
  const p = await openPage();
  let clean = 0;
  const failures = [];
  try {
    for (const [what, query] of links) {
      const errorsBefore = p.errors.length;
      try {
        await p.page.goto(`${origin}/?${query}`, { waitUntil: 'domcontentloaded' });
        const expected = AFTER_LOAD[what];
        await p.page.waitForFunction(
          (re) => {
            const el = document.querySelector('[data-testid="url-warnings"]');
            return !!el && (!re || new RegExp(re).test(el.textContent ?? ''));
          },
          expected?.source ?? null,
          { timeout: expected ? GPU_TIMEOUT : 30_000, polling: 100 },
        );
        const lines = await p.page.$$eval('[data-testid="url-warnings"] li', (els) => els.map((e) => e.textContent ?? ''));
        assert(lines.length > 0, 'an empty notice');
        for (const line of lines) assert(line.length < 400, `a warning of ${line.length} characters`);
        // the model loads and the controls are there (a 208 kB ablate once left the page without them)
        await p.page.waitForSelector('[data-testid="target-input"]', { timeout: GPU_TIMEOUT });
        const injected = await injectedElements(p.page);
        assert(injected.length === 0, `injected: ${injected.join(' | ')}`);
        assert(p.dialogs.length === 0, `dialogs: ${p.dialogs.join(', ')}`);
        assert(p.errors.length === errorsBefore, `errors: ${p.errors.slice(errorsBefore).join(' | ')}`);
        clean++;
      } catch (err) {
        failures.push(`${what}: ${String(err?.message ?? err).split('\n')[0].slice(0, 200)}`);
      }
    }
    // every parameter hostile at once: its target ("javascript:alert(1)" is a well-formed name of no
    // layer) is refused next to the field, and with the default target the default circuit follows
    await p.page.goto(`${origin}/?${links.find(([w]) => w.startsWith('every parameter'))[1]}`);
    await p.page.waitForSelector('[data-testid="query-error"]', { timeout: GPU_TIMEOUT });
    await p.page.fill('[data-testid="target-input"]', 'loss');
    await p.page.keyboard.press('Enter');
    const kept = await waitForCircuit(p.page);
    assert(JSON.stringify(kept) === JSON.stringify(firstKept), 'a link with every parameter hostile does not give the default circuit');
    assert(p.offOrigin().length === 0 && offOriginHits.length === 0, `requests off the origin: ${[...p.offOrigin(), ...offOriginHits].join(', ')}`);
    const heap = await p.page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    assert(heap / 2 ** 20 < HEAP_BOUND_MB, `JS heap ${(heap / 2 ** 20).toFixed(0)} MB over ${HEAP_BOUND_MB} MB`);
    console.log(`      hostile links: ${clean} of ${links.length} clean; JS heap ${(heap / 2 ** 20).toFixed(0)} MB (bound ${HEAP_BOUND_MB} MB)`);
    assert(failures.length === 0, `${failures.length} links not clean:\n${failures.join('\n')}`);
  } finally {
    await p.context.close();
  }
});

// ------------------------------------------------------------ bad images
/** A PNG from its IHDR fields and raw (filtered) scanlines; `tamper` edits the bytes. */
function png(width, height, raw = Buffer.alloc(height * (width + 1)), colour = 0) {
  return pngFile(width, height, colour, raw);
}

const good = png(8, 8);
const bmpHeader = (w, h) => {
  const b = Buffer.alloc(54);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(54, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
};
/** [file name, mime type, bytes]: each unusable in its own way. */
const BAD_IMAGES = [
  ['notes.png', 'image/png', Buffer.from('these are notes, not pixels\n')],
  ['empty.png', 'image/png', Buffer.alloc(0)],
  ['signature-only.png', 'image/png', good.subarray(0, 8)],
  ['truncated.png', 'image/png', good.subarray(0, good.length - 20)],
  ['bad-crc.png', 'image/png', Buffer.from(good.map((b, i) => (i === 29 ? b ^ 0xff : b)))],
  ['garbage-idat.png', 'image/png', Buffer.concat([good.subarray(0, 33), Buffer.from([0, 0, 0, 4, 73, 68, 65, 84, 1, 2, 3, 4, 0, 0, 0, 0])])],
  ['zero-width.png', 'image/png', png(0, 8, Buffer.alloc(8))],
  ['declares-20000x20000.png', 'image/png', png(20000, 20000, Buffer.alloc(0))],
  ['9000x10.png', 'image/png', png(9000, 10)],
  ['page.jpg', 'image/jpeg', Buffer.from('<!doctype html><script>alert(1)</script>')],
  ['truncated.jpg', 'image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0])],
  ['garbage.webp', 'image/webp', Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(8, 0xee)])],
  ['garbage.gif', 'image/gif', Buffer.from('GIF89a\x01\x00\x01\x00garbage', 'latin1')],
  ['huge-header.bmp', 'image/bmp', bmpHeader(100000, 100000)],
  ['script.svg.png', 'image/png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>')],
  [`${XSS[1]}.png`, 'image/png', Buffer.from('not an image')],
  [`${XSS[0]}.jpg`, 'image/jpeg', Buffer.alloc(3)],
  ['a.exe', 'application/octet-stream', Buffer.from('MZ\x90\x00', 'latin1')],
];

console.log('bad images');
await check(`${BAD_IMAGES.length} bad image files: each a message naming the file; no error, dialog, injected element or off-origin request`, async () => {
  assert(BAD_IMAGES.length >= 15, `only ${BAD_IMAGES.length} files`);
  const p = await openPage();
  const failures = [];
  let clean = 0;
  try {
    await p.page.goto(`${origin}/`);
    await waitForCircuit(p.page);
    const input = '[data-testid="image-upload"] input[type="file"]';
    for (const [name, mimeType, buffer] of BAD_IMAGES) {
      const errorsBefore = p.errors.length;
      try {
        await p.page.setInputFiles(input, { name, mimeType, buffer });
        const handle = await p.page.waitForFunction(
          (n) => [...document.querySelectorAll('[role="alert"]')].map((el) => el.textContent ?? '').find((t) => t.includes(n)) ?? false,
          name,
          { timeout: 30_000, polling: 100 },
        );
        const message = await handle.jsonValue();
        assert(message.length < 300 + name.length, `a message of ${message.length} characters`);
        const injected = await injectedElements(p.page);
        assert(injected.length === 0, `injected: ${injected.join(' | ')}`);
        assert(p.dialogs.length === 0, `dialogs: ${p.dialogs.join(', ')}`);
        assert(p.errors.length === errorsBefore, `errors: ${p.errors.slice(errorsBefore).join(' | ')}`);
        assert(await p.page.$('[data-testid="graph"] canvas'), 'the graph went away');
        clean++;
      } catch (err) {
        failures.push(`${name.slice(0, 40)}: ${String(err?.message ?? err).split('\n')[0].slice(0, 200)}`);
      }
    }
    // the page still classifies a good image after all that
    await p.page.setInputFiles(input, { name: 'good.png', mimeType: 'image/png', buffer: good });
    await p.page.waitForFunction(() => /good\.png/.test(document.body.textContent ?? ''), null, { timeout: GPU_TIMEOUT });
    assert(p.offOrigin().length === 0 && offOriginHits.length === 0, `requests off the origin: ${[...p.offOrigin(), ...offOriginHits].join(', ')}`);
    const heap = await p.page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    assert(heap / 2 ** 20 < HEAP_BOUND_MB, `JS heap ${(heap / 2 ** 20).toFixed(0)} MB over ${HEAP_BOUND_MB} MB`);
    console.log(`      bad images: ${clean} of ${BAD_IMAGES.length} clean; JS heap ${(heap / 2 ** 20).toFixed(0)} MB (bound ${HEAP_BOUND_MB} MB)`);
    assert(failures.length === 0, `${failures.length} files not clean:\n${failures.join('\n')}`);
  } finally {
    await p.context.close();
  }
});

console.log('a lost GPU device');
await check('a GPU reset mid-query fails that query in plain words; the next run recovers with the same circuit', async () => {
  const p = await openPage();
  try {
    await p.page.goto(`${origin}/`);
    const kept = await waitForCircuit(p.page);
    // another query (new scores over every image), with the device lost while it runs
    await p.page.fill('[data-testid="target-input"]', 'logit:Bag');
    await p.page.keyboard.press('Enter');
    await p.page.waitForSelector('[data-testid="query-progress"]', { timeout: GPU_TIMEOUT });
    assert(await p.page.evaluate(() => window.microscope.loseDevice()), 'the worker had no device to lose');
    const shown = await p.page.waitForSelector('[data-testid="query-error"]', { timeout: GPU_TIMEOUT });
    const message = (await shown.textContent()).trim();
    assert(/^The GPU was reset \(.+\): the microscope reconnects on your next action\.$/.test(message), `the page says: ${message}`);
    // the next action: the first query again, on a new device with the model loaded again
    await p.page.fill('[data-testid="target-input"]', 'loss');
    await p.page.keyboard.press('Enter');
    const again = await waitForCircuit(p.page);
    assert(!(await p.page.$('[data-testid="query-error"]')), 'the reset message stayed');
    assert(again.length === kept.length && again.every((e, i) => e === kept[i]), `after the reset ${again.length} kernels kept, before ${kept.length}; they differ`);
    console.log(`      "${message}"; ${again.length} kernels kept before and after${p.errors.length ? `; console: ${p.errors.join(' | ').slice(0, 200)}` : ''}`);
  } finally {
    await p.context.close();
  }
});

await browser.close();
server.close();
elsewhere.close();
finish();
