// The atlas of a built-in model: every unit node's feature visualization, precomputed by
// `npm run atlas` into static/weights/<model>/atlas.json + atlas.bin (uint8 tiles [units, C,
// H, W], units in graph node order), so the graph can show thumbnails at once.

import { DEFAULT_VIZ_SETTINGS, VIZ_ALGORITHM, type VizSettings } from './settings';

export const ATLAS_FORMAT = 'cnn-microscope-atlas/1';

export interface AtlasUnit {
  /** Graph node index (buildGraph order). */
  node: number;
  layer: string;
  channel: number;
  objective: string;
  /** Objective on the visualization (untransformed). */
  value: number;
  datasetMean: number;
  datasetMax: number;
}

export interface Atlas {
  model: string;
  settings: VizSettings;
  /** The optimizer's version that made it (settings.ts VIZ_ALGORITHM); 1 where the file has none. */
  algorithm: number;
  tile: { channels: number; height: number; width: number };
  /** Nodes in the model's graph; nodes without a unit (input channels, junctions) are absent. */
  nodeCount: number;
  units: AtlasUnit[];
  /** uint8 pixels [units, C, H, W]. */
  pixels: Uint8Array;
  /** Unit index of each graph node, -1 where absent. */
  unitOfNode: Int32Array;
}

export class AtlasFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AtlasFormatError';
  }
}

const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates an atlas; every problem is an AtlasFormatError naming the field. */
export function parseAtlas(json: unknown, bin: ArrayBuffer | Uint8Array): Atlas {
  if (!json || typeof json !== 'object') throw new AtlasFormatError('atlas.json is not an object');
  const j = json as Record<string, unknown>;
  if (j.format !== ATLAS_FORMAT) throw new AtlasFormatError(`atlas.json format "${String(j.format)}": expected ${ATLAS_FORMAT}`);
  if (typeof j.model !== 'string' || !j.model) throw new AtlasFormatError('atlas.json has no model name');
  const t = j.tile as Record<string, unknown> | undefined;
  if (!t || !isInt(t.channels, 1) || !isInt(t.height, 1) || !isInt(t.width, 1)) throw new AtlasFormatError('atlas.json tile: expected positive integers channels, height, width');
  if (!isInt(j.nodeCount, 1)) throw new AtlasFormatError('atlas.json nodeCount: expected a positive integer');
  if (!j.settings || typeof j.settings !== 'object') throw new AtlasFormatError('atlas.json has no settings');
  if (j.algorithm !== undefined && !isInt(j.algorithm, 1)) throw new AtlasFormatError(`atlas.json algorithm ${String(j.algorithm)}: expected a positive integer`);
  if (!Array.isArray(j.units)) throw new AtlasFormatError('atlas.json units: expected an array');
  const nodeCount = j.nodeCount;
  const unitOfNode = new Int32Array(nodeCount).fill(-1);
  const units: AtlasUnit[] = j.units.map((u: unknown, k: number) => {
    const x = u as Record<string, unknown>;
    const where = `atlas.json units[${k}]`;
    if (!x || typeof x !== 'object') throw new AtlasFormatError(`${where} is not an object`);
    if (!isInt(x.node) || x.node >= nodeCount) throw new AtlasFormatError(`${where}.node ${String(x.node)}: expected a node index 0..${nodeCount - 1}`);
    if (k > 0 && x.node <= (j.units as { node: number }[])[k - 1].node) throw new AtlasFormatError(`${where}.node ${x.node}: units must be in increasing node order`);
    if (typeof x.layer !== 'string' || !isInt(x.channel) || typeof x.objective !== 'string') throw new AtlasFormatError(`${where}: expected layer, channel and objective`);
    for (const f of ['value', 'datasetMean', 'datasetMax'] as const) if (!isNum(x[f])) throw new AtlasFormatError(`${where}.${f}: expected a finite number`);
    unitOfNode[x.node] = k;
    return { node: x.node, layer: x.layer, channel: x.channel, objective: x.objective, value: x.value as number, datasetMean: x.datasetMean as number, datasetMax: x.datasetMax as number };
  });
  const pixels = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
  const per = t.channels * t.height * t.width;
  if (pixels.length !== units.length * per)
    throw new AtlasFormatError(`atlas.bin has ${pixels.length} bytes, atlas.json describes ${units.length} tiles of ${t.channels}x${t.height}x${t.width} (${units.length * per} bytes)`);
  return {
    model: j.model, settings: j.settings as VizSettings, algorithm: (j.algorithm as number | undefined) ?? 1, tile: { channels: t.channels, height: t.height, width: t.width },
    nodeCount, units, pixels, unitOfNode,
  };
}

/**
 * Whether the atlas was made by the optimizer and default settings the page runs live, so a
 * tile is what Visualize gives for its node; an older atlas is labelled as such.
 */
export function atlasMatchesLive(a: Atlas): boolean {
  const s = a.settings as unknown as Record<string, unknown>;
  return a.algorithm === VIZ_ALGORITHM && Object.entries(DEFAULT_VIZ_SETTINGS).every(([k, v]) => s[k] === v);
}

/** The tile of a graph node (uint8 [C, H, W]), or null when it has none. */
export function atlasTile(a: Atlas, node: number): Uint8Array | null {
  const k = node >= 0 && node < a.nodeCount ? a.unitOfNode[node] : -1;
  if (k < 0) return null;
  const per = a.tile.channels * a.tile.height * a.tile.width;
  return a.pixels.subarray(k * per, (k + 1) * per);
}

/** The atlas in a model folder (URL ending in '/'), or null when the folder has none. */
export async function fetchAtlas(folderUrl: string, fetchFn: typeof fetch = fetch): Promise<Atlas | null> {
  const base = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const jr = await fetchFn(`${base}atlas.json`);
  if (jr.status === 404) return null;
  if (!jr.ok) throw new AtlasFormatError(`atlas.json: HTTP ${jr.status}`);
  let json: unknown;
  try {
    json = await jr.json();
  } catch (e) {
    throw new AtlasFormatError(`atlas.json is not valid JSON (${(e as Error).message})`);
  }
  const br = await fetchFn(`${base}atlas.bin`);
  if (!br.ok) throw new AtlasFormatError(`atlas.bin: HTTP ${br.status}`);
  return parseAtlas(json, await br.arrayBuffer());
}
