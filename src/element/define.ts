import { PortholeChatElement } from './porthole-chat.js';

// Defensive: two copies of the widget on one page (CDN + bundle) must not throw.
if (!customElements.get('porthole-chat')) customElements.define('porthole-chat', PortholeChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-chat': PortholeChatElement;
  }
}
