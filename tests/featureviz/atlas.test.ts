// The atlas file format: a good atlas parses (tiles by graph node, absent nodes null), every
// kind of broken file is rejected with a message naming the field, fetchAtlas reads a folder
// (no atlas -> null) through a stub fetch; the shipped atlases match their models' graphs, and
// the default model's was made by the optimizer and settings the page runs live (its first tile
// is what visualize gives alone).

import { describe, it, expect } from 'vitest';
import { parseAtlas, atlasTile, atlasMatchesLive, fetchAtlas, AtlasFormatError, ATLAS_FORMAT } from '../../src/lib/featureviz/atlas';
import { DEFAULT_VIZ_SETTINGS, VIZ_ALGORITHM } from '../../src/lib/featureviz/settings';
import { nodeObjectiveOf } from '../../src/lib/featureviz/units';
import { buildGraph } from '../../src/lib/graph/build';
import { BUILT_IN_MODELS, DEFAULT_MODEL } from '../../src/lib/ui/models';
import { builtinModelNames, loadBuiltinModel, WEIGHTS_DIR } from '../../tools/node/builtin';
import { existsSync, readFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { visualize } from '../../src/lib/featureviz/visualize';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';

const tile = { channels: 1, height: 2, width: 3 };
function good() {
  return {
    format: ATLAS_FORMAT, model: 'm', settings: DEFAULT_VIZ_SETTINGS, tile, nodeCount: 5,
    units: [
      { node: 1, layer: 'conv1', channel: 0, objective: 'channel:conv1:0', value: 3, datasetMean: 0.5, datasetMax: 2 },
      { node: 3, layer: 'conv1', channel: 2, objective: 'channel:conv1:2', value: 4, datasetMean: -0.5, datasetMax: 1 },
    ],
  };
}
const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);

describe('parseAtlas', () => {
  it('reads a good atlas: tiles by graph node, absent nodes have none', () => {
    const a = parseAtlas(good(), pixels.buffer);
    expect(a.units.length).toBe(2);
    expect(Array.from(a.unitOfNode)).toEqual([-1, 0, -1, 1, -1]);
    expect(Array.from(atlasTile(a, 3)!)).toEqual([120, 140, 160, 180, 200, 220]);
    expect(atlasTile(a, 0)).toBeNull();
    expect(atlasTile(a, 99)).toBeNull();
    // the optimizer's version: 1 for a file that predates the field
    expect(a.algorithm).toBe(1);
    expect(parseAtlas({ ...good(), algorithm: 3 }, pixels).algorithm).toBe(3);
  });

  it('matches the live visualization only with the current optimizer and every default setting', () => {
    expect(atlasMatchesLive(parseAtlas({ ...good(), algorithm: VIZ_ALGORITHM }, pixels))).toBe(true);
    expect(atlasMatchesLive(parseAtlas(good(), pixels))).toBe(false); // no algorithm: the first one
    expect(atlasMatchesLive(parseAtlas({ ...good(), algorithm: VIZ_ALGORITHM + 1 }, pixels))).toBe(false);
    for (const [k, v] of [['steps', 160], ['warmupSteps', 32], ['polish', 0.4], ['seed', 1], ['param', 'pixel']] as const)
      expect(atlasMatchesLive(parseAtlas({ ...good(), algorithm: VIZ_ALGORITHM, settings: { ...DEFAULT_VIZ_SETTINGS, [k]: v } }, pixels)), k).toBe(false);
  });

  it('rejects broken files with a message naming the problem', () => {
    const cases: [(j: ReturnType<typeof good>) => unknown, RegExp, Uint8Array?][] = [
      [() => null, /not an object/],
      [(j) => ({ ...j, format: 'x' }), /format "x": expected cnn-microscope-atlas\/1/],
      [(j) => ({ ...j, model: '' }), /no model name/],
      [(j) => ({ ...j, tile: { channels: 1, height: 0, width: 3 } }), /tile: expected positive integers/],
      [(j) => ({ ...j, nodeCount: 1.5 }), /nodeCount/],
      [(j) => ({ ...j, settings: undefined }), /no settings/],
      [(j) => ({ ...j, algorithm: 0 }), /algorithm 0: expected a positive integer/],
      [(j) => ({ ...j, units: {} }), /units: expected an array/],
      [(j) => ({ ...j, units: [j.units[0], { ...j.units[1], node: 7 }] }), /units\[1\]\.node 7: expected a node index 0\.\.4/],
      [(j) => ({ ...j, units: [j.units[1], j.units[0]] }), /increasing node order/],
      [(j) => ({ ...j, units: [j.units[0], { ...j.units[1], value: 'big' }] }), /units\[1\]\.value: expected a finite number/],
      [(j) => ({ ...j, units: [{ ...j.units[0], layer: 3 }, j.units[1]] }), /units\[0\]: expected layer, channel and objective/],
      [(j) => j, /atlas\.bin has 11 bytes, atlas\.json describes 2 tiles of 1x2x3 \(12 bytes\)/, pixels.subarray(0, 11)],
    ];
    for (const [edit, msg, bin] of cases) {
      let err: unknown = null;
      try { parseAtlas(edit(good()), bin ?? pixels); } catch (e) { err = e; }
      expect(err, String(msg)).toBeInstanceOf(AtlasFormatError);
      expect((err as Error).message).toMatch(msg);
    }
  });
});

