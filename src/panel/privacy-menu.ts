import { html, LitElement, type TemplateResult } from 'lit';
import {
  isRetryablePrivacyError,
  PrivacyController,
  type PrivacyApiFactory,
  type PrivacyError,
  type TranscriptFile,
} from '../controllers/privacy-controller.js';
import { emit } from '../events/emit.js';
import { loadStrings } from '../i18n/index.js';
import type { PortholePanelElement } from './porthole-panel.js';
import { styles } from './privacy-menu.styles.js';
import { privacyStrings, type PrivacyStrings } from './privacy-menu.strings.js';
import { saveBlob } from '../render/save-blob.js';

/** Defaults every conversation menu created afterwards uses (tests and Storybook inject the in-memory API). */
export interface PrivacyMenuDefaults {
  /** Builds the privacy API for a session; undefined: the companion's (`httpPrivacyApi`). */
  api?: PrivacyApiFactory;
  /** Saves a downloaded transcript; undefined: through a `blob:` URL and an `<a download>` click. */
  save?: (file: TranscriptFile) => void;
}

const defaults: PrivacyMenuDefaults = {};

/** Changes the defaults of conversation menus created from now on; call without arguments to reset. */
export function configurePrivacyMenu(changes: PrivacyMenuDefaults = { api: undefined, save: undefined }): void {
  Object.assign(defaults, changes);
}

/** Saves the transcript as a download (see src/render/save-blob.ts). */
export const saveTranscript = (file: TranscriptFile): void => saveBlob(file.blob, file.filename);

/**
 * Opens or closes the conversation menu of `panel` from its menu button `anchor`, creating the
 * menu on first use. It goes right after the panel's header: outside every part of the panel's
 * template, so the panel's renders leave it alone (the panel's chunk holds no trace of it).
 */
export async function toggleMenu(panel: PortholePanelElement, anchor: HTMLElement): Promise<void> {
  // The menu's strings in the panel's locale first (a chunk, but for English): it never shows another language first.
  await loadStrings(panel.locale, panel.strings);
  let menu = panel.renderRoot.querySelector('porthole-privacy-menu');
  if (!menu) {
    menu = document.createElement('porthole-privacy-menu');
    menu.panel = panel;
    panel.renderRoot.querySelector('header')!.after(menu);
  }
  return menu.toggle(anchor);
}

/** Which part of the menu is showing. */
type View = 'closed' | 'menu' | 'confirm';

/** This element's parts, which the panel re-exports (its `exportparts` lists them too). */
const PARTS = 'privacy-menu,privacy-item,privacy-confirm,privacy-error,privacy-status';

/**
 * The conversation menu: "Download transcript" and "Delete conversation", opened from the panel's
 * menu button (`part="menu-button"`). Lives in its own lazy chunk, loaded on the button's first
 * use; the panel renders the (then undefined) tag from the start and this module defines it.
 *
 * A menu button pattern (WAI-ARIA APG): Enter, Space or a click open the menu with the first item
 * focused (ArrowUp: the last); ArrowUp/ArrowDown/Home/End move, Escape or Tab close it, and focus
 * returns to the button. Deleting asks first in an inline alertdialog (focus moves in, Escape
 * cancels and focus goes back to the button), shows progress, and on success wipes the visitor
 * (the session's logout: socket closed, queue and its storage forgotten, the companion's cookie
 * cleared), leaves the panel in the new-visitor state and announces it in the panel's log.
 * Failures show a translated reason, with Retry only where trying again can help.
 *
 * @summary The panel's lazily loaded conversation menu (transcript download, erasure).
 *
 * @event {CustomEvent<PortholeConversationErasedDetail>} porthole-conversation-erased - Dispatched on the launcher.
 * @event {CustomEvent<PortholeErrorDetail>} porthole-error - `privacy_failed` (on the launcher).
 *
 * @csspart privacy-menu - The popup menu.
 * @csspart privacy-item - Each of its items.
 * @csspart privacy-confirm - The "Delete this conversation?" alertdialog.
 * @csspart privacy-error - Why a download or a deletion failed.
 * @csspart privacy-status - "Preparing your transcript…".
 *
 * @example
 * ```ts
 * // What the panel's menu button does once this chunk has loaded (the panel imports it lazily):
 * await toggleMenu(panel, menuButton); // creates the menu below the header, opens it
 * panel.renderRoot.querySelector('porthole-privacy-menu')!.toggle(menuButton); // closes it
 * ```
 */
