// The lazy half of src/render/files.ts: fetches the previews of a message's images with the
// visitor's credential and shows them as `blob:` URLs, revoked as soon as the message leaves the
// DOM (or the panel is disconnected). Loaded only when a conversation shows a file.
import type { ChatFile } from '../transport/transport.js';
import type { FileLoader } from './files.js';
import { saveBlob } from './save-blob.js';

export { DOWNLOAD_REVOKE_DELAY } from './save-blob.js';

/**
 * Saves file `f` as a download: its bytes fetched with `load`, a `blob:` URL clicked on a
 * detached `<a download>` and revoked 40 s later (src/render/save-blob.ts).
 */
export async function download(link: HTMLElement, f: ChatFile, load: FileLoader | undefined): Promise<void> {
  if (!load || link.ariaBusy === 'true') return;
  link.ariaBusy = 'true';
  try {
    saveBlob(await load(f.id), f.name);
    link.removeAttribute('data-failed');
  } catch {
    link.setAttribute('data-failed', '');
  } finally {
    link.ariaBusy = null;
  }
}

/**
 * `<porthole-files>`: wraps a message's file list (rendered by `renderFiles`, in the panel's own
 * tree) and fills its previews' `src`. A preview that cannot be fetched is marked `data-failed`
 * (its alt text, the file name, shows). Internal: not part of the public API.
 */
export class PortholeFilesElement extends HTMLElement {
  /** Fetches a file's bytes (set by the template before or after this element is defined). */
  declare load?: FileLoader;
  #urls = new Map<HTMLImageElement, string>();
  #run?: AbortController;
  #observer = new MutationObserver(() => this.#fill());

  connectedCallback(): void {
    this.#run = new AbortController();
    // New previews (another file list rendered into this element) are filled too.
    this.#observer.observe(this, { childList: true, subtree: true });
    this.#fill();
  }

  disconnectedCallback(): void {
    this.#observer.disconnect();
    this.#run?.abort();
    for (const [img, url] of this.#urls) {
      URL.revokeObjectURL(url);
      img.removeAttribute('src');
    }
    this.#urls.clear();
  }

  #fill(): void {
    const signal = this.#run?.signal;
    if (!signal || signal.aborted) return;
    for (const img of this.querySelectorAll<HTMLImageElement>('img[data-id]')) {
      if (this.#urls.has(img) || img.dataset.loading) continue;
      img.dataset.loading = '1';
      void this.#preview(img, img.dataset.id!, signal);
    }
    // Previews no longer in the list: their URLs go.
    for (const [img, url] of this.#urls)
      if (!this.contains(img)) {
        URL.revokeObjectURL(url);
        this.#urls.delete(img);
      }
  }

  async #preview(img: HTMLImageElement, id: string, signal: AbortSignal): Promise<void> {
    try {
      if (!this.load) throw new Error('no loader');
      const blob = await this.load(id, signal);
      // Aborted, or the preview left the list while it loaded: no URL (nothing would revoke it).
      if (signal.aborted || !img.isConnected || !this.contains(img)) return;
      const url = URL.createObjectURL(blob);
      this.#urls.set(img, url);
      img.src = url;
    } catch {
      if (!signal.aborted) img.setAttribute('data-failed', '');
    } finally {
      delete img.dataset.loading;
    }
  }
}

if (!customElements.get('porthole-files')) customElements.define('porthole-files', PortholeFilesElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-files': PortholeFilesElement;
  }
}
