// Which images the loaded model's circuits are scored on: its own, the visitor's (a folder, files
// or a .zip, decoded on this machine at the model's input size, with progress, time left and
// Cancel), or the demo photos for an imported model; and going back to its own. After a change the
// circuit is scored again; a query naming a class the new set lacks falls back to all images.

import { importImages, type ImportProgress } from '$lib/images/folder';
import type { GivenItems } from '$lib/images/sources';
import type { ImageSet } from '$lib/images/imageSet';
import { parseImages } from '$lib/circuits/querySpec';
import type { ModelSummary } from '$lib/worker/protocol';
import { loadDemoPhotos } from '$lib/ui/demoPhotos';
import { EtaClock, formatTimeLeft } from './eta';
import { messageOf } from './viewClient';
import type { MicroscopeView } from './microscopeView.svelte';

const fmt = (n: number) => n.toLocaleString('en-US');
const classCount = (n: number) => `${fmt(n)} class${n === 1 ? '' : 'es'}`;

export class ImageSets {
  running = $state(false);
  progress = $state.raw<ImportProgress | null>(null);
  /** "about 12 s left", or '' while unknown. */
  timeLeft = $state('');
  /** Why the last change did not happen, and what was left out of the last set made (files skipped, the cap), for the model they were for. */
  private notes = $state.raw<{ model: ModelSummary | null; error: string | null; warnings: string[] }>({ model: null, error: null, warnings: [] });
  /** The images in use when not the model's own, for the model they were made for. */
  private replaced = $state.raw<{ model: ModelSummary; label: string; kind: 'yours' | 'demo'; own: ImageSet | null } | null>(null);
  private controller: AbortController | null = null;

  constructor(private readonly view: MicroscopeView) {}

  /** What the images in use are, when not the model's own: "your images (12 in 2 classes)", "the demo photos". */
  get label(): string | null {
    return this.current?.label ?? null;
  }

  get error(): string | null {
    return this.notes.model === this.view.scope.model ? this.notes.error : null;
  }

  get warnings(): string[] {
    return this.notes.model === this.view.scope.model ? this.notes.warnings : [];
  }

  private note(error: string | null, warnings: string[] = []): void {
    this.notes = { model: this.view.scope.model, error, warnings };
  }

  /** Whose images are in use. */
  get kind(): 'model' | 'yours' | 'demo' {
    return this.current?.kind ?? 'model';
  }

  /** Whether the model has images of its own (to go back to, once others are in use). */
  get modelHasImages(): boolean {
    const current = this.current;
    return current ? !!current.own : !!this.view.scope.images;
  }

  private get current() {
    const r = this.replaced;
    return r && r.model === this.view.scope.model ? r : null;
  }

  /**
   * What the visitor dropped or picked, decoded at the model's input size and used. Takes a drop's
   * items at once: call it inside the drop (or change) handler.
   */
  importFrom(items: GivenItems): Promise<void> {
    const model = this.view.scope.model;
    if (!model) {
      this.note('Load a model first: your images are made at its input size.');
      return Promise.resolve();
    }
    const controller = this.begin();
    const eta = new EtaClock();
    const pending = importImages(items, model.input, {
      signal: controller.signal,
      onProgress: (p) => {
        if (this.controller !== controller) return;
        this.progress = p;
        this.timeLeft = formatTimeLeft(eta.update(p));
      },
    });
    return this.finish(controller, model, async () => {
      const set = await pending;
      return { set, label: `your images (${fmt(set.count)} in ${classCount(set.classes.length)})`, kind: 'yours' as const, warnings: set.warnings };
    });
  }

  /** The site's demo photos at the model's input size (for models that bring no images). */
  useDemoPhotos(): Promise<void> {
    const model = this.view.scope.model;
    if (!model) return Promise.resolve();
    const controller = this.begin();
    this.progress = { phase: 'Loading the demo photos', done: 0, total: 0 };
    return this.finish(controller, model, async () => {
      const { channels, height, width } = model.input;
      return { set: await loadDemoPhotos(channels, height, width), label: 'the demo photos', kind: 'demo' as const, warnings: [] };
    });
  }

  /** The model's own images again. */
  async backToModelImages(): Promise<void> {
    const current = this.current;
    if (!current?.own) return;
    this.cancel();
    const why = await this.view.scope.useImageSet(current.own);
    this.note(why);
    if (why) return;
    this.replaced = null;
    this.afterChange(current.own);
  }

  /** Stops the import running (nothing changes). */
  cancel(): void {
    this.controller?.abort(new DOMException('The import was cancelled.', 'AbortError'));
    this.controller = null;
    this.running = false;
    this.progress = null;
  }

  private begin(): AbortController {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    this.running = true;
    this.note(null);
    this.timeLeft = '';
    this.progress = { phase: 'Looking for images', done: 0, total: 0 };
    return controller;
  }

  /** Makes the set and uses it, unless cancelled or another model came meanwhile. */
  private async finish(
    controller: AbortController,
    model: ModelSummary,
    make: () => Promise<{ set: ImageSet; label: string; kind: 'yours' | 'demo'; warnings: string[] }>,
  ): Promise<void> {
    const stale = () => this.controller !== controller || this.view.scope.model !== model;
    try {
      const { set, label, kind, warnings } = await make();
      if (stale()) return;
      this.progress = { phase: 'Sending the images to the GPU worker', done: 0, total: 0 };
      const own = this.current ? this.current.own : this.view.scope.images;
      const why = await this.view.scope.useImageSet(set);
      if (stale()) return;
      this.note(why, why ? [] : warnings);
      if (why) return;
      this.replaced = { model, label, kind, own };
      this.afterChange(set);
    } catch (err) {
      if (!stale() && !controller.signal.aborted) this.note(messageOf(err));
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.running = false;
        this.progress = null;
      }
    }
  }

  /** The view follows the new set: its first image, the circuit scored again, no stale preservation. */
  private afterChange(set: ImageSet): void {
    const view = this.view;
    view.query.reset();
    void view.preservation.cancel();
    view.preservation.result = null;
    view.state.image = null;
    let fits = true;
    try {
      parseImages(view.state.images, set.classes, set.count);
    } catch {
      fits = false;
    }
    // a query naming a class this set lacks asks for all images; the circuit follows the state
    if (!fits) view.state.images = 'all';
    else void view.runQuery();
  }

  destroy(): void {
    this.cancel();
  }
}
