// Display states the highlight reducer writes and the edge and node shaders read (as floats in
// their state attributes). Kept free of pixi.js so plain-data code and tests can import them.

export const EDGE_FADED = 0;
export const EDGE_KEPT = 1;
export const EDGE_HIGHLIGHT = 2;
/** Removed by ablation (or touching a removed filter): drawn dashed in the removal colour, whatever else holds. */
export const EDGE_REMOVED = -1;

export const NODE_FADED = 0;
export const NODE_KEPT = 1;
export const NODE_HIGHLIGHT = 2;
export const NODE_SELECTED = 3;
/** A filter removed by ablation: drawn as a ring in the removal colour. */
export const NODE_REMOVED = -1;
