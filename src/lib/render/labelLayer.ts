// Draws placed labels with pixi.js Text objects (pooled per font, reused frame to frame) and
// measures text for the placement with the same styles, so a label's box is what is drawn.

import { CanvasTextMetrics, Container, Text, TextStyle } from 'pixi.js';
import type { LabelFont, PlacedLabel, TextMeasure } from './labels';
import { TARGET_COLOR } from './legend';

const halo = { color: 0xffffff, width: 3, join: 'round' as const };
const STYLES: Record<LabelFont, TextStyle> = {
  layer: new TextStyle({ fontFamily: 'system-ui, sans-serif', fontSize: 12, fontWeight: '600', fill: 0x3b4350, stroke: halo }),
  node: new TextStyle({ fontFamily: 'system-ui, sans-serif', fontSize: 11, fill: 0x14171c, stroke: halo }),
  tag: new TextStyle({ fontFamily: 'system-ui, sans-serif', fontSize: 12, fontWeight: '700', fill: TARGET_COLOR.hex, stroke: halo }),
};

export class LabelLayer implements TextMeasure {
  readonly container = new Container({ label: 'labels' });
  private pools: Record<LabelFont, Text[]> = { layer: [], node: [], tag: [] };
  private widths = new Map<string, number>();
  private heights = new Map<LabelFont, number>();

  width(text: string, font: LabelFont): number {
    const key = `${font}\n${text}`;
    let w = this.widths.get(key);
    if (w === undefined) {
      if (this.widths.size > 20_000) this.widths.clear();
      w = CanvasTextMetrics.measureText(text, STYLES[font]).width;
      this.widths.set(key, w);
    }
    return w;
  }

  height(font: LabelFont): number {
    let h = this.heights.get(font);
    if (h === undefined) {
      h = Math.ceil(CanvasTextMetrics.measureText('Ag', STYLES[font]).height);
      this.heights.set(font, h);
    }
    return h;
  }

  /** Shows exactly the placed labels. */
  draw(placed: PlacedLabel[]): void {
    const used: Record<LabelFont, number> = { layer: 0, node: 0, tag: 0 };
    for (const p of placed) {
      const pool = this.pools[p.font];
      let t = pool[used[p.font]];
      if (!t) {
        t = new Text({ text: '', style: STYLES[p.font] });
        this.container.addChild(t);
        pool.push(t);
      }
      used[p.font]++;
      if (t.text !== p.text) t.text = p.text;
      t.label = `${p.font} ${p.full}`;
      t.position.set(p.x, p.y);
      t.visible = true;
    }
    for (const font of Object.keys(this.pools) as LabelFont[]) {
      for (let i = used[font]; i < this.pools[font].length; i++) this.pools[font][i].visible = false;
    }
  }

  destroy(): void {
    this.container.destroy({ children: true });
  }
}
