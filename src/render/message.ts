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
  edited?: boolean;
}

/** One message as a template: text through renderText, state as data attributes and words. */
export function renderMessage(view: MessageView, labels: Strings, onRetry: (clientId: string) => void): TemplateResult {
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
            >${labels.failed} <button part="retry-message" @click=${() => onRetry(view.clientId!)}>${labels.retryMessage}</button></span
          >`
        : ''
    }
  </div>`;
}
