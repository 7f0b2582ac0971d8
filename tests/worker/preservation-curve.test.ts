// The preservation curve on the digits model (real GPU device): each point equals the
// single-keep preservation a separate session computes at that keep (same numbers), the keep axis
// increases, r at keep 1 (every relevant kernel kept) is 1, the scores are computed once for the
// whole curve, bad keep axes are refused, and a cancelled curve stops.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { QueryCancelled } from '../../src/lib/circuits/saliency';
import { badCurveKeeps, CURVE_KEEPS } from '../../src/lib/circuits/preservation';
import type { CircuitQuery } from '../../src/lib/worker/protocol';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { builtinImageSet } from './helpers';

const model = loadBuiltinModel('digits');
const images = builtinImageSet('digits');
let engine: Engine;

beforeAll(async () => {
  engine = Engine.create(await testDevice(), model);
});
afterAll(() => engine?.destroy());

// 64 held-out images keep the test short; the cut is replaced at each keep
const query: CircuitQuery = { target: 'logit:3', images: 'class:3', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 }, perLayer: true, evaluationImages: 64 };

describe('preservation curve', () => {
  it('equals the single-keep preservation at each keep, with the scores computed once', async () => {
    const session = new MicroscopeSession(engine, images);
    const phases: string[] = [];
    const curve = await session.preservationCurve(query, CURVE_KEEPS, { progress: (phase, done) => done === 0 && phases.push(phase) });
    expect(curve.criterion).toBe('actgrad');
    expect(curve.images).toBe(64);
    expect(curve.points.map((p) => p.keep)).toEqual([...CURVE_KEEPS]);
    for (let i = 1; i < curve.points.length; i++) expect(curve.points[i].keep).toBeGreaterThan(curve.points[i - 1].keep);
    // one scoring pass for all seven keeps
    expect(phases.filter((p) => p.startsWith('Scoring')).length).toBe(1);

    // a separate session (nothing cached from the curve) at each keep
    const single = new MicroscopeSession(engine, images);
    for (const point of curve.points) {
      const p = await single.preservation({ ...query, cut: { kind: 'keep', value: point.keep } });
      expect(p.images).toBe(64);
      expect(point.r, `keep ${point.keep}`).toBe(p.r);
      expect(point.meanAbsDiffOverStd).toBe(p.meanAbsDiffOverStd);
      expect(point.collapsed).toBe(p.collapsed);
    }
    // everything kept: the circuit is the network
    const all = curve.points[curve.points.length - 1];
    expect(all.keep).toBe(1);
    expect(all.collapsed).toBe(false);
    expect(all.r).toBeGreaterThan(0.99999);
    expect(all.meanAbsDiffOverStd).toBeLessThan(1e-4);
    // 1% kept preserves less than everything
    expect(curve.points[0].r).toBeLessThan(all.r);
  });

  it('another criterion gives its own curve (magnitude needs no images)', async () => {
    const session = new MicroscopeSession(engine, images);
    const keeps = [0.05, 1];
    const curve = await session.preservationCurve({ ...query, criterion: 'magnitude' }, keeps);
    expect(curve.criterion).toBe('magnitude');
    expect(curve.points.map((p) => p.keep)).toEqual(keeps);
    const p = await new MicroscopeSession(engine, images).preservation({ ...query, criterion: 'magnitude', cut: { kind: 'keep', value: 0.05 } });
    expect(curve.points[0].r).toBe(p.r);
  });

  it('refuses a keep axis that is not increasing fractions in (0, 1]', async () => {
    expect(badCurveKeeps([0.1, 0.5, 1])).toBeNull();
    for (const bad of [[], [0.5, 0.1], [0.1, 0.1], [0, 0.5], [0.5, 1.5], [Number.NaN]]) {
      expect(badCurveKeeps(bad), JSON.stringify(bad)).not.toBeNull();
    }
    const session = new MicroscopeSession(engine, images);
    await expect(session.preservationCurve(query, [0.5, 0.2])).rejects.toThrow(/must increase/);
  });

  it('stops when cancelled', async () => {
    const session = new MicroscopeSession(engine, images);
    const controller = new AbortController();
    let reports = 0;
    const run = session.preservationCurve(query, CURVE_KEEPS, {
      signal: controller.signal,
      progress: (phase, done) => {
        reports++;
        if (phase.startsWith('Preservation') && done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(QueryCancelled);
    expect(reports).toBeGreaterThan(0);
  });
});
