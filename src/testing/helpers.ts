import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Session } from '../transport/transport.js';

/** A controller host without rendering, counting update requests. */
export class TestHost implements ReactiveControllerHost {
  controllers: ReactiveController[] = [];
  updates = 0;
  updateComplete = Promise.resolve(true);
  addController(controller: ReactiveController): void {
    this.controllers.push(controller);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
  connect(): void {
    for (const controller of this.controllers) controller.hostConnected?.();
  }
  disconnect(): void {
    for (const controller of this.controllers) controller.hostDisconnected?.();
  }
}

/** A valid companion session response. */
export const testSession = (over: Partial<Session> = {}): Session => ({
  mode: 'direct',
  serverUrl: 'https://chat.example.com',
  token: 'tok-1',
  expiresAt: Date.now() + 3600_000,
  userId: 'visitor',
  channelId: 'chan',
  ...over,
});

/** A Storage in memory that records writes. */
export class MemoryStorage implements Storage {
  #entries = new Map<string, string>();
  writes = 0;
  get length(): number {
    return this.#entries.size;
  }
  clear(): void {
    this.#entries.clear();
  }
  getItem(key: string): string | null {
    return this.#entries.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#entries.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.writes++;
    this.#entries.delete(key);
  }
  setItem(key: string, value: string): void {
    this.writes++;
    this.#entries.set(key, value);
  }
}
