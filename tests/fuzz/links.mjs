// The link corpus: hostile and garbled query strings for the page's URL parser, made from a
// fixed seed. `linkCorpus` gives thousands for Node; `pageLinks` a named few dozen for the
// page (tests/e2e/hardening.mjs), each one hostile in a different way.
import { ALL_PAYLOADS, XSS, ODD, long, pick, rng } from './payloads.mjs';

export const LINK_KEYS = ['model', 'target', 'images', 'criterion', 'keep', 'threshold', 'perlayer', 'linear', 'layout', 'select', 'image', 'ablate', 'x', 'y', 'zoom'];

/** @param {string} v */
const enc = (v) => encodeURIComponent(v.toWellFormed());
/** @param {number} n */
const ablateOf = (n, kind = 'edge') => Array.from({ length: n }, (_, i) => `${kind}:${i}`).join(',');

/** Values that are nearly right: numbers at and past their bounds, ids, names with a twist. */
const NEAR = [
  '0', '1', '-1', '-0', '1e999', '-1e-999', 'NaN', 'Infinity', '0x10', '1_000', ' 0.5 ', '+.5', '5.', '.5e', '1e+', '1e-7',
  '4294967295', '4294967296', '99999999', '9007199254740993', 'node:1', 'edge:1.5', 'node:-1', 'node:1,,edge:2,', 'nodes:3',
  'loss', 'logit:0', 'logit:Sandal', 'prob:999', 'node:conv1:0:pre', 'node:conv1:0@3,4', 'direction:conv1:1,-1', 'all', 'Sandal - all',
  'actgrad', 'snip', 'grid', 'mds', 'Fashion-Small', 'fashion-small', 'FASHION-SMALL', 'no-such-model', 'local:x', 'url:/x.onnx', 'url://evil.example/x.onnx',
];

/**
 * `count` query strings from `seed`: mixtures of known keys, unknown and repeated ones, and garbage.
 * @param {number} count
 * @returns {string[]}
 */
export function linkCorpus(count, seed = 19) {
  const r = rng(seed);
  const values = [...ALL_PAYLOADS, ...NEAR, ablateOf(1001), ablateOf(20), `${ablateOf(3)},kernel:4`];
  const keys = [...LINK_KEYS, ...LINK_KEYS, 'mode', '__proto__', 'constructor', '', 'KEEP', 'keep ', '<b>', XSS[0]];
  const alphabet = 'abc=&%?#+ .:-_/<>"\'\\0123456789eE;,\u00e9\u4e2d\u202e\u0000';
  const letters = [...alphabet];
  const out = [];
  for (let i = 0; i < count; i++) {
    const kind = r();
    if (kind < 0.6) {
      const n = 1 + Math.floor(r() * 6);
      const parts = Array.from({ length: n }, () => {
        const v = pick(r, values);
        const k = pick(r, keys);
        return r() < 0.7 ? `${enc(k)}=${enc(v)}` : `${k}=${v}`;
      });
      out.push(parts.join(r() < 0.9 ? '&' : ';'));
    } else if (kind < 0.9) {
      out.push(Array.from({ length: Math.floor(r() * 120) }, () => pick(r, letters)).join(''));
    } else {
      // broken percent-encoding and stray separators around a good parameter
      out.push(`${pick(r, ['%', '%E0%A4%A', '%00', '&&&', '===', '%%%'])}keep=0.5${pick(r, ['&', '&=&', '#x', '%'])}`);
    }
  }
  return out;
}

/**
 * Links for the page: [what it tries, query string].
 * @returns {[string, string][]}
 */
export function pageLinks() {
  /** @type {[string, string][]} */
  const links = [];
  LINK_KEYS.forEach((key, i) => links.push([`${key}: markup`, `${key}=${enc(XSS[i % XSS.length])}`]));
  LINK_KEYS.forEach((key) => links.push([`${key}: 100 kB`, `${key}=${enc(long(key === 'ablate' ? 'edge:1,' : '9'))}x`]));
  ODD.slice(0, 12).forEach((v, i) => links.push([`${LINK_KEYS[(i * 5) % LINK_KEYS.length]}: odd text ${i}`, `${LINK_KEYS[(i * 5) % LINK_KEYS.length]}=${enc(v)}`]));
  links.push(
    ['keep: 100,000 digits then a letter', `keep=${'1'.repeat(100_000)}x`],
    ['ablate: 20,000 parts (208 kB)', `ablate=${ablateOf(20_000)}`],
    ['ablate: 1,001 parts', `ablate=${ablateOf(1001, 'node')}`],
    ['image: past the image set', 'image=99999999'],
    ['model: wrong case', 'model=Fashion-Small'],
    ['model: another site', `model=${enc('url://evil.example/m.onnx')}`],
    ['unknown and repeated parameters', `keep=0.2&keep=0.3&utm_source=${enc(XSS[1])}&${enc(XSS[0])}=1`],
    ['every parameter at once, each hostile', LINK_KEYS.map((k, i) => `${k}=${enc(XSS[(i + 3) % XSS.length])}`).join('&')],
    ['broken percent-encoding', 'keep=%E0%A4%A&target=%'],
    ['fragment and scheme tricks', `target=${enc('javascript:alert(1)')}&images=${enc('data:text/html,<script>alert(1)</script>')}`],
  );
  return links;
}
