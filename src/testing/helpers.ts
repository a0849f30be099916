import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Session } from '../transport/transport.js';

/** A controller host without rendering, counting update requests. */
export class TestHost implements ReactiveControllerHost {
  controllers: ReactiveController[] = [];
  updates = 0;
  updateComplete = Promise.resolve(true);
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
  connect(): void {
    for (const c of this.controllers) c.hostConnected?.();
  }
  disconnect(): void {
    for (const c of this.controllers) c.hostDisconnected?.();
  }
}

/** A valid companion session response. */
export const testSession = (over: Partial<Session> = {}): Session => ({
  serverUrl: 'https://chat.example.com',
  token: 'tok-1',
  expiresAt: Date.now() + 3600_000,
  userId: 'visitor',
  channelId: 'chan',
  ...over,
});

/** A Storage in memory that records writes. */
export class MemoryStorage implements Storage {
  #m = new Map<string, string>();
  writes = 0;
  get length(): number {
    return this.#m.size;
  }
  clear(): void {
    this.#m.clear();
  }
  getItem(k: string): string | null {
    return this.#m.get(k) ?? null;
  }
  key(i: number): string | null {
    return [...this.#m.keys()][i] ?? null;
  }
  removeItem(k: string): void {
    this.writes++;
    this.#m.delete(k);
  }
  setItem(k: string, v: string): void {
    this.writes++;
    this.#m.set(k, v);
  }
}
