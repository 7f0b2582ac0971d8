// The target marked in the graph: a ring round the target node, or a frame round the target
// layer (class and loss targets), drawn in screen space over the nodes each frame.

import { Graphics } from 'pixi.js';
import { TARGET_COLOR } from './legend';

/** A node or a whole layer, with the tag shown beside it. */
export interface GraphTarget {
  kind: 'node' | 'layer';
  id: number;
  text?: string;
}

export class TargetMarker {
  readonly graphics = new Graphics({ label: 'target' });

  /** Ring of radius `r` (px) at `at`, or a frame round the screen box; null clears. */
  draw(shape: { ring: { x: number; y: number; r: number } } | { frame: { x: number; y: number; w: number; h: number } } | null): void {
    const g = this.graphics;
    g.clear();
    if (!shape) return;
    if ('ring' in shape) {
      const { x, y, r } = shape.ring;
      g.circle(x, y, r).stroke({ color: 0xffffff, width: 6, alpha: 0.9 });
      g.circle(x, y, r).stroke({ color: TARGET_COLOR.hex, width: 3 });
    } else {
      const { x, y, w, h } = shape.frame;
      g.roundRect(x, y, w, h, 8).stroke({ color: 0xffffff, width: 5, alpha: 0.9 });
      g.roundRect(x, y, w, h, 8).stroke({ color: TARGET_COLOR.hex, width: 2.5 });
    }
  }

  destroy(): void {
    this.graphics.destroy();
  }
}
