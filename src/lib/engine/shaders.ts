// WGSL sources from shaders/, assembled with wgsl-preprocessor: a `${NAME}` placeholder in a
// .wgsl file takes the value of define NAME (booleans drive `#if ${NAME}` blocks), and a line
// `//! include common/x` pulls in shaders/common/x.wgsl (shared helper functions); an include
// may name a define (`//! include ${OP}/activation`), so a shared kernel takes an op's own function.
// Variants are few and fixed; shapes never appear here (they travel as uniforms).

import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

const sources = import.meta.glob('../../../shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const byName = new Map<string, string>();
for (const [path, text] of Object.entries(sources)) {
  const name = path.replace(/^.*\/shaders\//, '').replace(/\.wgsl$/, '');
  byName.set(name, text);
}

export type Defines = Record<string, boolean | number | string>;

export function shaderNames(): string[] {
  return [...byName.keys()].sort();
}

/** A shader's text with `//! include other/name` lines replaced by that file's text (defines in the name substituted). */
function withIncludes(name: string, defines: Defines, seen: string[] = []): string {
  const text = byName.get(name);
  if (text === undefined) throw new Error(`no shader named "${name}" (have: ${shaderNames().join(', ')})`);
  if (seen.includes(name)) throw new Error(`shader include cycle: ${[...seen, name].join(' -> ')}`);
  return text.replace(/^\/\/! include (\S+)\s*$/gm, (_, other: string) => {
    const resolved = other.replace(/\$\{(\w+)\}/g, (m, key: string) => {
      if (!(key in defines)) throw new Error(`shader "${name}" includes ${other}, which needs define ${key}`);
      return String(defines[key]);
    });
    return withIncludes(resolved, defines, [...seen, name]);
  });
}

/** Full WGSL of shader `name` (e.g. "conv2d/forward") with includes and `defines` substituted. */
export function shaderSource(name: string, defines: Defines = {}): string {
  const text = withIncludes(name, defines);
  const strings: string[] = [];
  const values: unknown[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$\{(\w+)\}/g)) {
    const key = m[1];
    if (!(key in defines)) throw new Error(`shader "${name}" needs define ${key}`);
    strings.push(text.slice(last, m.index));
    values.push(defines[key]);
    last = m.index! + m[0].length;
  }
  strings.push(text.slice(last));
  const raw = Object.assign([...strings], { raw: strings });
  return wgsl(raw as unknown as TemplateStringsArray, ...values);
}
