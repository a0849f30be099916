import type { Clock } from '../controllers/clock.js';

/** Lets pending promise callbacks run (a few macrotask turns; no timers are waited for). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * A clock for tests: time only moves when `tick()` is called, timers fire in order, and
 * `random()` is fixed so backoff delays are predictable.
 */
export class FakeClock implements Clock {
  /** The current time, ms since epoch. */
  time = Date.now();
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #id = 0;
  rand = 0.5;
  /** Delays requested so far, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    this.delays.push(ms);
    this.#timers.push({ at: this.time + ms, fn, id: ++this.#id });
    return this.#id;
  }

  clearTimeout(id: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  random(): number {
    return this.rand;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async tick(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
  }
}
