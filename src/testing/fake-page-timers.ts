import type { FakeClock } from './fake-clock.js';

/**
 * Hands the page's own `setTimeout` / `clearTimeout` to `clock` for timers of 1 ms or more, until
 * the returned function is called: for code that takes no clock, such as reconnecting-websocket's
 * backoff, connect timeout and uptime timers. Zero-delay timers stay real, so fakes that act on the
 * next turn and `settle()` work as before (mocha keeps its own references to the real timers).
 *
 * @example
 * let restore = () => {};
 * beforeEach(() => (restore = fakePageTimers((clock = new FakeClock()))));
 * afterEach(() => restore());
 */
export function fakePageTimers(clock: FakeClock): () => void {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  // The clock's ids are handed out negated, so they never collide with the page's (positive) ones.
  globalThis.setTimeout = ((handler: TimerHandler, ms = 0, ...args: unknown[]) =>
    ms >= 1 && typeof handler === 'function'
      ? -clock.setTimeout(() => handler(...args), ms)
      : realSet(handler, ms, ...args)) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) =>
    typeof id === 'number' && id < 0 ? clock.clearTimeout(-id) : realClear(id)) as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  };
}
