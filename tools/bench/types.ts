// Shared shapes of the benchmark runner: options, the context each section receives, and
// the rows a section returns (one row per measured kernel/pass, in GFLOP/s).

import type { Kernels } from '../../src/lib/engine/kernels';
import type { BufferPool } from '../../src/lib/engine/bufferPool';
import type { Timer } from './timing';

export interface BenchOptions {
  /** Smaller problems and fewer runs (CI speed). */
  quick: boolean;
  /** Timed runs per measurement (the median is reported); one untimed warm-up precedes them. */
  runs: number;
  /** Matmul sizes (square M = N = K) to try; variants are searched on the first. */
  matmulSizes: number[];
  /** Conv layer names to run (see sections/conv.ts), in order. */
  layers: string[];
  /** Fixed batch for every conv layer; 0 lets each layer grow its batch until a run takes minMs. */
  batch: number;
  /** A run shorter than this (ms) is too short to time well: the batch grows (auto batch only). */
  minMs: number;
  /** Sampled entries checked against the CPU per result. */
  samples: number;
  /** Sections to run (names), in order; matmul first, as ratios refer to it. */
  sections: string[];
  /** Where the JSON results go. */
  out: string;
  /** Force wall-clock timing even when timestamp queries are available. */
  wallClock: boolean;
  /** Images of the circuit query benchmark. */
  queryImages: number;
  /** Edge counts of the graph rendering benchmark (synthetic graphs in headless Chromium). */
  graphSizes: number[];
  /** Frames timed per size and drawing mode in the graph benchmark (fewer on slow adapters). */
  graphFrames: number;
}

export interface BenchContext {
  device: GPUDevice;
  kernels: Kernels;
  pool: BufferPool;
  timer: Timer;
  options: BenchOptions;
  adapterDescription: string;
  /** Best matmul rate measured so far in this run (GFLOP/s), 0 before the matmul section. */
  bestMatmulGflops: number;
  /** Rows of the sections already run in this run (the TF.js anchor reads the conv rows). */
  earlierRows: BenchRow[];
  log: (line: string) => void;
}

export interface BenchRow {
  section: string;
  /** What was measured (a layer, a matmul shape and variant). */
  name: string;
  /** forward, backward-input, backward-weight, matmul, ... */
  pass: string;
  /** Shape summary, human-readable. */
  shape: string;
  batch?: number;
  /** Floating-point operations of one run (2 per multiply-add). */
  flops: number;
  /** Median time of one run, ms. */
  ms: number;
  gflops: number;
  /** gflops / best matmul GFLOP/s of the same run (filled in by the runner). */
  ratioToMatmul?: number;
  /** 'timestamp' (GPU timestamp queries) or 'wall' (submit to onSubmittedWorkDone). */
  timing: string;
  /** Largest checked error relative to the sum of |terms| of that entry. */
  maxRelError: number;
  /** Entries compared with the CPU. */
  checked: number;
  /** Anything else worth keeping (variant parameters, ...). */
  extra?: Record<string, unknown>;
}

export interface BenchSection {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