export class PortholePrivacyMenuElement extends LitElement {
  static override styles = styles;
  static override properties = { panel: { attribute: false }, view: { state: true } };

  /** The panel this menu belongs to: its session, `token-url`, locale and launcher. */
  declare panel?: PortholePanelElement;
  /** @internal */
  declare view: View;

  /** Downloads and erasure through the companion. */
  readonly privacy: PrivacyController;

  #anchor?: HTMLElement;

  constructor() {
    super();
    this.view = 'closed';
    const api = defaults.api;
    const save = defaults.save ?? saveTranscript;
    this.privacy = new PrivacyController(this, {
      session: () => this.panel?.session.current,
      tokenUrl: () => this.panel?.tokenUrl,
      api,
      onTranscript: (file) => save(file),
      onErased: (session) => this.#erased(session.channelId),
      onError: (e, task) =>
        emit(this.#target, 'porthole-error', {
          code: 'privacy_failed',
          message: `${task === 'download' ? 'download' : 'erase'}: ${e.message}`,
        }),
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Forwarded to the panel's shadow root, whose own exportparts passes them on to the page.
    this.setAttribute('exportparts', PARTS);
    document.addEventListener('pointerdown', this.#outside, true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.#outside, true);
    this.#setExpanded(false);
    this.#listen(undefined);
  }

  /**
   * The menu button's ArrowDown / ArrowUp (the panel, to stay small, only handles its click):
   * listened to on the button the menu was last opened from, until the menu goes away.
   */
  #listen(anchor: HTMLElement | undefined): void {
    if (anchor === this.#anchor) return;
    this.#anchor?.removeEventListener('keydown', this.#onButtonKey);
    this.#anchor = anchor;
    anchor?.addEventListener('keydown', this.#onButtonKey);
  }

  #onButtonKey = (e: KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    void this.toggle(e.currentTarget as HTMLElement, e.key);
  };

  /**
   * Opens the menu from `anchor` (the menu button), or closes it when open. `key` is the key that
   * asked: `ArrowDown` / `ArrowUp` always open it, focusing the first / the last item.
   */
  async toggle(anchor: HTMLElement, key?: string): Promise<void> {
    this.#listen(anchor);
    if (this.view === 'menu' && !key) return this.#closeMenu(true);
    this.privacy.dismiss();
    this.view = 'menu';
    this.#setExpanded(true);
    await this.updateComplete;
    const items = this.#items;
    (key === 'ArrowUp' ? items.at(-1) : items[0])?.focus();
  }

  get #target(): EventTarget {
    return this.panel?.launcher ?? this.panel ?? this;
  }

  get #labels(): PrivacyStrings {
    return privacyStrings(this.panel);
  }

  get #items(): HTMLElement[] {
    return [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')];
  }

