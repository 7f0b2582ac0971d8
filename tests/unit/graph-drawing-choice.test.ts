// The graph's edge drawing choice (instanced on a GPU, expanded on a software rasterizer, faded
// edges hidden past 50,000 there) and the bench's graph rows, which say which drawing ran and why.

import { describe, expect, it } from 'vitest';
import { chooseDrawing, SOFTWARE_FADED_LIMIT, type DrawingInputs } from '../../src/lib/render/drawingChoice';
import { formatGraphTable, graphRows, type GraphMeasurement } from '../../tools/bench/sections/graph';

const base: DrawingInputs = { mode: 'instanced', edgeDrawing: 'auto', fadedEdges: 'auto', software: false, rasterizer: 'nvidia hopper NVIDIA H100', edgeCount: 1000 };

describe('chooseDrawing', () => {
  const cases: [string, Partial<DrawingInputs>, string, 'shown' | 'hidden', RegExp][] = [
    ['a GPU draws instanced edges', {}, 'instanced', 'shown', /^GPU \(nvidia hopper NVIDIA H100\): instanced edges$/],
    ['a GPU keeps faded edges at any size', { edgeCount: 10 * SOFTWARE_FADED_LIMIT }, 'instanced', 'shown', /^GPU/],
    ['a software rasterizer draws expanded quads', { software: true, rasterizer: 'google swiftshader' }, 'expanded', 'shown', /software rasterizer \(google swiftshader\)/],
    ['and hides faded edges past the limit', { software: true, edgeCount: SOFTWARE_FADED_LIMIT + 1 }, 'expanded', 'hidden', /faded edges hidden \(over 50,000/],
    ['but not at the limit', { software: true, edgeCount: SOFTWARE_FADED_LIMIT }, 'expanded', 'shown', /expanded quads draw faster than instances$/],
    ['a drawing asked for wins', { software: true, edgeDrawing: 'instanced' }, 'instanced', 'shown', /^asked for instanced edges$/],
    ['faded edges asked shown', { software: true, edgeCount: 250_000, fadedEdges: 'show' }, 'expanded', 'shown', /faded edges shown as asked/],
    ['faded edges asked hidden', { fadedEdges: 'hide' }, 'instanced', 'hidden', /faded edges hidden as asked/],
    ['the Graphics baseline', { mode: 'graphics', software: true }, 'graphics', 'shown', /pixi Graphics/],
  ];
  for (const [name, over, drawing, faded, why] of cases) {
    it(name, () => {
      const c = chooseDrawing({ ...base, ...over });
      expect(c.drawing).toBe(drawing);
      expect(c.fadedEdges).toBe(faded);
      expect(c.why).toMatch(why);
    });
  }
  it('names no rasterizer when none is known', () => {
    expect(chooseDrawing({ ...base, rasterizer: '' }).why).toBe('GPU: instanced edges');
  });
});

describe('the bench graph rows', () => {
  const m = (mode: string, drawn: string, why: string, frameMedian: number): GraphMeasurement => ({
    edges: 10_000, mode, renderer: 'webgpu', loadMs: 100, frames: 30, frameMedian, frameP95: frameMedian * 2,
    renderCpuMedian: 1, thresholdMedian: 5, thresholdCpu: 2, drawn, fadedEdges: 'shown', why,
  });
  const measured = [m('auto', 'expanded', 'software rasterizer (google swiftshader): expanded quads draw faster than instances', 10), m('graphics', 'graphics', 'asked for pixi Graphics, the baseline', 40)];

  it('say which drawing ran, in the shape and the extras', () => {
    const rows = graphRows(measured);
    expect(rows).toHaveLength(4);
    expect(rows[0].shape).toBe('10000 edges, webgpu, drew expanded');
    expect(rows[0].extra).toMatchObject({ drawn: 'expanded', why: measured[0].why, graphicsOverThis: 4 });
  });
  it('and the table gives the drawing per row and each mode\'s reason once', () => {
    const table = formatGraphTable([...measured, { ...measured[0], edges: 50_000 }]).split('\n');
    expect(table[0]).toMatch(/edges\s+mode\s+renderer\s+drew\s+frames/);
    expect(table[2]).toMatch(/10000\s+auto\s+webgpu\s+expanded\s+30/);
    const reasons = table.filter((l) => l.startsWith('why: '));
    expect(reasons).toEqual([`why: auto: ${measured[0].why}`, `why: graphics: ${measured[1].why}`]);
  });
});
