// Command line: the circuit of a target in a built-in model, asked as a page link asks it (same
// options, same defaults: tools/cli/query.ts) and run by the page worker's own core
// (MicroscopeSession). Prints kernels and filters kept per layer; --json writes the full record.

import { writeFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { CRITERIA } from '../../src/lib/state/url';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import type { CircuitReport } from '../../src/lib/worker/view/report';
import { loadBuiltinModel, loadBuiltinImages } from '../node/builtin';
import { loadOnnxFile, demoPhotosFor } from '../node/onnx';
import { nodeDevice, progressPrinter } from './args';
import { circuitCommand } from './query';

const HELP = `usage: npm run circuit -- [--model NAME] [--target TARGET] [--images SET] [--criterion C]
  [--keep F | --threshold T] [--perlayer 1|0] [--linear 0|1] [--link URL]
  [--scoring-images N] [--preservation] [--eval-images N] [--json FILE]
  [--onnx FILE [--classes imagenet|numbered|FILE] [--size HxW] [--bgr]]
Options are the page link's parameters, with the page's defaults (fashion-small, loss, all,
actgrad, keep 0.1, perlayer 1, linear 0); --link takes a whole page link (or its ?query), and
options given with it override its parameters.
  TARGET: loss, logit:C, prob:C, node:L:c[:pre][:mean|:max|@y,x], direction:L:w0,w1,...,
          direction:L:c=w,c=w (older spellings: class:C, L:c)
  SET: all, class:C (or a class name), image:N, or a contrast such as "Sandal - all"
  C: ${CRITERIA.join(', ')}
  --scoring-images N: at most N scoring images per image-set term (evenly spread)
  --eval-images N: preservation on at most N evaluation images (implies --preservation)
  --onnx FILE: open an ONNX model (ImageNet mean and std) on the demo photos instead of --model`;

/** Session progress (phase, done, total) as one progress line per phase. */
function phaseProgress() {
  const printers = new Map<string, (done: number, total: number) => void>();
  return (phase: string, done: number, total: number) => {
    if (!printers.has(phase)) printers.set(phase, progressPrinter(phase));
    if (total > 0) printers.get(phase)!(done, total);
  };
}

function printReport(r: CircuitReport, link: string) {
  const s = r.settings;
  const cut = s.cut.kind === 'keep' ? `keep ${s.cut.value}` : `threshold ${s.cut.value}`;
  console.log(`${s.model}: ${s.targetLabel} (${s.target}), ${s.imagesLabel}, ${s.criterion}, ${cut}, perlayer ${+s.perLayer}, linear ${+s.linear}`);
  console.log('layer'.padEnd(14) + 'kernels kept / relevant / total'.padEnd(34) + 'filters kept / total');
  for (const l of r.layers) {
    const kernels = `${l.kernelsKept} / ${l.kernelsRelevant} / ${l.kernelsTotal}${!l.pruned && l.kernelsRelevant > 0 ? ' (kept whole)' : ''}`;
    console.log(l.layer.padEnd(14) + kernels.padEnd(34) + `${l.filtersKept} / ${l.filtersTotal}`);
  }
  const c = r.summary;
  console.log(`kept ${c.kernelsKept} of ${c.kernelsRelevant} relevant prunable kernels (sparsity ${(c.sparsity * 100).toFixed(1)}%)`);
  if (c.emptyReason) console.log(`empty circuit: ${c.emptyReason}`);
  if (r.forceSchedule) console.log(`FORCE kept after each step: ${r.forceSchedule.join(', ')}`);
  const p = r.preservation;
  if (p) console.log(`preservation on ${p.images} evaluation images: r = ${p.r.toFixed(4)}, mean |diff|/std = ${p.meanAbsDiffOverStd.toFixed(4)}${p.collapsed ? ' (collapsed)' : ''}`);
  console.log(`the same circuit in the page: ?${link}`);
}

async function main() {
  const cmd = circuitCommand(process.argv.slice(2));
  if (cmd.help) {
    console.log(HELP);
    process.exit(0);
  }
  const model = cmd.onnx ? loadOnnxFile(cmd.onnx.file, cmd.onnx).model : loadBuiltinModel(cmd.state.model);
  const images = cmd.onnx ? demoPhotosFor(model.input.channels, model.input.height, model.input.width) : loadBuiltinImages(cmd.state.model);
  const { device, adapterDescription } = await nodeDevice();
  const engine = Engine.create(device, model);
  const session = new MicroscopeSession(engine, images);
  console.log(`${model.name} on ${adapterDescription}`);
  const report = await session.report(cmd.query, { preservation: cmd.preservation, url: `?${cmd.link}`, progress: phaseProgress() });
  printReport(report, cmd.link);
  if (cmd.json) {
    writeFileSync(cmd.json, JSON.stringify(report, null, 1) + '\n');
    console.log(`wrote ${cmd.json}`);
  }
  engine.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
