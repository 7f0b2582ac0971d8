import { Engine } from '../../src/lib/engine/engine';
import { parseObjective } from '../../src/lib/featureviz/objectives';
import { compileObjectives } from '../../src/lib/featureviz/terms';
import { ObjectiveEvaluator } from '../../src/lib/featureviz/runner';
import { loadBuiltinModel } from '../node/builtin';
import { nodeDevice } from './args';
const model = loadBuiltinModel('fashion-vgg');
const { device } = await nodeDevice();
const engine = Engine.create(device, model);
const { mean, std } = model.input;
const img = new Float32Array(784).fill((0.5 - mean[0]) / std[0]);
for (const o of process.argv.slice(2)) {
  const c = compileObjectives(model, [parseObjective(o, model)]);
  const ev = new ObjectiveEvaluator(engine, c, 1);
  engine.forward(img, 1);
  await ev.evaluate(true);
  const F = (await ev.readTotals())[0];
  const out: string[] = [];
  for (const redirect of [false, true]) {
    engine.backwardFrom(c.seedNodes[0], ev.seeds.get(c.seedNodes[0])!, { redirectRelu: redirect });
    const g = (await engine.readGrad(model.input.name))!;
    let s = 0, nz = 0; for (const v of g) { s += Math.abs(v); if (v) nz++; }
    // per layer: nonzero grads
    const lay: string[] = [];
    for (const n of ['pool3', 'relu3_2', 'conv3_2', 'relu3_1', 'conv3_1', 'pool2', 'relu2_2', 'conv2_2', 'conv2_1', 'conv1_2', 'conv1_1']) {
      const gg = await engine.readGrad(n).catch(() => null);
      if (gg) { let z = 0; for (const v of gg) if (v) z++; lay.push(`${n}:${z}`); }
    }
    out.push(`${redirect ? 'redirected' : 'ordinary'} |g|=${s.toExponential(2)} nz=${nz} [${lay.join(' ')}]`);
  }
  console.log(o, 'F', F, '\n  ' + out.join('\n  '));
  ev.release();
}
process.exit(0);
