// The built site's Content-Security-Policy (svelte.config.js kit.csp): every prerendered page
// carries it as a meta tag ahead of any script or stylesheet, with only this origin's scripts
// (plus hashes that match the page's own inline scripts), no eval, no plugins, and connections,
// workers and images from this origin (images also from data: and blob:). Reads build/ as
// `npm run build` leaves it (tools/test-all.sh builds before the unit tests).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const buildDir = resolve(__dirname, '../../build');

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'weights' ? [] : htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** The policy's directives: name -> sources. */
function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name, sources);
  }
  return map;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

describe('the content security policy of the built site', () => {
  it('is in every prerendered page, strict, and matches its inline scripts', () => {
    expect(existsSync(join(buildDir, 'index.html')), 'no build/index.html: run `npm run build` first').toBe(true);
    const pages = htmlFiles(buildDir);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      const metas = [...html.matchAll(/<meta http-equiv="content-security-policy" content="([^"]*)"\s*\/?>/gi)];
      expect(metas, page).toHaveLength(1);
      const at = metas[0].index!;
      // ahead of every script, preload and stylesheet, so it governs them all
      for (const tag of [/<script/i, /<link[^>]+rel="(modulepreload|stylesheet)"/i, /<style/i]) {
        const m = tag.exec(html);
        if (m) expect(m.index, `${page}: ${tag} before the policy`).toBeGreaterThan(at);
      }
      const csp = directives(unescape(metas[0][1]));
      expect(csp.get('default-src'), page).toEqual(["'self'"]);
      expect(csp.get('connect-src'), page).toEqual(["'self'"]);
      expect(csp.get('worker-src'), page).toEqual(["'self'"]);
      expect(csp.get('object-src'), page).toEqual(["'none'"]);
      expect(csp.get('base-uri'), page).toEqual(["'self'"]);
      expect(csp.get('form-action'), page).toEqual(["'self'"]);
      expect(csp.get('img-src'), page).toEqual(["'self'", 'data:', 'blob:']);
      expect(csp.get('style-src'), page).toEqual(["'self'", "'unsafe-inline'"]);
      const scripts = csp.get('script-src') ?? [];
      expect(scripts[0], page).toBe("'self'");
      const hashes = scripts.slice(1);
      for (const h of hashes) expect(h, page).toMatch(/^'sha256-[A-Za-z0-9+/=]+'$/);
      for (const sources of csp.values()) {
        for (const s of sources) expect(s, page).not.toMatch(/unsafe-eval|^\*$|^https?:|^'strict-dynamic'$/);
      }
      // every inline script is one the policy hashes (and so the only ones that run)
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]);
      expect(inline.length, page).toBeGreaterThan(0);
      for (const body of inline) {
        const hash = `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
        expect(hashes, `${page}: an inline script the policy does not allow`).toContain(hash);
      }
    }
  });
});
