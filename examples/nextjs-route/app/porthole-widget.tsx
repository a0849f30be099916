'use client';
// <PortholeChat> is a client component; importing it on the server is safe (the element is
// defined only in the browser), so it is imported at the top like any other.
import { PortholeChat } from 'porthole-chat/react';

export function PortholeWidget({ tokenUrl, title }: { tokenUrl: string; title?: string }) {
  return <PortholeChat tokenUrl={tokenUrl} title={title} onError={(e) => console.warn(`porthole ${e.detail.code}: ${e.detail.message}`)} />;
}
