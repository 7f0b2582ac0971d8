// The circuit query a view state asks for: the one place where the page and the command line
// turn what a link says into what the worker's session runs.

import type { ViewState } from './url';
import type { CircuitQuery } from '../worker/protocol';

export function queryOfState(state: Pick<ViewState, 'target' | 'images' | 'criterion' | 'cut' | 'perLayer' | 'linear'>): CircuitQuery {
  return { target: state.target, images: state.images, criterion: state.criterion, cut: { ...state.cut }, perLayer: state.perLayer, linear: state.linear };
}
