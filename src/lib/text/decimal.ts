// The one pattern for a plain decimal number in text a visitor writes (links, targets,
// objectives): optional sign, digits with an optional fraction, optional exponent. Written so
// that the regular-expression engine never backtracks more than linearly: a long run of digits
// followed by a letter is refused in one pass (the earlier `\d+\.?\d*` took quadratic time).

/** Unsigned: digits with an optional fraction, or a fraction alone; an optional exponent. */
export const UNSIGNED_DECIMAL = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
export const DECIMAL = String.raw`[+-]?${UNSIGNED_DECIMAL}`;

const WHOLE = new RegExp(`^${DECIMAL}$`);

/** Whether the whole of `s` is one decimal number (no spaces). */
export function isDecimal(s: string): boolean {
  return WHOLE.test(s);
}
