import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The panel as the sheet controller sees it. */
export type SheetHost = ReactiveControllerHost & HTMLElement & { open: boolean };

/**
 * The panel as a full-screen sheet on a small screen (issue 12). The panel's styles decide when
 * it is one (`position: fixed` below 480 px of width or height, see porthole-panel.styles.ts);
 * while it is open and a sheet, this controller:
 *
 * - locks the page's scroll (`overflow: hidden` on `<html>`) and, on close, restores the previous
 *   inline `overflow` and the scroll position exactly (iOS may have scrolled the page to show the
 *   focused input above the keyboard);
 * - keeps the sheet on the visual viewport: `visualViewport`'s `resize` and `scroll` (the
 *   on-screen keyboard, pinch zoom) set the sheet's top and height (`--vt`, `--vh` on the host),
 *   so the composer stays above the keyboard.
 *
 * Listeners are added on open and removed on close and on disconnect; once created, a rotation or
 * a resized window while open is followed (the sheet comes and goes with the media query). Never
 * renders. A lazy chunk: the panel creates it the first time it opens as a sheet (a desktop page
 * never loads it).
 *
 * @example
 * ```ts
 * // In the panel's updated(), once open and `getComputedStyle(this).position === 'fixed'`, with
 * // SheetController from this module (loaded lazily there):
 * this.#sheet ??= new SheetController(this);
 * ```
 */
export class SheetController implements ReactiveController {
  readonly #host: SheetHost;
  #listening = false;
  /** While the page is locked: `<html>`'s inline overflow before, and the scroll position. */
  #locked?: { overflow: string; x: number; y: number };

  constructor(host: SheetHost) {
    (this.#host = host).addController(this);
  }

  hostConnected(): void {
    this.hostUpdated();
  }

  hostUpdated(): void {
    if (this.#host.open === this.#listening) return;
    if (this.#host.open) this.#start();
    else this.#stop();
  }

  hostDisconnected(): void {
    this.#stop();
  }

  #start(): void {
    this.#listening = true;
    const vv = window.visualViewport;
    vv?.addEventListener('resize', this.#sync);
    vv?.addEventListener('scroll', this.#sync);
    this.#sync();
  }

  #stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    const vv = window.visualViewport;
    vv?.removeEventListener('resize', this.#sync);
    vv?.removeEventListener('scroll', this.#sync);
    this.#release();
  }

  #sync = (): void => {
    const host = this.#host;
    if (getComputedStyle(host).position !== 'fixed') return this.#release();
    if (!this.#locked) {
      const root = document.documentElement;
      this.#locked = { overflow: root.style.overflow, x: scrollX, y: scrollY };
      root.style.overflow = 'hidden';
    }
    const vv = window.visualViewport;
    if (!vv) return;
    host.style.setProperty('--vt', `${vv.offsetTop}px`);
    host.style.setProperty('--vh', `${vv.height}px`);
  };

  /** Unlocks the page where it was, and lets the sheet fill the layout viewport again. */
  #release(): void {
    const locked = this.#locked;
    this.#host.style.removeProperty('--vt');
    this.#host.style.removeProperty('--vh');
    if (!locked) return;
    this.#locked = undefined;
    document.documentElement.style.overflow = locked.overflow;
    // `instant`: a page with `scroll-behavior: smooth` would otherwise be seen scrolling back.
    if (scrollX !== locked.x || scrollY !== locked.y) scrollTo({ left: locked.x, top: locked.y, behavior: 'instant' });
  }
}
