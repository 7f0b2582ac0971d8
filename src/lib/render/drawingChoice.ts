// Which edge drawing the graph uses and why: instanced edges are the design for GPUs; on a
// software rasterizer (no GPU under the canvas) expanded quads draw faster, and faded edges are
// hidden past 50,000 edges. The bench's graph rows and the graph page report this choice.

import type { EdgeDrawing } from './edges';

/** The drawing that ran, whether faded edges are drawn, and the reason in words. */
export interface DrawingChoice {
  drawing: EdgeDrawing | 'graphics';
  fadedEdges: 'shown' | 'hidden';
  why: string;
}

export interface DrawingInputs {
  mode: 'instanced' | 'graphics';
  edgeDrawing: EdgeDrawing | 'auto';
  fadedEdges: 'show' | 'hide' | 'auto';
  /** No GPU under the canvas. */
  software: boolean;
  /** The rasterizer's name as the adapter or GL context gives it ('' when unknown). */
  rasterizer: string;
  edgeCount: number;
}

/** Faded edges are hidden by default on a software rasterizer above this many edges. */
export const SOFTWARE_FADED_LIMIT = 50_000;

/** The edge drawing asked for, or on 'auto' the one that suits the rasterizer. */
export function pickEdgeDrawing(asked: EdgeDrawing | 'auto', software: boolean): EdgeDrawing {
  return asked !== 'auto' ? asked : software ? 'expanded' : 'instanced';
}

export function chooseDrawing(d: DrawingInputs): DrawingChoice {
  const on = d.rasterizer ? ` (${d.rasterizer})` : '';
  if (d.mode === 'graphics') return { drawing: 'graphics', fadedEdges: 'shown', why: 'asked for pixi Graphics, the baseline' };
  const drawing = pickEdgeDrawing(d.edgeDrawing, d.software);
  let why = d.edgeDrawing !== 'auto' ? `asked for ${drawing} edges`
    : d.software ? `software rasterizer${on}: expanded quads draw faster than instances` : `GPU${on}: instanced edges`;
  const hide = d.fadedEdges === 'hide' || (d.fadedEdges === 'auto' && d.software && d.edgeCount > SOFTWARE_FADED_LIMIT);
  if (d.fadedEdges === 'auto' && hide) why += `; faded edges hidden (over ${SOFTWARE_FADED_LIMIT.toLocaleString('en')} on a software rasterizer)`;
  else if (d.fadedEdges !== 'auto') why += `; faded edges ${hide ? 'hidden' : 'shown'} as asked`;
  return { drawing, fadedEdges: hide ? 'hidden' : 'shown', why };
}
