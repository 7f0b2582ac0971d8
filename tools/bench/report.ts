// Turns benchmark rows into the printed table and the JSON file (bench-results/bench.json):
// one entry per section, so later sections (graph rendering, circuit queries) slot in.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import type { BenchOptions, BenchRow, BenchSection } from './types';

export interface BenchReport {
  generatedAt: string;
  adapter: string;
  isFallbackAdapter: boolean;
  timestampQuery: boolean;
  host: { platform: string; cpus: number; node: string };
  options: BenchOptions;
  /** Best matmul GFLOP/s of this run: the denominator of every ratioToMatmul. */
  bestMatmulGflops: number | null;
  sections: Record<string, { description: string; seconds: number; rows: BenchRow[] }>;
}

export function newReport(adapter: string, isFallbackAdapter: boolean, timestampQuery: boolean, options: BenchOptions): BenchReport {
  return {
    generatedAt: new Date().toISOString(),
    adapter,
    isFallbackAdapter,
    timestampQuery,
    host: { platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, node: process.version },
    options,
    bestMatmulGflops: null,
    sections: {},
  };
}

export function addSection(report: BenchReport, section: BenchSection, rows: BenchRow[], seconds: number): void {
  report.sections[section.name] = { description: section.description, seconds, rows };
}

/** Fills ratioToMatmul in every row from the best matmul rate of this run. */
export function fillRatios(report: BenchReport, bestMatmulGflops: number): void {
  report.bestMatmulGflops = bestMatmulGflops > 0 ? bestMatmulGflops : null;
  for (const s of Object.values(report.sections))
    for (const r of s.rows) r.ratioToMatmul = bestMatmulGflops > 0 ? r.gflops / bestMatmulGflops : undefined;
}

export function formatTable(report: BenchReport): string {
  const header = ['section', 'layer', 'pass', 'shape', 'batch', 'GFLOP/s', 'vs matmul', 'ours/TF.js', 'ms/run', 'timing'];
  const body = Object.values(report.sections).flatMap((s) =>
    s.rows.map((r) => [
      r.section,
      r.name,
      r.pass,
      r.shape,
      r.batch === undefined ? '' : String(r.batch),
      r.flops === 0 ? '-' : r.gflops.toFixed(2), // timing-only rows (query, graph) have no FLOP count
      r.flops === 0 || r.ratioToMatmul === undefined ? '-' : `${(r.ratioToMatmul * 100).toFixed(0)}%`,
      typeof r.extra?.oursOverTfjs === 'number' ? `${(r.extra.oursOverTfjs as number).toFixed(2)}x` : '-',
      r.ms.toFixed(1),
      r.timing,
    ]),
  );
  const right = new Set([4, 5, 6, 7, 8]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function writeReport(report: BenchReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
}
