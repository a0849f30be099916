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
export function renderMessage(v: MessageView, s: Strings, onRetry: (clientId: string) => void): TemplateResult {
  return html`<div
    part="message"
    class="m ${v.from}"
    data-post-id=${v.id ?? ''}
    data-client-id=${v.clientId ?? ''}
    data-state=${v.state}
    data-from=${v.from}
  >
    <span class="who">${v.from === 'agent' ? (v.author ?? s.team) : s.you}</span>
    <div class="text" part="message-text" dir="auto">${renderText(v.text)}</div>
    ${v.edited ? html`<span class="meta">${s.edited}</span>` : ''}
    ${v.state === 'sending' ? html`<span class="meta">${s.sending}</span>` : ''}
    ${v.state === 'failed'
      ? html`<span class="meta err">${s.failed}
          <button part="retry-message" @click=${() => onRetry(v.clientId!)}>${s.retryMessage}</button></span>`
      : ''}
  </div>`;
}
