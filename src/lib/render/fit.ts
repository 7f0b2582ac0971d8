// The view that frames a set of nodes in a canvas (plain data, shared by the scene's fitTo and
// its tests): the nodes' bounding box centred, with room for the layer names around it.

export interface FitView {
  x: number;
  y: number;
  zoom: number;
}

/** The closest a fit zooms in (screen pixels per world unit), so one node does not fill the canvas. */
export const FIT_MAX_ZOOM = 60;
/** Pixels kept free left and right, and above and below (layer names, the target's tag). */
export const FIT_PAD = { x: 48, y: 30 };

/** The view framing `nodes` (positions: x, y per node) in a width x height canvas; null when there are none. */
export function fitView(positions: Float32Array, nodes: Iterable<number>, width: number, height: number): FitView | null {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const n of nodes) {
    if (!(n >= 0 && 2 * n + 1 < positions.length)) continue;
    minX = Math.min(minX, positions[2 * n]); maxX = Math.max(maxX, positions[2 * n]);
    minY = Math.min(minY, positions[2 * n + 1]); maxY = Math.max(maxY, positions[2 * n + 1]);
  }
  if (!Number.isFinite(minX)) return null;
  const zoom = Math.min(FIT_MAX_ZOOM, (width - 2 * FIT_PAD.x) / Math.max(1, maxX - minX), (height - 2 * FIT_PAD.y) / Math.max(1, maxY - minY));
  return { x: (minX + maxX) / 2, y: (minY + maxY) / 2, zoom: Math.max(1e-3, zoom) };
}
