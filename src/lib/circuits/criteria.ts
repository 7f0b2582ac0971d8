// The saliency criteria by name: one list for the circuits that score with them, the link's
// `criterion` parameter, the worker and the command line. No GPU code, so the page imports it.

export type Criterion = 'actgrad' | 'actgrad-mean' | 'snip' | 'force' | 'magnitude' | 'random';
export const CRITERIA: Criterion[] = ['actgrad', 'actgrad-mean', 'snip', 'force', 'magnitude', 'random'];
