// The `model` parameter's grammar (src/lib/state/url.ts): a built-in name, `local:<name>` for a
// model kept in this browser, `url:/path/model.onnx` for an ONNX file on the page's own site;
// anything else, and every way of naming another site or scheme, is refused with a warning.
// siteModelUrl resolves a path and checks the origin again; localModelName makes file names
// into names a `local:` link carries.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, isValidState, parseModelRef, parseViewState, siteModelUrl, viewStateToParams, type ViewState } from '../../src/lib/state/url';
import { localModelName } from '../../src/lib/ui/localModels';

const PAGE = 'https://example.org/microscope/?model=x';

describe('the model parameter', () => {
  it('names a built-in model, a stored one or a file on this site', () => {
    expect(parseModelRef('fashion-small')).toEqual({ kind: 'builtin', name: 'fashion-small' });
    expect(parseModelRef('local:resnet18')).toEqual({ kind: 'local', name: 'resnet18' });
    expect(parseModelRef('local:My model (v2).final')).toEqual({ kind: 'local', name: 'My model (v2).final' });
    expect(parseModelRef('local:modèle_ü')).toEqual({ kind: 'local', name: 'modèle_ü' });
    expect(parseModelRef('url:/models/net.onnx')).toEqual({ kind: 'url', path: '/models/net.onnx' });
    expect(parseModelRef('url:/a b/ÜBER%20net.ONNX')).toEqual({ kind: 'url', path: '/a b/ÜBER%20net.ONNX' });
  });

  it('round trips stored and site models through the link exactly', () => {
    for (const model of ['local:resnet18', 'local:My model (v2)', 'url:/models/net.onnx', 'url:/a b/c+d.onnx', 'local:a', 'digits']) {
      const s: ViewState = { ...DEFAULT_STATE, model };
      expect(isValidState(s), model).toBe(true);
      const back = parseViewState(viewStateToParams(s).toString());
      expect(back.warnings, model).toEqual([]);
      expect(back.state.model, model).toBe(model);
    }
  });

  it('refuses other sites, schemes and odd paths for url:, with a warning that says what a model link is', () => {
    const bad = [
      'url:', 'url:model.onnx', 'url:models/net.onnx', 'url://evil.example/net.onnx', 'url:///evil.example/net.onnx', 'url:/\\evil.example/net.onnx',
      'url:\\\\evil.example\\net.onnx', 'url:/models\\..\\net.onnx', 'url:http://evil.example/net.onnx', 'url:https://example.org/net.onnx',
      'url:data:application/octet-stream;base64,AAAA.onnx', 'url:javascript:alert(1)//.onnx', 'url:blob:https://example.org/x.onnx',
      'url:/net.onnx?x=1', 'url:/net.onnx#x', 'url:/a\tb.onnx', 'url:/\n/evil.example/x.onnx', 'url:/net.bin', 'url:/net.onnx.exe', 'url:/:8080/x.onnx',
      `url:/${'a'.repeat(600)}.onnx`, 'url:/<b>.onnx',
    ];
    for (const model of bad) {
      expect(parseModelRef(model), model).toBeNull();
      const { state, warnings } = parseViewState(new URLSearchParams({ model }));
      expect(state.model, model).toBe(DEFAULT_STATE.model);
      expect(warnings, model).toEqual([expect.stringMatching(/^parameter "model" = .* ignored: a model file is url:\/path\/model\.onnx on this site/)]);
      expect(warnings[0]).not.toMatch(/[<>\u0000-\u001f]/);
    }
  });

  it('refuses stored names a link cannot carry, and other values, each with its own warning', () => {
    for (const model of ['local:', 'local: lead', 'local:.hidden', 'local:a/b', 'local:a:b', 'local:<x>', `local:${'n'.repeat(65)}`, 'local:a\u0000']) {
      expect(parseModelRef(model), model).toBeNull();
      expect(parseViewState(new URLSearchParams({ model })).warnings, model).toEqual([expect.stringMatching(/^parameter "model" = .* ignored: a stored model is local:NAME/)]);
    }
    for (const model of ['http://evil.example/x.onnx', '//evil.example/x.onnx', 'data:,x', '../etc', 'file:x.onnx']) {
      expect(parseModelRef(model), model).toBeNull();
      expect(parseViewState(new URLSearchParams({ model })).warnings, model).toEqual([expect.stringMatching(/^parameter "model" = .* ignored: a model name is .* or local:NAME, or url:\/path\/model\.onnx$/)]);
    }
  });
});

