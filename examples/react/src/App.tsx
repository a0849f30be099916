import { useRef, useState } from 'react';
import type { ChatMessage, ConnectionState, PortholeChatElement } from 'porthole-chat';
import { PortholeChat } from 'porthole-chat/react';

export function App() {
  const chat = useRef<PortholeChatElement>(null);
  const [state, setState] = useState<ConnectionState | 'idle'>('idle');
  const [last, setLast] = useState<ChatMessage | null>(null);
  const [unread, setUnread] = useState(0);

  return (
    <main>
      <h1>Example Shop{unread > 0 && ` (${unread} new)`}</h1>
      <p>
        Connection: <output>{state}</output>
      </p>
      {last && <p>Last reply: “{last.text}”</p>}
      <button type="button" onClick={() => void chat.current?.open()}>
        Chat with us
      </button>
      <button type="button" onClick={() => void chat.current?.logout()}>
        End chat
      </button>

      <PortholeChat
        ref={chat}
        tokenUrl={import.meta.env.VITE_PORTHOLE_TOKEN_URL ?? '/porthole/v1/session'}
        title="Questions? Ask us"
        position="bottom-right"
        fallbackHref="mailto:support@example.com"
        onStateChange={(e) => setState(e.detail.state)}
        onMessage={(e) => {
          setLast(e.detail);
          if (!chat.current?.isOpen) setUnread((n) => n + 1);
        }}
        onOpen={() => setUnread(0)}
        onError={(e) => console.warn(`porthole ${e.detail.code}: ${e.detail.message}`)}
      />
    </main>
  );
}
