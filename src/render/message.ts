import { html, type TemplateResult } from 'lit';
import type { Strings } from '../i18n/index.js';
import { renderText } from './message-text.js';

/** What one message line shows. */
export interface MessageView {
  id?: string;
  clientId?: string;
  text: string;
  from: 'visitor' | 'agent';
  /** Author's display name (agents). */
  author?: string;
  state: 'sending' | 'sent' | 'failed';
  /** Why a failed message was refused (the outbox's `failure`): only `invalid` offers a retry. */
  failure?: 'too_long' | 'refused' | 'invalid';
  edited?: boolean;
}

/** What the buttons of a failed message do, by client id. */
export interface MessageActions {
  retry(clientId: string): void;
  /** Back into the composer. */
  edit(clientId: string): void;
  remove(clientId: string): void;
}

/** One message as a template: text through renderText, state as data attributes and words. */
export function renderMessage(view: MessageView, labels: Strings, actions: MessageActions): TemplateResult {
  return html`<div
    part="message"
    class="m ${view.from}"
    data-post-id=${view.id ?? ''}
    data-client-id=${view.clientId ?? ''}
    data-state=${view.state}
    data-from=${view.from}
  >
    <span class="who">${view.from === 'agent' ? (view.author ?? labels.team) : labels.you}</span>
    <div class="text" part="message-text" dir="auto">${renderText(view.text)}</div>
    ${view.edited ? html`<span class="meta">${labels.edited}</span>` : ''}
    ${view.state === 'sending' ? html`<span class="meta">${labels.sending}</span>` : ''}
    ${
      view.state === 'failed'
        ? html`<span class="meta err"
            >${view.failure === 'too_long' ? labels.tooLong : labels.failed}
            ${view.failure === 'invalid' ? html`<button part="retry-message" @click=${() => actions.retry(view.clientId!)}>${labels.retryMessage}</button>` : ''}
            <button part="edit-message" @click=${() => actions.edit(view.clientId!)}>${labels.editMessage}</button>
            <button part="remove-message" @click=${() => actions.remove(view.clientId!)}>${labels.removeMessage}</button></span
          >`
        : ''
    }
  </div>`;
}
