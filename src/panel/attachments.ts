// The attachment tray: a lazy chunk loaded on the first use of the attach button, the first drop
// of files on the panel or the first paste of files. The panel chunk holds only the button, the
// drop and paste listeners and one call to `render()`.
import { css, html, type TemplateResult } from 'lit';
import { MAX_FILES, UploadController, type Attachment, type UploadLimits } from '../controllers/upload-controller.js';
import { emit } from '../events/emit.js';
import { humanSize } from '../render/file-size.js';
import type { ChatFile } from '../transport/transport.js';
import { attachmentStrings, type AttachmentStrings } from './attachments.strings.js';
import type { PortholePanelElement } from './porthole-panel.js';

const styles = css`
  .atts {
    flex-basis: 100%;
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 0.85em;
  }
  .att {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 4px 8px;
    border: 1px solid var(--bo);
    border-radius: 8px;
  }
  .att .name {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .att .meta {
    flex-basis: auto;
  }
  .att progress {
    flex-basis: 100%;
    width: 100%;
    accent-color: var(--a);
  }
  .att [part='upload-error'] {
    flex-basis: 100%;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .sr {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;

/** The allowed types in words: `images, PDF, text`, or the MIME types the tray has no word for. */
export function allowedWords(types: readonly string[], s: AttachmentStrings): string {
  const words = types.map((t) => {
    const v = t.toLowerCase().trim();
    return v.startsWith('image/') ? s.kinds.image : v === 'application/pdf' ? s.kinds.pdf : v.startsWith('text/') ? s.kinds.text : v;
  });
  return [...new Set(words)].join(', ');
}

/** Why `a` cannot go, in the visitor's words. */
export function reason(a: Attachment, limits: UploadLimits | undefined, s: AttachmentStrings): string {
  const name = a.file.name;
  const status = a.error?.match(/answered (\d{3})/)?.[1];
  // The server's 413/415 say the same as the early check would have.
  const failure = status === '413' ? 'too_large' : status === '415' ? 'type' : a.failure;
  switch (failure) {
    case 'type':
      return s.type(name, allowedWords(limits?.types ?? [], s));
    case 'too_large':
      return s.tooLarge(name, humanSize(a.file.size), limits ? humanSize(limits.maxBytes) : '?');
    case 'empty':
      return s.empty(name);
    case 'too_many':
      return s.tooMany(name, MAX_FILES);
    case 'network':
    case 'unavailable':
      return s.network(name);
    case 'rate_limited':
      return s.rateLimited(name);
    case 'auth':
      return s.auth(name);
    default:
      return s.refused(name);
  }
}

/**
 * The files attached to the message being written, under the composer: each with its name and
 * size, a labelled `<progress>` while it uploads (with a Cancel), and when it failed the reason,
 * a Retry where trying again can help and a Remove. A polite status announces uploads starting
 * and files ready. Parts: `attachments`, `attachment`, `progress`, `cancel-upload`,
 * `upload-error`, `retry-upload`, `remove-upload`. The uploads themselves are the
 * {@link UploadController}'s.
 */
export class AttachmentTray {
  readonly uploads: UploadController;
  #panel: PortholePanelElement;
  /** A send was attempted while files were not ready: say why nothing went. */
  #waiting = false;

  constructor(panel: PortholePanelElement) {
    this.#panel = panel;
    this.uploads = new UploadController(panel, {
      transport: () => panel.session.transport,
      limits: () => panel.session.current?.uploads,
      onError: (a) =>
        emit(panel.launcher ?? panel, 'porthole-error', {
          code: 'upload_failed',
          message: `${a.file.name}: ${a.failure}${a.error ? ` (${a.error})` : ''}`,
        }),
    });
    const root = panel.renderRoot as ShadowRoot;
    const sheet = styles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }

  /** Opens the browser's file picker (several files, the allowed types). */
  pick(): void {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.accept = (this.#panel.session.current?.uploads?.types ?? []).join(',');
    input.addEventListener('change', () => this.add([...(input.files ?? [])]), { once: true });
    input.click();
  }

  /** Attaches `files` (checked, then uploaded). */
  add(files: File[]): void {
    this.#waiting = false;
    this.uploads.add(files);
  }

  /**
   * The uploaded files for the message being sent (the tray emptied), or undefined while some
   * are uploading or failed: then the tray says so and nothing should be sent.
   */
  take(): ChatFile[] | undefined {
    const files = this.uploads.take();
    this.#waiting = !files;
    this.#panel.requestUpdate();
    return files;
  }

  render(): TemplateResult | string {
    const items = this.uploads.items;
    const s = attachmentStrings(this.#panel);
    const limits = this.#panel.session.current?.uploads;
    const uploading = items.filter((a) => a.state === 'uploading').length;
    const done = items.filter((a) => a.state === 'done').length;
    return html`${
        items.length
          ? html`<ul part="attachments" class="atts" aria-label=${s.attachments}>
              ${items.map((a) => this.#item(a, s, limits))}
            </ul>`
          : ''
      }
      <p class="sr" role="status">${uploading ? s.uploadingN(uploading) : done ? s.readyN(done) : ''}</p>
      ${this.#waiting && items.length ? html`<p class="meta err" role="alert">${s.wait}</p>` : ''}`;
  }

  #item(a: Attachment, s: AttachmentStrings, limits: UploadLimits | undefined): TemplateResult {
    const name = a.file.name;
    const remove = html`<button part="remove-upload" type="button" aria-label=${s.remove(name)} @click=${() => this.uploads.remove(a.key)}>
      ${s.removeLabel}
    </button>`;
    return html`<li part="attachment" class="att" data-state=${a.state}>
      <span class="name" dir="auto">${name}</span>
      <span class="meta">${humanSize(a.file.size)}</span>
      ${
        a.state === 'uploading'
          ? html`<button
                part="cancel-upload"
                type="button"
                class="x"
                aria-label=${s.cancel(name)}
                @click=${() => this.uploads.cancel(a.key)}
              >
                ×
              </button>
              <progress part="progress" max=${a.file.size || 1} .value=${a.sent} aria-label=${s.uploading(name)}></progress>`
          : a.state === 'done'
            ? html`<span class="meta">${s.ready}</span>${remove}`
            : html`<span part="upload-error" role="alert">${reason(a, limits, s)}</span>
                ${a.retryable ? html`<button part="retry-upload" type="button" @click=${() => this.uploads.retry(a.key)}>${s.retry}</button>` : ''}
                ${remove}`
      }
    </li>`;
  }
}
