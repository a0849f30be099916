'use client';
// Loads <porthole-chat> in the browser only: the element needs HTMLElement, which the server lacks.
import { useEffect } from 'react';

export function PortholeWidget({ tokenUrl, title }: { tokenUrl: string; title?: string }) {
  useEffect(() => {
    let chat: HTMLElementTagNameMap['porthole-chat'] | undefined;
    let cancelled = false;
    void import('porthole-chat').then(() => {
      if (cancelled) return;
      chat = document.createElement('porthole-chat');
      chat.tokenUrl = tokenUrl;
      if (title) chat.title = title;
      chat.addEventListener('porthole-error', (e) => console.warn(`porthole ${e.detail.code}: ${e.detail.message}`));
      document.body.append(chat);
    });
    return () => {
      cancelled = true;
      chat?.remove();
    };
  }, [tokenUrl, title]);
  return null;
}
