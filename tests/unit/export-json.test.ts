// The circuit JSON export: it round-trips through JSON.parse, lists exactly the kept kernels
// (matched back to graph edges by layer, out and in), keeps float32 scores exact, names the
// settings and counts, and separates residual junctions from kernels; plus safe file names.
import { describe, expect, it, vi } from 'vitest';
import type { CircuitGraph } from '../../src/lib/graph/types';
import { circuitJson, CIRCUIT_FORMAT, type CircuitDocument } from '../../src/lib/export/json';
import { safeFilename } from '../../src/lib/export/download';
import { rng } from '../helpers/random';
import { fashionSmallGraph, residualGraph } from '../helpers/graphs';

function circuit(graph: CircuitGraph, seed: number) {
  const r = rng(seed);
  const kept = new Uint8Array(graph.edgeCount).map(() => (r() < 0.15 ? 1 : 0));
  const scores = new Float32Array(graph.edgeCount).map(() => (r() - 0.3) * 1e-3);
  const importance = new Float32Array(graph.edgeCount).map(() => r());
  return { kept, scores, importance };
}

describe('circuitJson', () => {
  const graph = fashionSmallGraph();
  const label = (n: number) => `${graph.layers[graph.nodeLayer[n]].name}:${graph.nodeChannel[n]}`;

  it('with the full result: every relevant kernel with its score and whether the cut and the effective mask kept it, node scores, settings and the FORCE schedule', () => {
    const r = rng(11);
    const { scores, importance } = circuit(graph, 9);
    const relevant = new Uint8Array(graph.edgeCount).map(() => (r() < 0.6 ? 1 : 0));
    const before = relevant.map((v) => (v && r() < 0.3 ? 1 : 0));
    const kept = before.map((v) => (v && r() < 0.7 ? 1 : 0));
    const nodeScores = new Float32Array(graph.nodeCount).map((_, n) => (n % 3 === 0 ? 0 : r()));
    const nodeImportance = nodeScores.map((v) => v / 2);
    const nodesKept = new Uint8Array(graph.nodeCount).map(() => (r() < 0.5 ? 1 : 0));
    const doc = JSON.parse(circuitJson({
      model: 'fashion-small', target: 'loss', images: 'all', criterion: 'force', cut: { kind: 'keep', value: 0.1 },
      graph, kept, scores, importance, nodeLabel: label, relevant, keptBeforeEffective: before,
      nodes: { scores: nodeScores, importance: nodeImportance, kept: nodesKept }, forceSchedule: [900, 500, 100], settings: { perLayer: true, linear: false },
    })) as CircuitDocument;
    const expected: string[] = [];
    for (let e = 0; e < graph.edgeCount; e++) if (relevant[e]) expected.push(`${graph.layers[graph.edgeLayer[e]].name}/${graph.edgeOut[e]}/${graph.edgeIn[e]}/${before[e]}/${kept[e]}/${Math.fround(scores[e])}`);
    expect(doc.relevant!.map((k) => `${k.layer}/${k.out}/${k.in}/${k.cut}/${k.kept}/${Math.fround(k.score!)}`)).toEqual(expected);
    expect(doc.nodes!.length).toBe(nodeScores.filter((v) => v !== 0).length);
    for (const n of doc.nodes!) {
      expect(Math.fround(n.score!)).toBe(nodeScores[n.node]);
      expect(n.kept).toBe(nodesKept[n.node]);
      expect(n.label).toBe(label(n.node));
    }
    expect(doc.forceSchedule).toEqual([900, 500, 100]);
    expect(doc.settings).toEqual({ perLayer: true, linear: false });
  });

  it('round-trips and lists exactly the kept kernels with exact float32 scores', () => {
    const { kept, scores, importance } = circuit(graph, 5);
    const layers = [{ name: 'conv1', kept: 3 }];
    const text = circuitJson({
      model: 'fashion-small', target: 'logit:Sandal', images: 'class:Sandal', criterion: 'actgrad', cut: { kind: 'keep', value: 0.15 },
      graph, kept, scores, importance, nodeLabel: label, layers, url: 'https://example.org/?model=fashion-small',
    });
    const doc = JSON.parse(text) as CircuitDocument;
    expect(doc.format).toBe(CIRCUIT_FORMAT);
    expect(doc.format).toBe('cnn-microscope-circuit/1');
    expect([doc.model, doc.target, doc.images, doc.criterion]).toEqual(['fashion-small', 'logit:Sandal', 'class:Sandal', 'actgrad']);
    expect(doc.cut).toEqual({ kind: 'keep', value: 0.15 });
    expect(doc.layers).toEqual(layers);
    expect(doc.url).toBe('https://example.org/?model=fashion-small');

    // match every listed kernel back to its graph edge by (layer, out, in)
    const edgeOf = new Map<string, number>();
    for (let e = 0; e < graph.edgeCount; e++) edgeOf.set(`${graph.layers[graph.edgeLayer[e]].name}/${graph.edgeOut[e]}/${graph.edgeIn[e]}`, e);
    const listed = new Uint8Array(graph.edgeCount);
    for (const k of doc.kernels) {
      const e = edgeOf.get(`${k.layer}/${k.out}/${k.in}`);
      expect(e, `${k.layer} ${k.out} ${k.in}`).toBeDefined();
      expect(listed[e!]).toBe(0); // no kernel twice
      listed[e!] = 1;
      expect(k.sourceNode).toBe(graph.edgeSource[e!]);
      expect(k.targetNode).toBe(graph.edgeTarget[e!]);
      expect(k.source).toBe(label(graph.edgeSource[e!]));
      expect(k.target).toBe(label(graph.edgeTarget[e!]));
      expect(Math.fround(k.score!)).toBe(scores[e!]);
      expect(Math.fround(k.importance!)).toBe(importance[e!]);
      expect(k.sign).toBe(graph.edgeSign[e!]);
    }
    expect([...listed]).toEqual([...kept]);

    const keptCount = kept.reduce((a, b) => a + b, 0);
    const filters = new Set<number>();
    kept.forEach((k, e) => k && filters.add(graph.edgeSource[e]).add(graph.edgeTarget[e]));
    expect(doc.counts).toEqual({ kernelsKept: keptCount, kernels: graph.edgeCount, filtersKept: filters.size, filters: graph.nodeCount, junctionsKept: 0 });
    // the text is the same document again after a second trip
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('writes NaN and infinite scores as null and leaves out absent optional fields', () => {
    const { kept, scores, importance } = circuit(graph, 9);
    const first = kept.indexOf(1);
    scores[first] = NaN;
    importance[first] = Infinity;
    const doc = JSON.parse(circuitJson({ model: 'm', target: 't', images: 'all', criterion: 'snip', cut: { kind: 'threshold', value: 0.5 }, graph, kept, scores, importance, nodeLabel: label })) as CircuitDocument;
    expect(doc.kernels[0].score).toBeNull();
    expect(doc.kernels[0].importance).toBeNull();
    expect('url' in doc || 'layers' in doc).toBe(false);
  });

  it('keeps residual junction edges apart from kernels', () => {
    const g = residualGraph();
    const kept = new Uint8Array(g.edgeCount).fill(1);
    const doc = JSON.parse(circuitJson({
      model: 'res', target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 1 }, graph: g, kept,
      scores: new Float32Array(g.edgeCount), importance: new Float32Array(g.edgeCount), nodeLabel: (n) => `n${n}`,
    })) as CircuitDocument;
    const addEdges = g.layers.filter((l) => l.op === 'add').reduce((s, l) => s + l.edgeCount, 0);
    expect(addEdges).toBe(4);
    expect(doc.junctions.length).toBe(addEdges);
    expect(doc.kernels.length).toBe(g.edgeCount - addEdges);
    expect(doc.kernels.every((k) => k.layer !== 'sum')).toBe(true);
    expect(doc.counts.kernels).toBe(g.edgeCount - addEdges);
  });

  it('rejects arrays that do not fit the graph, naming them', () => {
    const { kept, scores, importance } = circuit(graph, 1);
    const base = { model: 'm', target: 't', images: 'all', criterion: 'actgrad', cut: { kind: 'keep' as const, value: 0.1 }, graph, kept, scores, importance, nodeLabel: label };
    expect(() => circuitJson({ ...base, scores: new Float32Array(2) })).toThrow(/scores has 2 entries/);
    expect(() => circuitJson({ ...base, kept: new Uint8Array(0) })).toThrow(/kept has 0 entries/);
    expect(() => circuitJson({ ...base, cut: { kind: 'top' as 'keep', value: 1 } })).toThrow(/unknown cut "top"/);
  });
});

describe('safeFilename', () => {
  it('drops path separators, reserved and control characters', () => {
    expect(safeFilename('circuit conv3:12 / Sandal.svg')).toBe('circuit conv3-12 - Sandal.svg');
    expect(safeFilename('../../etc/passwd')).toBe('etc-passwd');
    expect(safeFilename('a\u0000b<c>.json')).toBe('a-b-c-.json');
    expect(safeFilename('...')).toBe('export');
    expect(safeFilename('', 'circuit')).toBe('circuit');
  });
});

describe('download', () => {
  it('saves through a temporary object URL and a link with a safe name, then revokes the URL', async () => {
    const { download } = await import('../../src/lib/export/download');
    const clicked: { href: string; download: string; attached: boolean }[] = [];
    const created: Blob[] = [];
    const revoked: string[] = [];
    const body = { children: new Set<object>(), appendChild(a: object) { this.children.add(a); } };
    const link = () => {
      const a = {
        href: '', download: '', rel: '', style: { display: '' },
        click() { clicked.push({ href: a.href, download: a.download, attached: body.children.has(a) }); },
        remove() { body.children.delete(a); },
      };
      return a;
    };
    vi.useFakeTimers();
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = { document: g.document, create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    g.document = { createElement: (tag: string) => (tag === 'a' ? link() : null), body };
    URL.createObjectURL = (b: Blob) => (created.push(b), `blob:test/${created.length}`);
    URL.revokeObjectURL = (u: string) => void revoked.push(u);
    try {
      download('{"a":1}', 'circuit conv3:12.json', 'application/json');
      expect(clicked).toEqual([{ href: 'blob:test/1', download: 'circuit conv3-12.json', attached: true }]);
      expect(created[0].type).toBe('application/json');
      expect(await created[0].text()).toBe('{"a":1}');
      expect(body.children.size).toBe(0);
      expect(revoked).toEqual([]); // still needed while the download starts
      await vi.advanceTimersByTimeAsync(1000);
      expect(revoked).toEqual(['blob:test/1']);
    } finally {
      g.document = saved.document;
      URL.createObjectURL = saved.create;
      URL.revokeObjectURL = saved.revoke;
      vi.useRealTimers();
    }
  });
});
