// Command-line options: pairs and flags parse, an option the command does not know is refused
// by name (a typo must not silently fall back to a default), the visualization options reach the
// settings, and the circuit command reads as a page link: the page's defaults, old spellings as
// aliases, --link with options over it, and the link it prints asks the same query.

import { describe, it, expect } from 'vitest';
import { parseArgs, vizSettingsFromArgs, VIZ_OPTIONS } from '../../tools/cli/args';
import { circuitCommand, targetAlias } from '../../tools/cli/query';
import { DEFAULT_STATE, parseViewState } from '../../src/lib/state/url';

describe('command-line options', () => {
  it('parses pairs, --key=value and flags; refuses unknown options when told the known ones', () => {
    expect(parseArgs(['--steps', '40', '--lr=0.2', '--no-transforms'])).toEqual({ steps: '40', lr: '0.2', 'no-transforms': 'true' });
    expect(parseArgs(['--polish', '0.5', '--help'], ['model', ...VIZ_OPTIONS])).toEqual({ polish: '0.5', help: 'true' });
    expect(() => parseArgs(['--model', 'x', '--polish-steps', '64'], ['model', ...VIZ_OPTIONS])).toThrow(/unknown option --polish-steps: expected --model, .*--polish\b/);
    expect(() => parseArgs(['stray'])).toThrow(/unexpected argument "stray"/);
    expect(() => parseArgs(['--a', '1', '--b', '--c=2'], ['model'])).toThrow(/unknown options --a, --b, --c: expected --model/);
    expect(() => parseArgs(['--model', 'x', '--model=y'])).toThrow(/option --model is given twice/);
  });

  it('visualization options reach the settings, and bad values are refused', () => {
    const s = vizSettingsFromArgs(parseArgs(['--steps', '40', '--lr', '0.2', '--polish', '0.25', '--warmup-steps', '8', '--no-transforms', '--seed', '5']), 'seed');
    expect(s).toMatchObject({ steps: 40, lr: 0.2, polish: 0.25, warmupSteps: 8, transforms: false, seed: 5 });
    expect(vizSettingsFromArgs({}, 'seed')).toMatchObject({ steps: 224, lr: 0.15, polish: 0.5, transforms: true });
    expect(() => vizSettingsFromArgs({ polish: '2' }, 'seed')).toThrow(/polish 2/);
  });
});

describe('the circuit command reads as a page link', () => {
  const run = (...argv: string[]) => circuitCommand(argv);

  it('has the page\'s defaults', () => {
    const d = DEFAULT_STATE;
    const c = run();
    expect(c.state.model).toBe(d.model);
    expect(c.query).toEqual({ target: d.target, images: d.images, criterion: d.criterion, cut: d.cut, perLayer: d.perLayer, linear: d.linear });
    expect(c).toMatchObject({ link: '', preservation: false, json: null, help: false });
  });

  it('takes the link\'s parameters as options', () => {
    const c = run('--model', 'digits', '--target', 'node:conv2:3:max', '--images', 'Sandal - all', '--criterion', 'snip',
      '--threshold', '0.3', '--perlayer', '0', '--linear', '1', '--scoring-images', '8', '--json', 'out.json');
    expect(c.state.model).toBe('digits');
    expect(c.query).toEqual({
      target: 'node:conv2:3:max', images: 'Sandal - all', criterion: 'snip', cut: { kind: 'threshold', value: 0.3 }, perLayer: false, linear: true, scoringImages: 8,
    });
    expect(c.json).toBe('out.json');
    expect(run('--linear').query.linear).toBe(true);
    expect(run('--target', 'direction:conv1:0=1,3=-0.5').query.target).toBe('direction:conv1:0=1,3=-0.5');
  });

  it('keeps the old spellings as aliases', () => {
    expect(targetAlias('class:Sandal')).toBe('logit:Sandal');
    expect(targetAlias('conv4:12')).toBe('node:conv4:12');
    expect(targetAlias('conv4:12:max')).toBe('node:conv4:12:max');
    expect(targetAlias(' conv4:12@3,4 ')).toBe('node:conv4:12@3,4');
    for (const t of ['loss', 'logit:3', 'prob:Bag', 'node:conv1:1', 'direction:fc:1=2', 'Sandal']) expect(targetAlias(t)).toBe(t);
    expect(run('--target', 'class:Sandal').query.target).toBe('logit:Sandal');
    expect(run('--link', '?perlayer=0', '--per-layer').query.perLayer).toBe(true);
    expect(() => run('--per-layer', '--perlayer', '0')).toThrow(/--perlayer or --per-layer, not both/);
  });

  it('reads a whole link, with options over its parameters, and prints the link of the same query', () => {
    const link = 'http://localhost:5173/?model=fashion-vgg&target=logit%3ASandal&images=class%3ABag&keep=0.2&perlayer=0&layout=mds&select=node%3A4&zoom=3#x';
    const c = run('--link', link, '--threshold', '0.5', '--criterion', 'actgrad-mean');
    expect(c.state.model).toBe('fashion-vgg');
    expect(c.query).toEqual({ target: 'logit:Sandal', images: 'class:Bag', criterion: 'actgrad-mean', cut: { kind: 'threshold', value: 0.5 }, perLayer: false, linear: false });
    for (const form of [link, link.slice(link.indexOf('?')), link.slice(link.indexOf('?') + 1)]) {
      expect(run('--link', form).query.cut).toEqual({ kind: 'keep', value: 0.2 });
    }
    const printed = parseViewState(c.link).state;
    expect(printed).toMatchObject({ model: 'fashion-vgg', target: 'logit:Sandal', images: 'class:Bag', criterion: 'actgrad-mean', cut: { kind: 'threshold', value: 0.5 }, perLayer: false, linear: false });
    expect(c.link).not.toMatch(/layout|select|zoom/);
  });

  it('refuses unknown options, bad values and conflicts, naming them', () => {
    expect(() => run('--no-effective')).toThrow(/unknown option --no-effective: expected --model, --target/);
    expect(() => run('--seed', '3', '--per-layers')).toThrow(/unknown options --seed, --per-layers/);
    expect(() => run('--criterion', 'bogus')).toThrow(/parameter "criterion" = "bogus" ignored: expected one of actgrad/);
    expect(() => run('--keep', '2')).toThrow(/parameter "keep" = "2".*fraction in \(0, 1\]/);
    expect(() => run('--keep', '0.1', '--threshold', '0.2')).toThrow(/parameter "threshold" = "0.2" ignored: "keep" is given too/);
    expect(() => run('--perlayer', 'yes')).toThrow(/parameter "perlayer" = "yes" ignored: expected 1 or 0/);
    expect(() => run('--target', 'node:<b>')).toThrow(/parameter "target"/);
    expect(() => run('--target')).toThrow(/option --target needs a value/);
    expect(() => run('--scoring-images', '0')).toThrow(/--scoring-images "0": expected a whole number of images, at least 1/);
    expect(() => run('--eval-images', '2.5')).toThrow(/--eval-images "2.5"/);
    expect(() => run('--preservation', 'maybe')).toThrow(/--preservation "maybe"/);
  });

  it('asks for preservation with --preservation or --eval-images', () => {
    expect(run('--preservation').preservation).toBe(true);
    const c = run('--eval-images', '5');
    expect(c.preservation).toBe(true);
    expect(c.query.evaluationImages).toBe(5);
  });
});
