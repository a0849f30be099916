'use client';
// The raw tag: importing 'porthole-chat' defines it (in the browser; on the server the import
// does nothing), and importing 'porthole-chat/react' types it in TSX.
import 'porthole-chat';
import type {} from 'porthole-chat/react';

export function RawChat() {
  return <porthole-chat token-url="/api/porthole/v1/session" title="Questions? Ask us" position="bottom-left" />;
}
