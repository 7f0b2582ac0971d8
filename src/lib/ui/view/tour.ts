// The classroom tour as data: each step's title, a few plain sentences and the view state it
// shows (model, image, selection, target, criterion, cut, ablation), so `?tour=N` opens step N's
// view directly. The steps walk the digits model from a drawn digit to a circuit and its ablation.

import { defaultState, parseViewState, TOUR_LAST, type ViewState } from '$lib/state/url';

export interface TourStep {
  title: string;
  /** Two or three short paragraphs a 15-year-old follows. */
  text: string[];
  /** What the step shows, over the default view. */
  state: Partial<Omit<ViewState, 'tour'>>;
}

/** The digits model's prepared "3" (an evaluation image the network calls a 3, 83% sure), shown while nothing is drawn. */
export const TOUR_IMAGE = 351;
/** conv2:18 of digits: the strongest second-layer unit of the "3" circuit (actgrad, keep 5%); without it, image 351 reads as a 5. */
const CONV2_UNIT = 35;

const digits = { model: 'digits', image: TOUR_IMAGE } as const;
const circuitOf3 = { ...digits, target: 'logit:3', images: 'class:3', cut: { kind: 'keep', value: 0.05 } } as const;

export const TOUR_STEPS: readonly TourStep[] = [
  {
    title: 'Look inside a neural network',
    text: [
      'This network reads handwritten digits. Every dot on screen is a filter: a small pattern detector. Every line is a kernel: how much one filter listens to another.',
      'In the next steps we give it a digit, watch each layer react, and find the few filters that really decide the answer.',
    ],
    state: { ...digits },
  },
  {
    title: '1. Draw a digit',
    text: [
      'Draw a digit in the black pad marked "draw a digit", with your mouse or finger. The network classifies it at once: the bars show how sure it is of each digit.',
      'Nothing drawn? Then we show it a "3" from its test images.',
    ],
    state: { ...digits },
  },
  {
    title: '2. What each layer sees',
    text: [
      'Each filter turns the image into a map: bright where it finds its pattern. The first layer finds edges and strokes; later layers combine them into curves and loops.',
      'The inspector on the right shows one filter of the second layer. Click any dot in the graph to see its map.',
    ],
    state: { ...digits, selection: { kind: 'node', id: CONV2_UNIT } },
  },
  {
    title: '3. Pick a class',
    text: [
      'Now we ask a question about one answer: the score the network gives to "3". This is the target.',
      'You can type another target in the Target field, for example logit:7.',
    ],
    state: { ...digits, target: 'logit:3' },
  },
  {
    title: '4. Its circuit',
    text: [
      'We keep only the 5% of kernels that matter most for "3" on pictures of threes, and hide the rest. What is left is the circuit: the small part of the network that does this job.',
      'Bright lines are kept. Most of the network is not needed for this answer.',
    ],
    state: { ...circuitOf3 },
  },
  {
    title: '5. Switch a filter off',
    text: [
      'We switch off the second-layer filter from step 2, as if cutting a wire (it turns purple). The inspector compares the prediction with and without it.',
      'Tick "clicks remove" above the graph and click other dots to switch them off too. Watch the prediction move.',
    ],
    state: { ...circuitOf3, selection: { kind: 'node', id: CONV2_UNIT }, removed: { nodes: [CONV2_UNIT], edges: [] } },
  },
  {
    title: '6. Two ways to choose',
    text: [
      'Which kernels matter? The first way ("actgrad") measures how much the answer changes without each kernel. This one ("magnitude") just keeps the biggest weights, without looking at any image.',
      'The card counts how many kernels both ways keep. Check preservation to see which circuit still does the job.',
    ],
    state: { ...circuitOf3, criterion: 'magnitude' },
  },
  {
    title: 'What we saw',
    text: [
      'A network is many small pattern detectors. For one answer, a small circuit of them does most of the work, and switching off a key filter changes what the network sees.',
      'Try it yourself: pick another digit, another target, or the clothing models in the Model menu.',
    ],
    state: { ...circuitOf3 },
  },
];

/** The whole view state of step `n` (0 to TOUR_LAST). */
export function tourStepState(n: number): ViewState {
  const step = TOUR_STEPS[Math.max(0, Math.min(TOUR_LAST, n))];
  return { ...defaultState(), ...structuredClone(step.state), tour: n };
}

/** Whether a link names a tour step and nothing else: it opens that step's view. */
export function isTourLink(search: string): boolean {
  const params = new URLSearchParams(search);
  return [...params.keys()].every((k) => k === 'tour') && parseViewState(params).state.tour !== null;
}

/** How many kernels two circuits (per-edge kept masks) keep, each and both. */
export function keptOverlap(a: Uint8Array, b: Uint8Array): { a: number; b: number; both: number } {
  let na = 0, nb = 0, both = 0;
  for (let i = 0; i < a.length; i++) {
    na += a[i];
    nb += b[i];
    both += a[i] & b[i];
  }
  return { a: na, b: nb, both };
}

/** The view state the tour moves (the page's ViewStore). */
export interface TourStore {
  tour: number | null;
  view: ViewState['view'];
  viewFromUrl: boolean;
  set(s: ViewState): void;
}

/** Shows step `n` (clamped to the tour): its whole view state, the graph fitting itself. */
export function goToStep(store: TourStore, n: number): void {
  const step = Math.max(0, Math.min(TOUR_LAST, n));
  store.viewFromUrl = false;
  store.set({ ...tourStepState(step), view: store.view });
}

/** Leaves the tour; the view stays as it is. */
export function leaveTour(store: TourStore): void {
  store.tour = null;
}

/** The tour's keys: n / PageDown next, p / PageUp back, Esc leaves. True when the key was the tour's. */
export function tourKey(store: TourStore, key: string): boolean {
  const at = store?.tour ?? null;
  if (at === null) return false;
  if (key === 'Escape') leaveTour(store);
  else if (key === 'n' || key === 'PageDown') goToStep(store, at + 1);
  else if (key === 'p' || key === 'PageUp') goToStep(store, at - 1);
  else return false;
  return true;
}
