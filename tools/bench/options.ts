// Benchmark options from the command line (--name=value, --quick) and BENCH_* environment
// variables (BENCH_RUNS=3, ...); flags win over the environment, which wins over defaults.

import type { BenchOptions } from './types';
import type { ConvSectionOptions } from './sections/conv';
import { CONV_VARIANTS } from '../../src/lib/ops/conv2d';
import { checkPrecision } from '../../src/lib/engine/halfWeights';

const HELP = `npm run bench -- [options]    (or BENCH_<NAME>=value in the environment)
  --quick              CI speed: matmul 256 (2 variants), conv vgg and conv3, one timed run each,
                       two actgrad-reduction shapes, first circuit on fashion-small only
  --runs=N             timed runs per measurement, median reported (default 5, at most 3 when a
                       run takes over 1.5 s; quick 1)
  --matmul=512,1024    square matmul sizes; variants are searched on the first
  --layers=a,b         conv layers: conv2, conv3, conv4, vgg (default all; quick: vgg,conv3)
  --conv-variants=a,b  conv kernel families to measure and tune: blocked, tiled, tiled64, gemm
                       (default all; quick: blocked,gemm)
  --kernel-choices=PATH  the tuner's stored choices per adapter, conv and actgrad reduction
                       (default bench-results/kernel-choices.json)
  --precision=fast     also time conv forward and backward to input with f16-packed weights (the
                       engine's 'fast' precision) next to f32, checked against an f16-rounded CPU
                       reference (default exact: f32 only)
  --batch=N            fixed conv batch (default: grow each layer's batch until a run takes min-ms)
  --min-ms=N           shortest run worth timing when the batch is automatic (default 200; quick 60)
  --samples=N          entries checked against the CPU per result (default 256)
  --sections=a,b       sections to run (default: all, matmul first)
  --out=PATH           JSON output (default bench-results/bench.json)
  --wall-clock         time with the wall clock even if timestamp queries exist
  --query-images=N     images of the circuit query section (default 1000; quick 40); the actgrad
                       reduction's rows per kernel family use the query's batch (a tenth of N)
  --graph-sizes=a,b    edge counts of the graph section (default 10000,50000,250000; quick 10000)
  --graph-frames=N     frames timed per size and drawing mode (default 30; quick 10)
  --no-graph           leave out the graph section (headless Chromium; builds the site if needed)
`;

function list(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x);
}

function positiveInt(name: string, s: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer, got "${s}"`);
  return v;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, sectionNames: string[], layerNames: string[]): BenchOptions & ConvSectionOptions {
  const raw = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('BENCH_') && v !== undefined) raw.set(k.slice(6).toLowerCase().replace(/_/g, '-'), v);
  }
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument "${arg}"\n${HELP}`);
    raw.set(m[1], m[2] ?? 'true');
  }
  const known = ['quick', 'runs', 'matmul', 'layers', 'batch', 'min-ms', 'samples', 'sections', 'out', 'wall-clock', 'query-images', 'graph-sizes', 'graph-frames', 'no-graph', 'conv-variants', 'kernel-choices', 'precision'];
  for (const k of raw.keys()) if (!known.includes(k)) throw new Error(`unknown option "${k}"\n${HELP}`);

  const flag = (k: string) => raw.has(k) && !['0', 'false', 'no', ''].includes(raw.get(k)!.toLowerCase());
  const quick = flag('quick');
  const options: BenchOptions & ConvSectionOptions = {
    quick,
    runs: raw.has('runs') ? positiveInt('runs', raw.get('runs')!) : quick ? 1 : 5,
    matmulSizes: raw.has('matmul') ? list(raw.get('matmul')!).map((s) => positiveInt('matmul', s)) : quick ? [256] : [512, 1024],
    layers: raw.has('layers') ? list(raw.get('layers')!) : quick ? ['vgg', 'conv3'] : layerNames,
    batch: raw.has('batch') ? positiveInt('batch', raw.get('batch')!) : 0,
    minMs: raw.has('min-ms') ? positiveInt('min-ms', raw.get('min-ms')!) : quick ? 60 : 200,
    samples: raw.has('samples') ? positiveInt('samples', raw.get('samples')!) : 256,
    sections: raw.has('sections') ? list(raw.get('sections')!) : sectionNames,
    out: raw.get('out') ?? 'bench-results/bench.json',
    wallClock: flag('wall-clock'),
    queryImages: raw.has('query-images') ? positiveInt('query-images', raw.get('query-images')!) : quick ? 40 : 1000,
    graphSizes: raw.has('graph-sizes') ? list(raw.get('graph-sizes')!).map((s) => positiveInt('graph-sizes', s)) : quick ? [10000] : [10000, 50000, 250000],
    graphFrames: raw.has('graph-frames') ? positiveInt('graph-frames', raw.get('graph-frames')!) : quick ? 10 : 30,
    convVariants: raw.has('conv-variants') ? list(raw.get('conv-variants')!) : undefined,
    kernelChoices: raw.get('kernel-choices'),
    precision: raw.has('precision') ? checkPrecision(raw.get('precision')) : 'exact',
  };
  for (const v of options.convVariants ?? []) if (!(CONV_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown conv variant "${v}" (have: ${CONV_VARIANTS.join(', ')})`);
  if (flag('no-graph')) options.sections = options.sections.filter((s) => s !== 'graph');
  if (options.sections.includes('graph') && (options.graphSizes.length === 0 || options.graphSizes.some((n) => n < 1)))
    throw new Error('--graph-sizes needs positive edge counts, e.g. --graph-sizes=10000,50000');
  if (options.sections.includes('graph') && options.graphFrames < 5) throw new Error('--graph-frames must be at least 5');
  if (options.runs < 1) throw new Error('--runs must be at least 1');
  if (options.matmulSizes.length === 0) throw new Error('--matmul needs at least one size');
  for (const l of options.layers) if (!layerNames.includes(l)) throw new Error(`unknown layer "${l}" (have: ${layerNames.join(', ')})`);
  for (const s of options.sections) if (!sectionNames.includes(s)) throw new Error(`unknown section "${s}" (have: ${sectionNames.join(', ')})`);
  return options;
}
