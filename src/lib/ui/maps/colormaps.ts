// Colour scales for maps and kernels as pure functions (value -> [r, g, b], bytes): a
// sequential scale for activations, a diverging one (zero is white) for signed values such as
// weights and gradients, NaN as neutral grey; plus filling a map's RGBA pixels with either.

export type Rgb = [number, number, number];
export type ColorScheme = 'sequential' | 'diverging';

/** Shown for NaN: a mid grey, which neither scale contains. */
export const NAN_RGB: Rgb = [128, 128, 128];

/** Viridis at nine even stops: perceptually even, luminance rising from dark purple to yellow. */
const SEQUENTIAL_STOPS: Rgb[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** Blue (negative) through white (zero) to red (positive), ColorBrewer RdBu at -1, -0.5, 0, 0.5, 1. */
const DIVERGING_STOPS: Rgb[] = [
  [33, 102, 172], [146, 197, 222], [255, 255, 255], [244, 165, 130], [178, 24, 43],
];

function interpolate(stops: Rgb[], t: number): Rgb {
  const at = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(at));
  const f = at - i;
  const a = stops[i], b = stops[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** t in [0, 1] (clamped; +-Infinity clamp too) -> viridis. NaN -> grey. */
export function sequential(t: number): Rgb {
  if (Number.isNaN(t)) return [...NAN_RGB];
  return interpolate(SEQUENTIAL_STOPS, Math.min(1, Math.max(0, t)));
}

/** t in [-1, 1] (clamped) -> blue / white / red; exactly white at 0. NaN -> grey. */
export function diverging(t: number): Rgb {
  if (Number.isNaN(t)) return [...NAN_RGB];
  return interpolate(DIVERGING_STOPS, (Math.min(1, Math.max(-1, t)) + 1) / 2);
}

/** Relative luminance-like weight of a colour (Rec. 709 on sRGB bytes): for ordering tests and contrast. */
export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** A map's value -> colour under a scheme: sequential spans min..max, diverging is symmetric around 0. */
export function colorFor(value: number, scheme: ColorScheme, min: number, max: number): Rgb {
  if (scheme === 'diverging') {
    const maxAbs = Math.max(Math.abs(min), Math.abs(max));
    return diverging(maxAbs > 0 && Number.isFinite(maxAbs) ? value / maxAbs : value === 0 ? 0 : Math.sign(value));
  }
  const span = max - min;
  return sequential(span > 0 && Number.isFinite(span) ? (value - min) / span : value > min ? 1 : 0);
}

/** Row-major values -> opaque RGBA bytes (for ImageData), each pixel coloured by `colorFor`. */
export function mapToRgba(data: ArrayLike<number>, scheme: ColorScheme, min: number, max: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(data.length * 4);
  for (let i = 0; i < data.length; i++) {
    const [r, g, b] = colorFor(data[i], scheme, min, max);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** CSS colour string of an Rgb. */
export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}
