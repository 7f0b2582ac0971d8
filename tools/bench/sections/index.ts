// The benchmark's sections, run in this order. Matmul comes first: every other row is
// reported as a ratio to the best matmul rate of the same run. Add new sections here.

import type { BenchSection } from '../types';
import { matmulSection } from './matmul';
import { convSection } from './conv';
import { tfjsSection } from './tfjs';
import { querySection } from './query';
import { graphSection } from './graph';
import { importedSection } from './imported';
import { firstCircuitSection } from './firstCircuit';

export const SECTIONS: BenchSection[] = [matmulSection, convSection, tfjsSection, querySection, firstCircuitSection, importedSection, graphSection];
