// What adding an op takes: leakyrelu was added as a descriptor (src/lib/ops/leakyrelu.ts), a
// CPU reference, one WGSL file (its activation and gradient, which the shared elementwise
// kernels include), one registry entry and one line in tests/ops/cases. Here a
// model using it gets its graph, node targets after its activation, receptive fields and a
// circuit through the page's session, with no other file knowing the op; and an op that does
// not declare its channel flow is refused at load time with a message naming it.

import { describe, it, expect, afterEach } from 'vitest';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';
import { receptiveField } from '../../src/lib/graph/receptiveField';
import { parseTarget } from '../../src/lib/circuits/querySpec';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { OPS } from '../../src/lib/ops/registry';
import { relu } from '../../src/lib/ops/relu';
import { ModelFormatError } from '../../src/lib/model/types';
import { testDevice } from '../helpers/gpu';
import { randomImageSet } from '../worker/helpers';

const conv = (name: string, cin: number, cout: number) => ({ name, op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [cout, cin, 3, 3], bias: [cout] } });

/** conv -> act -> pool -> conv -> act -> flatten -> linear, with `act` the activation op. */
function net(act: string) {
  return buildModel(`net-${act}`, { channels: 1, height: 8, width: 8 }, [
    conv('conv1', 1, 4), { name: 'act1', op: act, attrs: act === 'leakyrelu' ? { alpha: 0.1 } : {} },
    { name: 'pool1', op: 'maxpool', attrs: { kernel: [2, 2] } },
    conv('conv2', 4, 6), { name: 'act2', op: act, attrs: act === 'leakyrelu' ? { alpha: 0.1 } : {} },
    { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [3, 96], bias: [3] } },
  ], 3, 7);
}

describe('a new elementwise op needs nothing outside its own files', () => {
  const leaky = net('leakyrelu');
  const plain = net('relu');

  it('the graph, node targets and receptive fields treat it as the filter nonlinearity it declares', () => {
    const g = buildGraph(leaky), r = buildGraph(plain);
    expect(g.layers.map((l) => `${l.name}:${l.kind}:${l.nodeCount}:${l.edgeCount}`)).toEqual(r.layers.map((l) => `${l.name}:${l.kind}:${l.nodeCount}:${l.edgeCount}`));
    expect(Array.from(g.edgeSource)).toEqual(Array.from(r.edgeSource));
    expect(g.kernelLayers.map((k) => k.mapNode)).toEqual(['act1', 'act2', 'fc']);
    expect(parseTarget('node:conv2:3', leaky)).toEqual({ kind: 'featureMean', layer: 'act2', channel: 3 });
    expect(receptiveField(leaky, 'act2', 1, 2)).toEqual(receptiveField(plain, 'act2', 1, 2));
  });

  it('a circuit through the session the page uses', async () => {
    const engine = Engine.create(await testDevice(), leaky);
    try {
      const session = new MicroscopeSession(engine, randomImageSet(leaky, 8, 3));
      const r = await session.circuit({ target: 'node:conv2:1', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.5 }, perLayer: true });
      expect(r.emptyReason).toBeNull();
      expect(r.targetLabel).toBe('mean of conv2:1 after its activation (act2)');
      expect(r.kernelsKept).toBeGreaterThan(0);
      expect(r.layers.map((l) => l.layer)).toEqual(['conv1', 'conv2', 'fc']);
    } finally {
      engine.destroy();
    }
  });
});

describe('an op without a declared channel flow', () => {
  afterEach(() => {
    delete OPS.undeclared;
  });
  it('is refused at load time with a message naming the op', () => {
    OPS.undeclared = { ...relu, op: 'undeclared', channelFlow: undefined };
    const load = () => buildModel('bad', { channels: 1, height: 4, width: 4 }, [
      conv('conv1', 1, 2), { name: 'odd', op: 'undeclared' }, { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, 32] } },
    ], 2);
    expect(load).toThrow(ModelFormatError);
    expect(load).toThrow(/layer "odd" \(undeclared\): op "undeclared" does not declare how its output channels depend on its inputs/);
  });
});