describe('siteModelUrl: the same-origin check', () => {
  it('resolves a path on the page’s own origin, whatever folder the page is in', () => {
    expect(siteModelUrl('/models/net.onnx', PAGE)?.href).toBe('https://example.org/models/net.onnx');
    expect(siteModelUrl('/a b/net.onnx', 'http://127.0.0.1:4173/')?.href).toBe('http://127.0.0.1:4173/a%20b/net.onnx');
    // dot segments and encoded ones stay on the origin
    expect(siteModelUrl('/x/../../../net.onnx', PAGE)?.href).toBe('https://example.org/net.onnx');
    expect(siteModelUrl('/%2e%2e/%2F%2Fevil.example/net.onnx', PAGE)?.origin).toBe('https://example.org');
  });

  it('refuses anything that could leave the origin or is no plain path', () => {
    for (const path of ['//evil.example/net.onnx', '/\\evil.example/net.onnx', '\\/evil.example/net.onnx', 'http://evil.example/net.onnx', 'https://example.org/net.onnx',
      'data:,x.onnx', 'net.onnx', '/\t/evil.example/net.onnx', '/net.onnx?x', '', '/', '/net.txt']) {
      expect(siteModelUrl(path, PAGE), path).toBeNull();
    }
  });

  it('refuses when the page itself is not on the web (file:, data:, about:) or its address is broken', () => {
    expect(siteModelUrl('/net.onnx', 'file:///home/me/index.html')).toBeNull();
    expect(siteModelUrl('/net.onnx', 'about:blank')).toBeNull();
    expect(siteModelUrl('/net.onnx', 'not a url')).toBeNull();
  });

  it('agrees with the URL parser on every path the grammar lets through (random paths over a hostile alphabet)', () => {
    const alphabet = ['/', '\\', '.', ':', '%', '2', 'f', 'F', 'e', '@', ' ', '\t', '?', '#', 'a', 'é', '..', '//', '%2F', '%5C', 'http:', 'onnx'];
    let seed = 12345;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const path = Array.from({ length: 1 + Math.floor(next() * 10) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('') + (next() < 0.8 ? '.onnx' : '');
      const ref = parseModelRef(`url:${path}`);
      const url = siteModelUrl(path, PAGE);
      if (ref) {
        // whatever the grammar takes resolves on the page's origin
        expect(url?.origin, path).toBe('https://example.org');
      } else expect(url, path).toBeNull();
    }
  });
});

describe('localModelName', () => {
  it('makes a file name into a name a local: link carries', () => {
    expect(localModelName('resnet18.onnx')).toBe('resnet18');
    expect(localModelName('My Net (v2).ONNX')).toBe('My Net (v2)');
    expect(localModelName('C:\\models\\a/b:c?.onnx')).toBe('b-c-');
    expect(localModelName('.hidden.onnx')).toBe('hidden');
    expect(localModelName('.onnx')).toBe('model');
    expect(localModelName('<script>.onnx')).toBe('-script-');
    for (const name of ['x'.repeat(300) + '.onnx', '   spaces   .onnx', '💥💥.onnx', '\u0000.onnx', 'ünïcode.onnx', '...', 'a:b']) {
      const local = localModelName(name);
      expect(parseModelRef(`local:${local}`), name).toEqual({ kind: 'local', name: local });
    }
  });
});
