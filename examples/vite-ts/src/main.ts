// Importing the package defines <porthole-chat> and types it: document.createElement('porthole-chat')
// returns a PortholeChatElement, and its events are in HTMLElementEventMap.
import 'porthole-chat';
import type { ChatMessage, PortholeErrorDetail } from 'porthole-chat';

const chat = document.createElement('porthole-chat');
// Your companion endpoint (porthole-chat/server). In development, Vite's proxy can forward it.
chat.tokenUrl = import.meta.env.VITE_PORTHOLE_TOKEN_URL ?? '/porthole/v1/session';
chat.position = 'bottom-right';
chat.title = 'Questions? Ask us';
chat.fallbackHref = 'mailto:support@example.com';
document.body.append(chat);

const state = document.querySelector<HTMLOutputElement>('#state')!;
let unread = 0;

chat.addEventListener('porthole-state-change', (event) => {
  state.value = event.detail.state; // 'connecting' | 'online' | 'reconnecting' | 'offline'
});

chat.addEventListener('porthole-message', (event) => {
  const message: ChatMessage = event.detail;
  if (!chat.isOpen) document.title = `(${++unread}) Example Shop`;
  console.info(`team replied at ${new Date(message.createAt).toLocaleTimeString()}: ${message.text}`);
});

chat.addEventListener('porthole-message-sent', (event) => console.info('delivered:', event.detail.id));

chat.addEventListener('porthole-open', () => {
  unread = 0;
  document.title = 'Example Shop';
});

chat.addEventListener('porthole-error', (event) => {
  const { code, message }: PortholeErrorDetail = event.detail;
  if (code === 'auth_rejected') console.warn('the companion refused this page: is its origin in PORTHOLE_ALLOWED_ORIGINS?');
  else console.warn(`porthole ${code}: ${message}`);
});

document.querySelector('#help')!.addEventListener('click', () => void chat.open());
