// app/chat.tsx
'use client';
import { PortholeChat } from 'porthole-chat/react';

export function Chat() {
  return (
    <PortholeChat
      tokenUrl="/api/porthole/v1/session"
      title="Questions? Ask us"
      onError={(e) => console.warn(`porthole ${e.detail.code}: ${e.detail.message}`)}
    />
  );
}