describe('fetchAtlas', () => {
  const stub = (files: Record<string, { status: number; body: string | Uint8Array }>) =>
    (async (url: string) => {
      const f = files[url] ?? { status: 404, body: '' };
      return new Response(f.status === 404 ? null : (f.body as BodyInit), { status: f.status });
    }) as unknown as typeof fetch;

  it('reads atlas.json + atlas.bin from a folder, with or without the trailing slash', async () => {
    const files = { 'w/m/atlas.json': { status: 200, body: JSON.stringify(good()) }, 'w/m/atlas.bin': { status: 200, body: pixels } };
    const a = await fetchAtlas('w/m', stub(files));
    expect(a!.units[1].objective).toBe('channel:conv1:2');
    expect(Array.from(atlasTile(a!, 1)!)).toEqual([0, 20, 40, 60, 80, 100]);
    expect((await fetchAtlas('w/m/', stub(files)))!.nodeCount).toBe(5);
  });

  it('returns null for a folder without an atlas; broken or missing parts are errors', async () => {
    expect(await fetchAtlas('w/none/', stub({}))).toBeNull();
    await expect(fetchAtlas('w/m/', stub({ 'w/m/atlas.json': { status: 200, body: '{oops' } }))).rejects.toThrow(/atlas\.json is not valid JSON/);
    await expect(fetchAtlas('w/m/', stub({ 'w/m/atlas.json': { status: 500, body: 'x' } }))).rejects.toThrow(/atlas\.json: HTTP 500/);
    await expect(fetchAtlas('w/m/', stub({ 'w/m/atlas.json': { status: 200, body: JSON.stringify(good()) } }))).rejects.toThrow(/atlas\.bin: HTTP 404/);
  });
});

/** A model's shipped atlas, read and validated as the page does. */
function shippedAtlas(name: string) {
  return parseAtlas(JSON.parse(readFileSync(`${WEIGHTS_DIR}${name}/atlas.json`, 'utf8')), readFileSync(`${WEIGHTS_DIR}${name}/atlas.bin`));
}

describe('the shipped atlases', () => {
  // every model flagged in models.ts ships a valid atlas of its own graph, and every shipped atlas is flagged
  const shipped = builtinModelNames().filter((n) => existsSync(`${WEIGHTS_DIR}${n}/atlas.json`));
  const flagged = BUILT_IN_MODELS.filter((m) => m.atlas).map((m) => m.name).sort();

  it("the default model's atlas was made by the optimizer and defaults the page runs live", () => {
    const a = shippedAtlas(DEFAULT_MODEL);
    expect(a.algorithm).toBe(VIZ_ALGORITHM);
    expect(a.settings).toEqual(DEFAULT_VIZ_SETTINGS);
    expect(atlasMatchesLive(a)).toBe(true);
  });

  it("the default model's tile is the image Visualize gives for its node (to uint8 rounding)", async () => {
    const a = shippedAtlas(DEFAULT_MODEL);
    const [unit, other] = a.units; // the first two filters of the first layer: cheap to optimize
    const device = await testDevice();
    const engine = Engine.create(device, loadBuiltinModel(DEFAULT_MODEL));
    try {
      await expectNoGpuErrors(device, async () => {
        const live = await visualize(engine, unit.objective); // alone, default settings, as the page runs it
        const pixels = Uint8Array.from(live.image, (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
        const gap = (tile: Uint8Array) => pixels.reduce((m, v, i) => Math.max(m, Math.abs(v - tile[i])), 0);
        expect(gap(atlasTile(a, unit.node)!), `${unit.objective}: live image against its tile`).toBeLessThanOrEqual(1);
        expect(gap(atlasTile(a, other.node)!), `${unit.objective}: live image against ${other.objective}'s tile`).toBeGreaterThan(16);
        expect(Math.abs(live.objective - unit.value)).toBeLessThan(1e-3 * Math.max(1, Math.abs(unit.value)));
      });
    } finally {
      engine.destroy();
    }
  }, 300_000);

  it('are exactly the models flagged as having one', () => {
    expect(shipped).toEqual(flagged);
    expect(flagged.length).toBeGreaterThanOrEqual(2);
  });

  it.each(flagged)('%s: one tile per unit node, with its objective; 95% of units above their dataset max', (name) => {
    const model = loadBuiltinModel(name);
    const g = buildGraph(model);
    const a = shippedAtlas(name);
    expect(a.model).toBe(name);
    expect(a.nodeCount).toBe(g.nodeCount);
    expect([a.tile.channels, a.tile.height, a.tile.width]).toEqual([model.input.channels, model.input.height, model.input.width]);
    for (let n = 0; n < g.nodeCount; n++) {
      const objective = nodeObjectiveOf(model, g, n);
      const tile = atlasTile(a, n);
      expect(tile !== null, `node ${n}`).toBe(objective !== null);
      if (objective) expect(a.units[a.unitOfNode[n]].objective).toBe(objective);
    }
    // what docs/featureviz.md reports: nearly every visualization beats every evaluation image
    const above = a.units.filter((u) => u.value > u.datasetMax).map((u) => u.objective);
    expect(above.length / a.units.length, `${a.units.length - above.length} units at or below their dataset max`).toBeGreaterThanOrEqual(0.95);
  });
});
