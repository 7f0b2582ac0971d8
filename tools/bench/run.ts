// Benchmark runner (`npm run bench`, under vite-node so shaders load): measures the best
// matmul rate of the adapter, then each section's kernels as ratios to it; prints a table
// and writes bench-results/bench.json. `npm run bench -- --help` lists the options.

import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Kernels } from '../../src/lib/engine/kernels';
import { benchDevice, releaseInstance } from './gpu';
import { parseOptions } from './options';
import { Timer } from './timing';
import { SECTIONS } from './sections/index';
import { CONV_LAYERS } from './sections/conv';
import { newReport, addSection, fillRatios, formatTable, writeReport } from './report';
import type { BenchContext } from './types';

async function main(): Promise<void> {
  const options = parseOptions(
    process.argv.slice(2),
    process.env,
    SECTIONS.map((s) => s.name),
    CONV_LAYERS.map((l) => l.name),
  );
  const started = performance.now();
  const gpu = await benchDevice();
  const { device } = gpu;
  const timer = new Timer(device, !options.wallClock);
  console.log(`adapter: ${gpu.adapterDescription}${gpu.isFallbackAdapter ? ' (fallback adapter: software, not a GPU)' : ''}`);
  console.log(`timing: ${timer.timestamps ? 'timestamp queries (wall clock where they look wrong)' : 'wall clock'}; median of ${options.runs} runs after a warm-up`);

  const pool = new BufferPool(device);
  const ctx: BenchContext = {
    device,
    kernels: new Kernels(device, pool),
    pool,
    timer,
    options,
    adapterDescription: gpu.adapterDescription,
    bestMatmulGflops: 0,
    earlierRows: [],
    log: (line) => console.log(line),
  };
  const report = newReport(gpu.adapterDescription, gpu.isFallbackAdapter, timer.timestamps, options);
  if (!options.sections.includes('matmul')) console.log('note: the matmul section is off, so no ratios to matmul');

  for (const section of SECTIONS.filter((s) => options.sections.includes(s.name))) {
    console.log(`\n[${section.name}] ${section.description}`);
    const t0 = performance.now();
    const rows = await section.run(ctx);
    if (gpu.uncaptured.length) throw new Error(`WebGPU errors during ${section.name}: ${gpu.uncaptured.join('; ')}`);
    ctx.earlierRows.push(...rows);
    addSection(report, section, rows, (performance.now() - t0) / 1000);
  }
  fillRatios(report, ctx.bestMatmulGflops);

  console.log(`\nbest matmul: ${ctx.bestMatmulGflops.toFixed(2)} GFLOP/s; "vs matmul" = GFLOP/s / best matmul of this run\n`);
  console.log(formatTable(report));
  writeReport(report, options.out);
  console.log(`\nwrote ${options.out} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  device.destroy();
  releaseInstance();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`benchmark failed: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
