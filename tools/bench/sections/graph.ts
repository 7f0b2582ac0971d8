// Graph rendering section: frame time while panning and the time of a threshold change at
// 10k, 50k and 250k edges in headless Chromium against the built site (tests/e2e/graph.mjs),
// for the instanced and expanded edge drawings next to pixi's plain Graphics drawing the same edges.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchRow, BenchSection } from '../types';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** What the built site is made from: a newer file here means build/ is stale. */
const SOURCES = ['src', 'static', 'shaders', 'svelte.config.js', 'vite.config.ts', 'package.json'];

/** One measurement as tests/e2e/graph.mjs prints it (a JSON line per size and mode). */
export interface GraphMeasurement {
  edges: number;
  mode: string;
  renderer: string;
  loadMs: number;
  frames: number;
  frameMedian: number;
  frameP95: number;
  renderCpuMedian: number;
  thresholdMedian: number;
  thresholdCpu: number;
  /** The edge drawing that ran (instanced, expanded or graphics), whether faded edges were drawn, and why. */
  drawn?: string;
  fadedEdges?: string;
  why?: string;
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Why build/ needs rebuilding, or null when it is newer than every source file. */
export function buildStaleness(root: string): string | null {
  const page = join(root, 'build', 'graph.html');
  if (!existsSync(page)) return 'build/graph.html is missing';
  const built = statSync(page).mtimeMs;
  const newest = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  return newest > built ? 'sources changed since the last build' : null;
}

/** Runs a command in the repository root; resolves with its output, rejects naming the command. */
function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let pending = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => fail(new Error(`could not start ${command}: ${e.message}`)));
    child.on('close', (code) => {
      if (pending) onLine(pending);
      if (code === 0) ok(out);
      else {
        const failures = failedChecks(out).slice(0, 12).join('\n');
        fail(Object.assign(new Error(`${command} ${args.join(' ')} exited with ${code}${failures ? `:\n${failures}` : ''}`), { output: out }));
      }
    });
  });
}

/** The failed checks of an e2e script's output: each '✗' line with the indented message under it. */
export function failedChecks(output: string): string[] {
  const lines = output.split('\n');
  const picked: string[] = [];
  lines.forEach((l, i) => {
    if (!/^\s*✗/.test(l)) return;
    picked.push(l.trim());
    for (let k = i + 1; k < lines.length && /^ {6}/.test(lines[k]) && !lines[k].trim().startsWith('{'); k++) picked.push(`    ${lines[k].trim()}`);
  });
  return picked.length ? picked : lines.filter((l) => /error/i.test(l)).slice(-4);
}

/** The measurement lines of graph.mjs's output. */
export function parseMeasurements(output: string): GraphMeasurement[] {
  const rows: GraphMeasurement[] = [];
  for (const line of output.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{"edges"')) continue;
    const r = JSON.parse(t) as GraphMeasurement;
    if (typeof r.edges === 'number' && typeof r.mode === 'string' && typeof r.frameMedian === 'number') rows.push(r);
  }
  return rows;
}

/** Rows for the bench report: a frame row and a threshold-change row per size and mode. */
export function graphRows(measured: GraphMeasurement[]): BenchRow[] {
  const graphicsAt = new Map(measured.filter((m) => m.mode === 'graphics').map((m) => [m.edges, m]));
  return measured.flatMap((m) => {
    const g = graphicsAt.get(m.edges);
    const shape = `${m.edges} edges, ${m.renderer}, drew ${m.drawn ?? '?'}`;
    const common = { section: 'graph', name: m.mode, shape, flops: 0, gflops: 0, timing: 'wall', maxRelError: 0, checked: 0 };
    return [
      { ...common, pass: 'frame (pan)', ms: m.frameMedian, extra: { frames: m.frames, p95: m.frameP95, renderCpuMs: m.renderCpuMedian, loadMs: m.loadMs, graphicsOverThis: g ? g.frameMedian / m.frameMedian : null, drawn: m.drawn ?? null, fadedEdges: m.fadedEdges ?? null, why: m.why ?? null } },
      { ...common, pass: 'threshold change', ms: m.thresholdMedian, extra: { cpuMs: m.thresholdCpu, graphicsOverThis: g ? g.thresholdMedian / m.thresholdMedian : null } },
    ];
  });
}

/** The section's own table: frame and threshold times with the ratio to Graphics at the same size. */
export function formatGraphTable(measured: GraphMeasurement[]): string {
  const graphicsAt = new Map(measured.filter((m) => m.mode === 'graphics').map((m) => [m.edges, m]));
  const ratio = (g: number | undefined, v: number) => (g === undefined || !(v > 0) ? '-' : `${(g / v).toFixed(2)}x`);
  const header = ['edges', 'mode', 'renderer', 'drew', 'frames', 'frame ms', 'p95 ms', 'Graphics/this', 'threshold ms', 'Graphics/this', 'load ms'];
  const body = measured.map((m) => {
    const g = graphicsAt.get(m.edges);
    return [String(m.edges), m.mode, m.renderer, m.drawn ?? '?', String(m.frames), m.frameMedian.toFixed(1), m.frameP95.toFixed(1), ratio(g?.frameMedian, m.frameMedian), m.thresholdMedian.toFixed(1), ratio(g?.thresholdMedian, m.thresholdMedian), String(m.loadMs)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 1 && i <= 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  // each mode's reason once, under the table
  const reasons = [...new Map(measured.map((m) => [`${m.mode}: ${m.why ?? 'not reported'}`, 1])).keys()].map((r) => `why: ${r}`);
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...reasons].join('\n');
}

export const graphSection: BenchSection = {
  name: 'graph',
  description: 'graph view in headless Chromium: frame time and threshold change per edge count (--graph-sizes), instanced and expanded vs pixi Graphics',
  async run(ctx: BenchContext) {
    const { graphSizes, graphFrames } = ctx.options;
    const stale = buildStaleness(ROOT);
    if (stale) {
      ctx.log(`  building the site (${stale}) ...`);
      const t0 = performance.now();
      await runCommand('npx', ['vite', 'build'], process.env, () => {});
      ctx.log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(chromium)) throw new Error(`the graph section needs headless Chromium at ${chromium} (Debian's chromium package, or set CHROMIUM)`);
    const env = { ...process.env, GRAPH_BENCH_SIZES: graphSizes.join(','), GRAPH_BENCH_FRAMES: String(graphFrames) };
    let failure: Error | null = null;
    const output = await runCommand('node', ['tests/e2e/graph.mjs'], env, (l) => {
      // check lines and their details (failures' messages); the measurement JSON is tabled below
      if (l.trim() && !l.trim().startsWith('{"edges"') && !/^\s*(edges\s+mode|\d+\s+\w+\s+\w+\s+\d+)/.test(l)) ctx.log(`  ${l.trimEnd()}`);
    }).catch((e: Error & { output?: string }) => {
      failure = e;
      return e.output ?? '';
    });
    const measured = parseMeasurements(output);
    if (measured.length) {
      ctx.log('\n' + formatGraphTable(measured).split('\n').map((l) => `  ${l}`).join('\n'));
      ctx.log("  (Graphics/this: pixi Graphics time over this mode's time at the same size; > 1 is faster than Graphics)");
    }
    // a failed check (console errors, a page that never became ready) fails the run, after the table of what was measured
    if (failure) throw failure;
    const missing = graphSizes.filter((n) => !measured.some((m) => m.edges === n));
    if (missing.length) throw new Error(`graph benchmark measured nothing at ${missing.join(', ')} edges`);
    return graphRows(measured);
  },
};
