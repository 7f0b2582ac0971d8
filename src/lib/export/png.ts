// A circuit SVG rasterized to PNG in the browser: the SVG is drawn into a canvas at a scale
// (default 2), reduced where needed to stay inside the browser's canvas limits, then encoded.

/** Browsers refuse canvases past about 16384 px a side or 2^28 px in all (Chrome, Firefox, Safari differ below that). */
export const CANVAS_MAX_SIDE = 16384;
export const CANVAS_MAX_AREA = 2 ** 28;

/** The width and height an SVG document declares (width/height attributes, else its viewBox). */
export function svgSize(svg: string): { width: number; height: number } {
  const open = /<svg\b[^>]*>/.exec(svg)?.[0];
  if (!open) throw new Error('not an SVG document: no <svg> element');
  const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(open)?.[1];
  let width = Number.parseFloat(attr('width') ?? '');
  let height = Number.parseFloat(attr('height') ?? '');
  if (!(width > 0 && height > 0)) {
    const box = (attr('viewBox') ?? '').trim().split(/[\s,]+/).map(Number);
    [width, height] = [box[2], box[3]];
  }
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) throw new Error('the SVG has no usable width and height');
  return { width, height };
}

/**
 * Pixel size of the PNG for an SVG of this size at this scale, reduced uniformly when the
 * canvas would pass the limits. `scale` is the one actually used.
 */
export function pngSize(width: number, height: number, scale: number, maxSide = CANVAS_MAX_SIDE, maxArea = CANVAS_MAX_AREA): { width: number; height: number; scale: number } {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`PNG scale must be a positive number, got ${scale}`);
  const fit = Math.min(scale, maxSide / width, maxSide / height, Math.sqrt(maxArea / (width * height)));
  const w = Math.max(1, Math.min(maxSide, Math.floor(width * fit)));
  const h = Math.max(1, Math.min(maxSide, Math.floor(height * fit)));
  return { width: w, height: h, scale: fit };
}

export async function circuitPng(svg: string, scale = 2): Promise<Blob> {
  const size = svgSize(svg);
  const px = pngSize(size.width, size.height, scale);
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode().catch(() => {
      throw new Error('the browser could not draw the circuit SVG');
    });
    const canvas = document.createElement('canvas');
    canvas.width = px.width;
    canvas.height = px.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error(`the browser gave no 2D canvas of ${px.width}x${px.height} px for the PNG`);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, px.width, px.height);
    ctx.drawImage(img, 0, 0, px.width, px.height);
    return await new Promise<Blob>((ok, fail) =>
      canvas.toBlob((b) => (b ? ok(b) : fail(new Error(`the browser could not encode a ${px.width}x${px.height} px PNG`))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
