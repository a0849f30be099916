import { html, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ChatFile } from '../transport/transport.js';
import { humanSize } from './file-size.js';

/** Fetches a file's bytes with the visitor's credential (the transport's `file()`). */
export type FileLoader = (fileId: string, signal?: AbortSignal) => Promise<Blob>;

/** Types shown as image previews (raster only: no SVG, which can carry script). */
const PREVIEW = /^image\/(png|jpeg|gif|webp)$/i;
/** Largest side of a preview box, px. */
const MAX = 240;
/** The image fills its box, letterboxed (the box, not the image, decides the layout). */
const FILL = 'display:block;width:100%;height:100%;object-fit:contain';

const LIST = 'list-style:none;margin:4px 0 0;padding:0;display:flex;flex-direction:column;gap:4px';

/** The file list's behaviour (./file-list.js: previews as `blob:` URLs, downloads), loaded with the first file shown. */
let loading: Promise<typeof import('./file-list.js') | undefined> | undefined;

/** A click on a download link: the lazy chunk fetches and saves the file. */
function download(e: Event, f: ChatFile, load: FileLoader | undefined): void {
  e.preventDefault();
  const link = e.currentTarget as HTMLElement;
  void loading?.then((m) => m?.download(link, f, load));
}

/**
 * The reserved box of an image preview, set through the CSSOM (a `style` attribute would need
 * `style-src 'unsafe-inline'`): the image's aspect ratio, at most {@link MAX} px on either side
 * and the message's width. Without a known size: a fixed box the image is fitted into. Either
 * way the box never changes when the image arrives.
 */
function box(f: ChatFile): string {
  const w = Number(f.width);
  const h = Number(f.height);
  const size =
    w > 0 && h > 0 ? `aspect-ratio:${w}/${h};width:min(100%,${Math.min(w, MAX, (MAX * w) / h)}px)` : `width:${MAX}px;height:${MAX / 2}px`;
  return `display:block;overflow:hidden;max-width:100%;border-radius:8px;${size}`;
}

/**
 * The files of a message: images as previews in a box sized before they load, other files as
 * download links with the name and the size. File names are untrusted: text only (the image's
 * `alt`, the link's text). The previews' bytes come through `load` as `blob:` URLs, fetched and
 * revoked by the `<porthole-files>` element, whose code is a lazy chunk loaded with the first
 * message that has a file. Parts: `files`, `file`, `file-preview`, `file-link`, `file-size`.
 */
export function renderFiles(files: ChatFile[] | undefined, load: FileLoader | undefined): TemplateResult | string {
  if (!files?.length) return '';
  loading ??= import('./file-list.js').catch(() => (loading = undefined));
  return html`<porthole-files .load=${load}
    ><ul part="files" class="files" .style=${LIST}>
      ${repeat(
        files,
        (f) => f.id,
        (f) =>
          PREVIEW.test(f.type)
            ? html`<li part="file" class="file">
                <span class="box" .style=${box(f)}><img part="file-preview" .style=${FILL} data-id=${f.id} alt=${f.name} /></span>
              </li>`
            : html`<li part="file" class="file">
                <a part="file-link" href="#" download=${f.name} @click=${(e: Event) => download(e, f, load)}
                  >${f.name} <span part="file-size" class="meta">${humanSize(f.size)}</span></a
                >
              </li>`,
      )}
    </ul></porthole-files
  >`;
}

/** The names of the files still to be sent with a pending message (text only). */
export function renderFileNames(names: string[] | undefined): TemplateResult | string {
  return names?.length
    ? html`<ul part="files" class="files" .style=${LIST}>
        ${names.map((n) => html`<li part="file" class="file">${n}</li>`)}
      </ul>`
    : '';
}
