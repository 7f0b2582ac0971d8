// Command-line options of the visualization commands: pairs and flags parse, an option the
// command does not know is refused by name (a typo must not silently fall back to a default),
// and the visualization options reach the settings.

import { describe, it, expect } from 'vitest';
import { parseArgs, vizSettingsFromArgs, VIZ_OPTIONS } from '../../tools/cli/args';

describe('command-line options', () => {
  it('parses pairs, --key=value and flags; refuses unknown options when told the known ones', () => {
    expect(parseArgs(['--steps', '40', '--lr=0.2', '--no-transforms'])).toEqual({ steps: '40', lr: '0.2', 'no-transforms': 'true' });
    expect(parseArgs(['--polish', '0.5', '--help'], ['model', ...VIZ_OPTIONS])).toEqual({ polish: '0.5', help: 'true' });
    expect(() => parseArgs(['--model', 'x', '--polish-steps', '64'], ['model', ...VIZ_OPTIONS])).toThrow(/unknown option --polish-steps: expected --model, .*--polish\b/);
    expect(() => parseArgs(['stray'])).toThrow(/unexpected argument "stray"/);
  });

  it('visualization options reach the settings, and bad values are refused', () => {
    const s = vizSettingsFromArgs(parseArgs(['--steps', '40', '--lr', '0.2', '--polish', '0.25', '--warmup-steps', '8', '--no-transforms', '--seed', '5']), 'seed');
    expect(s).toMatchObject({ steps: 40, lr: 0.2, polish: 0.25, warmupSteps: 8, transforms: false, seed: 5 });
    expect(vizSettingsFromArgs({}, 'seed')).toMatchObject({ steps: 224, lr: 0.15, polish: 0.5, transforms: true });
    expect(() => vizSettingsFromArgs({ polish: '2' }, 'seed')).toThrow(/polish 2/);
  });
});
