import { Engine } from '../../src/lib/engine/engine';
import { visualizeBatch } from '../../src/lib/featureviz/visualize';
import { loadBuiltinModel } from '../node/builtin';
import { nodeDevice } from './args';
const model = loadBuiltinModel('fashion-vgg');
const { device } = await nodeDevice();
const engine = Engine.create(device, model);
const [steps, warm, ...objs] = process.argv.slice(2);
for (const o of objs) {
  const r = await visualizeBatch(engine, [o], { settings: { steps: Number(steps), lr: 0.2, redirectSteps: 0, warmupSteps: Number(warm) } });
  console.log(o, 'final', r.objective.toFixed(4), 'hist', r.history.filter((_, i) => i % 4 === 3).map((h) => h.toFixed(3)).join(' '));
}
process.exit(0);
