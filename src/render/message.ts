import { html, type TemplateResult } from 'lit';
import type { Strings } from '../i18n/index.js';
import type { ChatFile } from '../transport/transport.js';
import { renderFileNames, renderFiles, type FileLoader } from './files.js';
import { richText } from './markdown/loader.js';

/** What one message line shows. */
export interface MessageView {
  id?: string;
  clientId?: string;
  text: string;
  from: 'visitor' | 'agent';
  /** Author's display name (agents). */
  author?: string;
  /** `queued`: stored by the companion while Mattermost is down (offline part). */
  state: 'sending' | 'sent' | 'failed' | 'queued';
  /** Why a failed message was refused (the outbox's `failure`): only `invalid` offers a retry. */
  failure?: 'too_long' | 'refused' | 'invalid';
  edited?: boolean;
  /** Files of the post (files), or the names of those a pending message carries. */
  files?: ChatFile[];
  fileNames?: string[];
  // Agents and availability
  /** The author's face (render/avatar.ts), before the name. */
  avatar?: TemplateResult;
  /** The message's time (render/timeline.ts), after the name. */
  time?: TemplateResult;
}

/** What the buttons of a failed message do, by client id. */
export interface MessageActions {
  retry(clientId: string): void;
  /** Back into the composer. */
  edit(clientId: string): void;
  remove(clientId: string): void;
  /** Fetches a file's bytes for a preview or a download (files). */
  file?: FileLoader;
}

/** One message as a template: text through richText (plain, or markdown once its chunk is here), state as data attributes and words. */
export function renderMessage(view: MessageView, labels: Strings, actions: MessageActions): TemplateResult {
  return html`<div
    part="message"
    class="m ${view.from}"
    data-post-id=${view.id ?? ''}
    data-client-id=${view.clientId ?? ''}
    data-state=${view.state}
    data-from=${view.from}
  >
    <span class="who">${view.avatar}${view.from === 'agent' ? (view.author ?? labels.team) : labels.you} ${view.time}</span>
    <div class="text" part="message-text" dir="auto">${richText(view.text)}</div>
    ${view.files ? renderFiles(view.files, actions.file) : renderFileNames(view.fileNames)}
    ${view.edited ? html`<span class="meta">${labels.edited}</span>` : ''}
    ${view.state === 'sending' ? html`<span class="meta">${labels.sending}</span>` : ''}
    ${view.state === 'queued' ? html`<span class="meta">${labels.queued}</span>` : ''}
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
