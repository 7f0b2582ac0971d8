// End-to-end check of the progressive first answer, in headless Chromium (SwiftShader WebGPU):
// while fashion-small's default query streams its scoring images, a provisional circuit is drawn
// and the progress panel says it is a first answer being refined, with time left; the final kept
// set equals that of the same query asked without partial reports (the command line's run of the
// worker's own core, `npm run circuit`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSite, root, GPU_TIMEOUT } from './site.mjs';
import { check, assert, finish } from './harness.mjs';

const { server, origin, browser, shotsDir } = await startSite('e2e');
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
const page = await context.newPage();
const errors = [];
page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

console.log('progressive first answer');
let provisional = null;
await check('a provisional circuit is drawn before the final one, and the panel says so with time left', async () => {
  // Watch the page from its first moment: every time the note is up, what the graph shows.
  await page.addInitScript(() => {
    const seen = [];
    window.__progressive = seen;
    const look = () => {
      const note = document.querySelector('[data-testid="query-note"]')?.textContent?.trim();
      const h = window.microscope;
      if (!note) return;
      const left = document.querySelector('[data-testid="time-left"]')?.textContent?.trim() ?? '';
      // The graph's test hook comes once the graph is drawn, which may be after the first answer.
      const kept = h ? h.kept() : null;
      const last = seen[seen.length - 1];
      if (!last || last.note !== note) seen.push({ note, left, kept, t: performance.now() });
      else {
        if (!last.left) last.left = left;
        if (!last.kept) last.kept = kept;
      }
    };
    new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`${origin}/microscope/?model=fashion-small`);
  await page.waitForSelector('[data-testid="query-note"]', { timeout: GPU_TIMEOUT });
  await page.screenshot({ path: join(shotsDir, 'progressive-first-answer.png') });
  await page.waitForFunction(() => window.microscope && document.querySelector('[data-testid="kernels-kept"]') && !document.querySelector('[data-testid="query-progress"]'), null, { timeout: GPU_TIMEOUT, polling: 250 });
  const seen = await page.evaluate(() => window.__progressive);
  assert(seen.length >= 1, 'no provisional circuit was seen');
  const first = seen[0];
  assert(/^First answer from \d+ of \d+ images; refining…$/.test(first.note), `the note reads "${first.note}"`);
  const drawn = seen.find((s) => s.kept);
  assert(drawn && drawn.kept.length > 0, 'no provisional circuit with kept kernels was seen in the graph');
  assert(seen.some((s) => /left/.test(s.left)), `no time left was shown with a provisional circuit: ${JSON.stringify(seen.map((s) => s.left))}`);
  provisional = drawn;
  console.log(`      ${seen.length} provisional circuits, first: "${first.note}" ${first.left}; in the graph: "${drawn.note}" (${drawn.kept.length} kernels)`);
});

await check('the final kept set equals the same query run without partial reports', async () => {
  // Kept kernels as (source node, target node) pairs, as the page's graph and the report name them.
  const final = await page.evaluate(() => window.microscope.kept().map((e) => {
    const ends = window.microscope.edgeEnds(e);
    return `${ends.source}>${ends.target}`;
  }).sort());
  const query = await page.evaluate(() => window.microscope.query());
  const out = join(shotsDir, 'progressive-reference.json');
  const r = spawnSync('npx', ['vite-node', 'tools/cli/circuit.ts', '--', '--model', 'fashion-small', '--target', query.target, '--images', query.images,
    '--criterion', query.criterion, query.cut.kind === 'keep' ? '--keep' : '--threshold', String(query.cut.value), '--json', out],
  { cwd: root, encoding: 'utf8', timeout: GPU_TIMEOUT * 2 });
  assert(r.status === 0, `the command line failed: ${(r.stderr || r.stdout).slice(-400)}`);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const reference = [...report.kernels.map((k) => `${k.sourceNode}>${k.targetNode}`), ...(report.junctions ?? []).map((k) => `${k.sourceNode}>${k.targetNode}`)].sort();
  assert(reference.length > 0, 'the reference circuit is empty');
  assert(JSON.stringify(final) === JSON.stringify(reference), `final kept set (${final.length}) differs from the plain query's (${reference.length})`);
  const firstKept = new Set(await page.evaluate((kept) => kept.map((e) => { const ends = window.microscope.edgeEnds(e); return `${ends.source}>${ends.target}`; }), provisional.kept));
  const notes = await page.$$('[data-testid="query-note"]');
  assert(notes.length === 0, 'the provisional note stays after the final circuit');
  console.log(`      final ${final.length} kernels = plain query's; the first answer shared ${final.filter((k) => firstKept.has(k)).length} of them`);
  await page.screenshot({ path: join(shotsDir, 'progressive-final.png') });
});

await check('no errors in the console', async () => {
  assert(errors.length === 0, errors.join('\n'));
});

await browser.close();
server.close();
finish();
