// Contrasts of image sets: linear combinations such as `Sandal - all` or `2*Bag - Coat`,
// parsed into terms. Scores are combined per edge and clipped at 0. Set names are class
// names (case-insensitive, quoted when they contain operators), `all`, `image:N` or `class:N`.

export interface ContrastTerm {
  weight: number;
  set: string;
}

export class ContrastSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContrastSyntaxError';
  }
}

/** Parses `expr` into terms; throws ContrastSyntaxError with the position of the problem. */
export function parseContrast(expr: string): ContrastTerm[] {
  const s = expr.trim();
  if (!s) throw new ContrastSyntaxError('the image set expression is empty');
  const terms: ContrastTerm[] = [];
  let i = 0;
  const at = () => `at character ${i + 1} of "${s}"`;
  const skip = () => { while (i < s.length && s[i] === ' ') i++; };
  let sign = 1;
  skip();
  if (s[i] === '+' || s[i] === '-') { sign = s[i] === '-' ? -1 : 1; i++; skip(); }
  for (;;) {
    let weight = 1;
    const num = /^(\d+(\.\d*)?|\.\d+)/.exec(s.slice(i));
    if (num) {
      const after = s.slice(i + num[0].length).trimStart();
      if (after[0] === '*') {
        weight = parseFloat(num[0]);
        i += num[0].length;
        skip();
        i++; // '*'
        skip();
      }
    }
    let name: string;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i];
      const end = s.indexOf(q, i + 1);
      if (end < 0) throw new ContrastSyntaxError(`unclosed quote ${at()}`);
      name = s.slice(i + 1, end);
      i = end + 1;
    } else {
      const m = /^[^+\-*"']+/.exec(s.slice(i));
      if (!m || !m[0].trim()) throw new ContrastSyntaxError(`expected an image set name ${at()}`);
      name = m[0].trim();
      i += m[0].length;
    }
    if (!name) throw new ContrastSyntaxError(`empty image set name ${at()}`);
    terms.push({ weight: sign * weight, set: name });
    skip();
    if (i >= s.length) break;
    if (s[i] === '+' || s[i] === '-') {
      sign = s[i] === '-' ? -1 : 1;
      i++;
      skip();
      if (i >= s.length) throw new ContrastSyntaxError(`expression ends after an operator: "${s}"`);
      continue;
    }
    throw new ContrastSyntaxError(`unexpected "${s[i]}" ${at()}`);
  }
  return terms;
}

/** max(0, sum_t w_t * scores_t), elementwise. */
export function combineScores(parts: { weight: number; values: Float32Array }[]): Float32Array {
  const out = new Float32Array(parts[0].values.length);
  for (const p of parts) for (let e = 0; e < out.length; e++) out[e] += p.weight * p.values[e];
  for (let e = 0; e < out.length; e++) out[e] = Math.max(0, out[e]);
  return out;
}
