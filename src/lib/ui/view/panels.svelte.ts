// Whether the controls (left) and inspector (right) panels are open: a local preference kept in
// this browser (localStorage), never in the link. Without one, a wide screen opens both and a
// narrower one only the controls, so the graph keeps most of the screen.

const KEY = 'microscope.panels';
/** From this window width on, the inspector opens by default beside the graph. */
export const WIDE_SCREEN = 1600;

export class PanelPrefs {
  left = $state(true);
  right = $state(false);

  /** Reads the stored preference, else the default for a window `width` px wide. */
  load(width: number): void {
    this.left = true;
    this.right = width >= WIDE_SCREEN;
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as { left?: unknown; right?: unknown } | null;
      if (typeof saved?.left === 'boolean') this.left = saved.left;
      if (typeof saved?.right === 'boolean') this.right = saved.right;
    } catch {
      // no storage (private mode) or a bad value: the defaults stand
    }
  }

  toggle(side: 'left' | 'right'): void {
    this[side] = !this[side];
    this.save();
  }

  /** Opens a panel for what the page shows (the inspector on a selection) without changing the stored preference. */
  reveal(side: 'left' | 'right'): void {
    this[side] = true;
  }

  private save(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify({ left: this.left, right: this.right }));
    } catch {
      // storage refused: the panels still toggle for this visit
    }
  }
}