  #setExpanded(on: boolean): void {
    this.#anchor?.setAttribute('aria-expanded', String(on));
  }

  #closeMenu(focusButton: boolean): void {
    if (this.view !== 'menu') return;
    this.view = 'closed';
    this.#setExpanded(false);
    if (focusButton) this.#anchor?.focus();
  }

  /** A pointer press outside the menu (and its button) closes it, as a native menu would. */
  #outside = (e: PointerEvent): void => {
    const path = e.composedPath();
    if (this.view === 'menu' && !path.includes(this) && !(this.#anchor && path.includes(this.#anchor))) this.#closeMenu(false);
  };

  #onMenuKey = (e: KeyboardEvent): void => {
    const items = this.#items;
    const at = items.indexOf(this.renderRoot.querySelector<HTMLElement>(':focus') ?? items[0]);
    const to =
      e.key === 'ArrowDown'
        ? (at + 1) % items.length
        : e.key === 'ArrowUp'
          ? (at - 1 + items.length) % items.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? items.length - 1
              : -1;
    if (to >= 0) {
      e.preventDefault();
      items[to].focus();
    } else if (e.key === 'Escape') {
      // Only the menu closes: the panel's own Escape (close the chat) must not see this one.
      e.stopPropagation();
      this.#closeMenu(true);
    } else if (e.key === 'Tab') this.#closeMenu(false);
  };

  #download = async (): Promise<void> => {
    this.#closeMenu(true);
    await this.privacy.download();
    if (this.privacy.error) this.#focusError();
  };

  #askErase = async (): Promise<void> => {
    this.view = 'confirm';
    this.#setExpanded(false);
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[role="alertdialog"] .danger')?.focus();
  };

  #cancel = (): void => {
    this.privacy.abort();
    this.view = 'closed';
    this.#anchor?.focus();
  };

  #onConfirmKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    this.#cancel();
  };

  #erase = async (): Promise<void> => {
    if (this.privacy.busy) return;
    const done = await this.privacy.erase();
    if (!done && this.privacy.error) {
      this.view = 'closed';
      this.#focusError();
    }
  };

  #retry = async (): Promise<void> => {
    const task = this.privacy.error?.task;
    if (task === 'download') return this.#download();
    // Back in the dialog, so the progress shows where the visitor asked for it.
    await this.#askErase();
    await this.#erase();
  };

  #dismiss = (): void => {
    this.privacy.dismiss();
    this.#anchor?.isConnected ? this.#anchor.focus() : this.panel?.renderRoot.querySelector('textarea')?.focus();
  };

  async #focusError(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[part="privacy-error"] button')?.focus();
  }

  /** The companion erased the conversation: forget the visitor and show the new-visitor state. */
  async #erased(conversationId: string): Promise<void> {
    const panel = this.panel;
    this.view = 'closed';
    if (!panel) return;
    // The tokens are revoked already; the logout closes the socket, forgets the conversation,
    // the queue and its stored copy, and its DELETE /v1/session clears the companion's cookie.
    await panel.session.logout();
    panel.notice = this.#labels.erased;
    panel.requestUpdate();
    await panel.updateComplete;
    panel.renderRoot.querySelector('textarea')?.focus();
    emit(this.#target, 'porthole-conversation-erased', { conversationId });
  }

  #reason(e: PrivacyError, l: PrivacyStrings): string {
    return e.kind === 'network'
      ? l.network
      : e.kind === 'unavailable' || e.kind === 'rate_limited'
        ? l.unavailable
        : e.kind === 'erasure_unavailable'
          ? l.erasureUnavailable
          : e.kind === 'auth'
            ? l.auth
            : l.rejected;
  }

  protected override render(): TemplateResult | string {
    const l = this.#labels;
    const { busy, error } = this.privacy;
    // The session ended (logout, another tab…) while the menu was open: nothing left to act on.
    if (this.view === 'menu' && this.panel?.session.current)
      return html`<div part="privacy-menu" role="menu" aria-label=${this.#menuLabel()} @keydown=${this.#onMenuKey}>
        <button part="privacy-item" role="menuitem" tabindex="-1" @click=${this.#download}>${l.download}</button>
        <button part="privacy-item" role="menuitem" tabindex="-1" @click=${this.#askErase}>${l.erase}</button>
      </div>`;
    if (this.view === 'confirm') {
      const erasing = busy === 'erase';
      return html`<div
        part="privacy-confirm"
        class="banner alert"
        role="alertdialog"
        aria-labelledby="ct"
        aria-describedby="cd"
        @keydown=${this.#onConfirmKey}
      >
        <p id="ct"><strong>${l.confirmTitle}</strong></p>
        <p id="cd">${l.confirmText}</p>
        <div class="actions">
          <button class="danger" aria-disabled=${erasing ? 'true' : 'false'} @click=${this.#erase}>${l.confirm}</button>
          <button @click=${this.#cancel}>${l.cancel}</button>
        </div>
        ${erasing ? html`<p class="status" role="status">${l.erasing}</p>` : ''}
      </div>`;
    }
    if (error)
      return html`<div part="privacy-error" class="banner alert" role="alert">
        <p><strong>${error.task === 'erase' ? l.eraseFailed : l.downloadFailed}</strong> ${this.#reason(error.error, l)}</p>
        <div class="actions">
          ${isRetryablePrivacyError(error.error) ? html`<button @click=${this.#retry}>${l.retry}</button>` : ''}
          <button @click=${this.#dismiss}>${l.dismiss}</button>
        </div>
      </div>`;
    if (busy === 'download') return html`<p part="privacy-status" class="status" role="status">${l.downloading}</p>`;
    return '';
  }

  /** The menu's accessible name: the menu button's label. */
  #menuLabel(): string {
    return this.#anchor?.getAttribute('aria-label') ?? '';
  }
}

if (!customElements.get('porthole-privacy-menu')) customElements.define('porthole-privacy-menu', PortholePrivacyMenuElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-privacy-menu': PortholePrivacyMenuElement;
  }
}
