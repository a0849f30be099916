// SPA life cycle (`shutdown()`): what the widget wrote in the browser's storage goes with the visitor.

/** Prefix of every key the widget writes (the outbox's `porthole:outbox:<user>`, and any other). */
export const STORAGE_PREFIX = 'porthole:';

/**
 * Removes every `porthole:` key from localStorage, sessionStorage and `extra` (a storage the panel
 * was configured with). Blocked or missing storage is skipped.
 */
export function wipeStorage(extra?: Storage | null): void {
  const stores: Array<() => Storage | null | undefined> = [() => extra, () => localStorage, () => sessionStorage];
  for (const get of stores) {
    try {
      const store = get();
      if (!store) continue;
      const keys: string[] = [];
      for (let i = 0; i < store.length; i++) {
        const key = store.key(i);
        if (key?.startsWith(STORAGE_PREFIX)) keys.push(key);
      }
      for (const key of keys) store.removeItem(key);
    } catch {
      // Storage blocked (privacy settings, sandboxed frame): nothing was written there either.
    }
  }
}
