// Feature-visualization thumbnails beside the nodes once the graph is zoomed in far enough to
// tell them apart: sprites in screen space, left of each visible node, one texture per node made
// the first time it is seen and kept until the source of thumbnails changes.

import { BufferImageSource, Container, Graphics, Sprite, Texture } from 'pixi.js';

export interface Thumbnail {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** A node's thumbnail, or null when it has none. */
export type ThumbnailSource = (node: number) => Thumbnail | null;

export const THUMBNAIL_MIN_PX = 16;
export const THUMBNAIL_MAX_PX = 72;

/**
 * The side of a thumbnail in screen pixels at `zoom` (screen pixels per world unit; node rows
 * are one unit apart, so thumbnails of neighbours never overlap), or 0 while too small to read.
 */
export function thumbnailSide(zoom: number): number {
  const side = Math.min(THUMBNAIL_MAX_PX, Math.floor(0.85 * zoom));
  return side >= THUMBNAIL_MIN_PX ? side : 0;
}

export class NodeThumbnails {
  readonly container = new Container({ label: 'thumbnails' });
  private source: ThumbnailSource | null = null;
  private textures = new Map<number, Texture | null>();
  private sprites: Sprite[] = [];
  private frames = new Graphics({ label: 'thumbnail frames' });
  /** How many thumbnails the last `place` drew. */
  shown = 0;

  constructor() {
    this.container.addChild(this.frames);
  }

  get hasSource(): boolean {
    return this.source !== null;
  }

  /** A new source (another model or atlas; null: none): textures made from the old one go. */
  setSource(source: ThumbnailSource | null): void {
    if (source === this.source) return;
    this.source = source;
    this.dropTextures();
  }

  /**
   * Draws the thumbnails of `nodes`, each with its right edge `gap` pixels left of the node's
   * screen position `at(node)`, `side` pixels wide; side 0 hides them all.
   */
  place(nodes: number[], at: (node: number) => { x: number; y: number }, side: number, gap: number): void {
    this.frames.clear();
    let k = 0;
    if (side > 0 && this.source) {
      for (const n of nodes) {
        const texture = this.textureOf(n);
        if (!texture) continue;
        const sprite = this.sprites[k] ?? this.addSprite();
        sprite.texture = texture;
        const height = Math.round((side * texture.height) / texture.width);
        const s = at(n);
        const x = Math.round(s.x - gap - side), y = Math.round(s.y - height / 2);
        sprite.position.set(x, y);
        sprite.width = side;
        sprite.height = height;
        sprite.visible = true;
        this.frames.rect(x - 0.5, y - 0.5, side + 1, height + 1);
        k++;
      }
      if (k) this.frames.stroke({ color: 0x9aa3ad, width: 1 });
    }
    for (let i = k; i < this.sprites.length; i++) this.sprites[i].visible = false;
    this.shown = k;
  }

  destroy(): void {
    this.dropTextures();
    this.container.destroy({ children: true });
  }

  private addSprite(): Sprite {
    const sprite = new Sprite();
    this.container.addChild(sprite);
    this.sprites.push(sprite);
    return sprite;
  }

  private textureOf(node: number): Texture | null {
    if (this.textures.has(node)) return this.textures.get(node)!;
    const t = this.source?.(node) ?? null;
    const texture = t && t.width > 0 && t.height > 0 && t.rgba.length === t.width * t.height * 4
      ? new Texture({
        source: new BufferImageSource({
          resource: new Uint8Array(t.rgba.buffer, t.rgba.byteOffset, t.rgba.byteLength),
          width: t.width, height: t.height, format: 'rgba8unorm', scaleMode: 'nearest', alphaMode: 'premultiplied-alpha',
        }),
      })
      : null;
    this.textures.set(node, texture);
    return texture;
  }

  private dropTextures(): void {
    for (const s of this.sprites) {
      s.texture = Texture.EMPTY;
      s.visible = false;
    }
    for (const t of this.textures.values()) t?.destroy(true);
    this.textures.clear();
  }
}
