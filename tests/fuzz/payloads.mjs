// Hostile strings shared by the fuzz corpora (Node and the page): markup and script injection,
// URL schemes, path walks, control and bidi characters, lone surrogates, prototype keys, long
// values. Plain data; each corpus puts them where it reads names and values.

/** Markup and script payloads: were any of them to become DOM, an element or a dialog would show it. */
export const XSS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '<iframe src="javascript:alert(1)"></iframe>',
  'javascript:alert(1)',
  '<a href="https://evil.example/">x</a>',
  '<img src="https://evil.example/x.png">',
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
  '<style>@import "https://evil.example/x.css"</style>',
  '</textarea><script>alert(1)</script>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '%3Cscript%3Ealert(1)%3C/script%3E',
];

/** Other hostile text: paths, schemes, control, bidi and zero-width characters, prototype keys. */
export const ODD = [
  '../../etc/passwd', '..\\..\\windows', '//evil.example/x', 'data:text/html,<b>x</b>', 'blob:https://evil.example/1',
  '\u0000', '\u202e\u0066\u0064\u0070', '\u200b', '\ud800', '\udfff\ud800', '💥'.repeat(5), 'ΣΩ été 中文',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\n\r\t',
];

/** A long value (100 kB by default) of a repeated piece. */
export const long = (piece = 'x', chars = 100_000) => piece.repeat(Math.ceil(chars / piece.length)).slice(0, chars);

/** Every payload of the corpora, the long ones included. */
export const ALL_PAYLOADS = [...XSS, ...ODD, long(), long('<b>'), long('9'), `${long('9')}x`];

/**
 * Seeded uniform numbers in [0, 1) (xorshift32), the same stream on every machine.
 * @param {number} seed
 * @returns {() => number}
 */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** @type {<T>(r: () => number, list: readonly T[]) => T} */
export const pick = (r, list) => list[Math.floor(r() * list.length)];
