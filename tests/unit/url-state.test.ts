// The view state in the URL (image number, per-layer and linear switches and ablated parts included): exact round trips (hand-picked and random states), one warning per
// bad parameter, and a fuzz test of thousands of garbled and hostile query strings that must
// never throw and always give a valid state with markup-free warnings.
import { describe, expect, it } from 'vitest';
import { CRITERIA, DEFAULT_STATE, LAYOUTS, isValidState, parseViewState, viewStateToParams, type ViewState } from '../../src/lib/state/url';
import { rng } from '../helpers/random';

const roundTrip = (s: ViewState) => parseViewState(viewStateToParams(s).toString());

describe('view state in the URL', () => {
  it('the default state is an empty query, and back', () => {
    expect(viewStateToParams(DEFAULT_STATE).toString()).toBe('');
    expect(parseViewState('')).toEqual({ state: DEFAULT_STATE, warnings: [] });
  });

  it('round trips a full state exactly', () => {
    const s: ViewState = {
      model: 'fashion-vgg', target: 'node:conv2_1:12', images: 'T-shirt/top - 0.5*all', criterion: 'force',
      cut: { kind: 'threshold', value: 0.12345678901234568 }, perLayer: false, linear: true, layout: 'mds', selection: { kind: 'edge', id: 4294967295 },
      image: 4294967295, removed: { nodes: [7, 0, 4294967295], edges: [12, 3] }, precision: 'fast', view: { x: -1234.5678e-3, y: 1e-300, zoom: 3.3333333333333335 }, show: 'diagram', tour: 7,
    };
    const r = roundTrip(s);
    expect(r.warnings).toEqual([]);
    expect(r.state).toEqual(s);
    expect(parseViewState('?model=digits&keep=0.05&select=node:3&layout=sorted&image=17&perlayer=0').state).toMatchObject({
      model: 'digits', cut: { kind: 'keep', value: 0.05 }, selection: { kind: 'node', id: 3 }, layout: 'sorted', image: 17, perLayer: false,
    });
  });

  it('names each bad parameter and keeps the good ones', () => {
    const { state, warnings } = parseViewState('model=../etc&criterion=best&keep=2&layout=3d&select=node:-1&x=NaN&zoom=0&images=<b>hi</b>&target=logit:3');
    expect(state).toEqual({ ...DEFAULT_STATE, target: 'logit:3' });
    expect(warnings).toHaveLength(8);
    for (const key of ['model', 'criterion', 'keep', 'layout', 'select', 'x', 'zoom', 'images']) {
      expect(warnings.some((w) => w.startsWith(`parameter "${key}"`)), key).toBe(true);
    }
    expect(warnings.join(' ')).not.toMatch(/[<>]/);
  });

  it('precision=fast asks for f16 weights; absent is exact; anything else is a warning naming it', () => {
    expect(parseViewState('precision=fast').state.precision).toBe('fast');
    expect(parseViewState('precision=exact').state.precision).toBe('exact');
    expect(viewStateToParams({ ...DEFAULT_STATE, precision: 'fast' }).toString()).toBe('precision=fast');
    expect(viewStateToParams({ ...DEFAULT_STATE, precision: 'exact' }).toString()).toBe('');
    const bad = parseViewState('precision=half&keep=0.2');
    expect(bad.state.precision).toBe('exact');
    expect(bad.state.cut).toEqual({ kind: 'keep', value: 0.2 });
    expect(bad.warnings).toHaveLength(1);
    expect(bad.warnings[0]).toMatch(/^parameter "precision" = "half" ignored: expected fast or exact/);
  });

  it('show=diagram opens the circuit diagram; anything else is a warning naming it', () => {
    expect(parseViewState('show=diagram').state.show).toBe('diagram');
    expect(viewStateToParams({ ...DEFAULT_STATE, show: 'diagram' }).toString()).toBe('show=diagram');
    const bad = parseViewState('show=graph&keep=0.2');
    expect(bad.state.show).toBeNull();
    expect(bad.state.cut).toEqual({ kind: 'keep', value: 0.2 });
    expect(bad.warnings).toEqual([expect.stringMatching(/^parameter "show" = "graph" ignored: expected diagram/)]);
    expect(isValidState({ ...DEFAULT_STATE, show: 'other' as never })).toBe(false);
  });

  it('takes a target at one map position (node:L:c@y,x) from a link', () => {
    const { state, warnings } = parseViewState(`target=${encodeURIComponent('node:conv2:1@3,4')}`);
    expect(warnings).toEqual([]);
    expect(state.target).toBe('node:conv2:1@3,4');
  });

  it('the image number and per-layer switch reject anything but their own syntax', () => {
    for (const bad of ['-1', '1.5', '1e3', '4294967296', 'x', '', ' 3', '0x1']) {
      const r = parseViewState(`image=${encodeURIComponent(bad)}`);
      expect(r.state.image, bad).toBeNull();
      expect(r.warnings, bad).toEqual([expect.stringMatching(/^parameter "image"/)]);
    }
    expect(parseViewState('image=0').state.image).toBe(0);
    for (const bad of ['true', 'no', '2', '']) {
      const r = parseViewState(`perlayer=${bad}`);
      expect(r.state.perLayer, bad).toBe(DEFAULT_STATE.perLayer);
      expect(r.warnings, bad).toEqual([expect.stringMatching(/^parameter "perlayer"/)]);
    }
    // per-layer normalization is on by default; perlayer=0 turns it off and is the only form written
    expect(parseViewState('perlayer=1')).toEqual({ state: DEFAULT_STATE, warnings: [] });
    expect(parseViewState('perlayer=0').state.perLayer).toBe(false);
    expect(viewStateToParams({ ...DEFAULT_STATE, perLayer: false }).toString()).toBe('perlayer=0');
  });

  it('linear=1 prunes linear layers too; off by default, and a garbled value is a warning', () => {
    expect(DEFAULT_STATE.linear).toBe(false);
    expect(parseViewState('linear=1')).toEqual({ state: { ...DEFAULT_STATE, linear: true }, warnings: [] });
    expect(parseViewState('linear=0')).toEqual({ state: DEFAULT_STATE, warnings: [] });
    expect(viewStateToParams({ ...DEFAULT_STATE, linear: true }).toString()).toBe('linear=1');
    expect(viewStateToParams(DEFAULT_STATE).has('linear')).toBe(false);
    for (const bad of ['true', 'yes', '2', '', ' 1', '1.0', '<b>1</b>']) {
      const r = parseViewState(`linear=${encodeURIComponent(bad)}&perlayer=0`);
      expect(r.state, bad).toEqual({ ...DEFAULT_STATE, perLayer: false });
      expect(r.warnings, bad).toEqual([expect.stringMatching(/^parameter "linear" = .* ignored: expected 1 or 0$/)]);
      expect(r.warnings[0]).not.toMatch(/[<>]/);
    }
  });

  it('ablated parts: node:N and edge:N, repeats dropped, anything else refused whole', () => {
    expect(parseViewState('ablate=node:3,edge:17,node:3,edge:0').state.removed).toEqual({ nodes: [3], edges: [17, 0] });
    expect(viewStateToParams({ ...DEFAULT_STATE, removed: { nodes: [3], edges: [17, 0] } }).get('ablate')).toBe('node:3,edge:17,edge:0');
    for (const bad of ['node:3,kernel:4', 'node:-1', 'edge:4294967296', 'node:1.5', 'node:3;edge:4']) {
      const r = parseViewState(`ablate=${encodeURIComponent(bad)}`);
      expect(r.state.removed, bad).toEqual({ nodes: [], edges: [] });
      expect(r.warnings, bad).toEqual([expect.stringMatching(/^parameter "ablate"/)]);
    }
    const many = parseViewState(`ablate=${Array.from({ length: 1001 }, (_, i) => `edge:${i}`).join(',')}`);
    expect(many.state.removed.edges).toEqual([]);
    expect(many.warnings).toEqual([expect.stringMatching(/^parameter "ablate".*at most 1000/)]);
  });

  it('keep wins over threshold; a bad keep lets a good threshold through', () => {
    const a = parseViewState('keep=0.3&threshold=0.5');
    expect(a.state.cut).toEqual({ kind: 'keep', value: 0.3 });
    expect(a.warnings).toEqual([expect.stringMatching(/^parameter "threshold".*keep/)]);
    const b = parseViewState('keep=zero&threshold=0.5');
    expect(b.state.cut).toEqual({ kind: 'threshold', value: 0.5 });
    expect(b.warnings).toHaveLength(1);
  });

  it('round trips thousands of random valid states', () => {
    const r = rng(12345);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
    const num = () => pick([0, 1, -1, r(), -r() * 1e6, r() * 1e-8, Math.fround(r()), 1 / 3, 123456789.123]);
    const words = ['all', 'Sandal - all', 'class:Bag', 'logit:7', 'node:conv1:0', 'T-shirt/top', 'Ankle boot + 2*Sneaker', "l'été", 'ΣΩ 12'];
    for (let i = 0; i < 3000; i++) {
      const s: ViewState = {
        model: pick(['fashion-small', 'digits', 'a', 'X_9-y']),
        target: pick(words),
        images: pick(words),
        criterion: pick(CRITERIA),
        cut: r() < 0.5 ? { kind: 'keep', value: Math.max(r(), 1e-9) } : { kind: 'threshold', value: r() },
        perLayer: r() < 0.5,
        linear: r() < 0.5,
        layout: pick(LAYOUTS),
        selection: r() < 0.3 ? null : { kind: r() < 0.5 ? 'node' : 'edge', id: Math.floor(r() * 1e6) },
        image: r() < 0.3 ? null : Math.floor(r() * 1e5),
        removed: {
          nodes: [...new Set(Array.from({ length: r() < 0.5 ? 0 : Math.floor(r() * 5) }, () => Math.floor(r() * 1e4)))],
          edges: [...new Set(Array.from({ length: r() < 0.5 ? 0 : Math.floor(r() * 5) }, () => Math.floor(r() * 1e6)))],
        },
        precision: r() < 0.5 ? 'exact' : 'fast',
        view: { x: num(), y: num(), zoom: Math.max(1e-6, r() * 100) },
        show: r() < 0.5 ? null : 'diagram',
        tour: r() < 0.5 ? null : Math.floor(r() * 8),
      };
      expect(isValidState(s)).toBe(true);
      const back = roundTrip(s);
      expect(back.warnings).toEqual([]);
      expect(back.state).toEqual(s);
    }
  });

  it('fuzz: garbled and hostile query strings never throw and give a valid state', () => {
    const r = rng(777);
    const keys = ['model', 'target', 'images', 'criterion', 'keep', 'threshold', 'perlayer', 'linear', 'layout', 'select', 'ablate', 'image', 'x', 'y', 'zoom', '__proto__', 'constructor', ''];
    const nasty = [
      '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)', '%', '%E0%A4%A', '%00', '\u0000\u202e', '\ud800',
      '1e999', '-1e-999', 'Infinity', 'NaN', '0x10', '1_000', ' 0.5 ', '+.5', '5.', '', '&&&', '===', 'node:99999999999', 'edge:1.5',
      'x'.repeat(5000), '💥', 'actgrad', 'grid', '0.5', '1', '0', '-0', 'node:1', 'loss',
      'node:1,edge:2', 'node:1,,edge:2,', 'edge:-1', 'node:1,edge:x', 'nodes:3', Array.from({ length: 1200 }, (_, i) => `edge:${i}`).join(','),
    ];
    const alphabet = 'abc=&%?#+ .:-_/<>"\'\\0123456789eE\u00e9\u4e2d';
    for (let i = 0; i < 5000; i++) {
      let q: string;
      if (r() < 0.5) {
        q = Array.from({ length: 1 + Math.floor(r() * 6) }, () => {
          const k = keys[Math.floor(r() * keys.length)];
          const v = nasty[Math.floor(r() * nasty.length)];
          return r() < 0.5 ? `${k}=${encodeURIComponent(v.toWellFormed())}` : `${k}=${v}`;
        }).join(r() < 0.9 ? '&' : ';');
      } else {
        q = Array.from({ length: Math.floor(r() * 80) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      }
      const { state, warnings } = parseViewState(q);
      expect(isValidState(state), q).toBe(true);
      for (const w of warnings) {
        expect(typeof w).toBe('string');
        expect(w, q).not.toMatch(/[<>&`\u0000-\u001f]/);
        expect(w.length).toBeLessThan(300);
      }
      // whatever came in, what goes out round trips
      expect(roundTrip(state).state).toEqual(state);
    }
  });
});
