import { PortholeChatElement } from './porthole-chat.js';

// Defensive: two copies of the widget on one page (CDN + bundle) must not throw; nor may an import
// in Node (server rendering, tests), where there is no registry: there the tag stays undefined.
if (globalThis.customElements && !customElements.get('porthole-chat')) customElements.define('porthole-chat', PortholeChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-chat': PortholeChatElement;
  }
}
