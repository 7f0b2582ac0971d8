// Pixel geometry of a map shown scaled on screen: CSS size from the longer side, the map
// pixel under a pointer, keyboard moves of a hover cursor, and clamping of outlined regions.

export interface MapPixel {
  y: number;
  x: number;
}

export interface PixelRect {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

/** CSS width and height of a height x width map whose longer side is `size` px (each at least 1 px). */
export function displaySize(height: number, width: number, size: number): { width: number; height: number } {
  const longer = Math.max(height, width, 1);
  const cell = size / longer;
  return { width: Math.max(1, Math.round(width * cell)), height: Math.max(1, Math.round(height * cell)) };
}

/**
 * The map pixel under a point given in the same coordinates as the element's box (e.g.
 * clientX/clientY and getBoundingClientRect()); null outside the box. Right and bottom edges
 * belong to the last pixel.
 */
export function pixelAt(
  px: number,
  py: number,
  box: { left: number; top: number; width: number; height: number },
  height: number,
  width: number,
): MapPixel | null {
  if (!(box.width > 0 && box.height > 0) || height < 1 || width < 1) return null;
  const fx = (px - box.left) / box.width;
  const fy = (py - box.top) / box.height;
  if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) return null;
  return { y: Math.min(height - 1, Math.floor(fy * height)), x: Math.min(width - 1, Math.floor(fx * width)) };
}

/** Steps for the arrow keys (Shift: a quarter of the map at once, at least 1 pixel). */
const ARROWS: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

/**
 * The cursor after a key: arrows move it (clamped to the map), Home/End jump to the first and
 * last pixel, Escape clears it; the first arrow without a cursor starts at the centre.
 * Returns undefined for keys that do nothing, so the caller leaves them to the page.
 */
export function moveCursor(cursor: MapPixel | null, key: string, shift: boolean, height: number, width: number): MapPixel | null | undefined {
  if (key === 'Escape') return cursor ? null : undefined;
  if (height < 1 || width < 1) return undefined;
  if (key === 'Home') return { y: 0, x: 0 };
  if (key === 'End') return { y: height - 1, x: width - 1 };
  const step = ARROWS[key];
  if (!step) return undefined;
  if (!cursor) return { y: Math.floor((height - 1) / 2), x: Math.floor((width - 1) / 2) };
  const by = shift ? Math.max(1, Math.round(Math.max(height, width) / 4)) : 1;
  return {
    y: Math.min(height - 1, Math.max(0, cursor.y + step[0] * by)),
    x: Math.min(width - 1, Math.max(0, cursor.x + step[1] * by)),
  };
}

/** An inclusive pixel rectangle clipped to the map, or null when nothing of it is on the map. */
export function clampRect(rect: PixelRect | null | undefined, height: number, width: number): PixelRect | null {
  if (!rect) return null;
  const y0 = Math.max(0, Math.min(rect.y0, rect.y1)), y1 = Math.min(height - 1, Math.max(rect.y0, rect.y1));
  const x0 = Math.max(0, Math.min(rect.x0, rect.x1)), x1 = Math.min(width - 1, Math.max(rect.x0, rect.x1));
  if (![y0, y1, x0, x1].every(Number.isFinite) || y0 > y1 || x0 > x1) return null;
  return { y0, x0, y1, x1 };
}

/** Whether a pixel lies on the map. */
export function onMap(p: MapPixel | null | undefined, height: number, width: number): p is MapPixel {
  return !!p && Number.isInteger(p.y) && Number.isInteger(p.x) && p.y >= 0 && p.x >= 0 && p.y < height && p.x < width;
}

/** Short text for a value in a caption: 3 significant digits, exponent for very small or large. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
  return s.replace(/-/g, '−');
}
