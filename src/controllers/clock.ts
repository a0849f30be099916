/** Time as the controllers see it; tests inject a fake one and drive it explicitly. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (id) => clearTimeout(id as number),
  random: () => Math.random(),
};

/** Capped exponential backoff with jitter: between half and all of min(cap, base·2^attempt). */
export const backoff = (clock: Clock, attempt: number, base = 500, cap = 30000): number =>
  Math.min(cap, base * 2 ** attempt) * (0.5 + clock.random() / 2);

/** Resolves after `ms` on `clock`; rejects with the signal's reason when aborted. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = clock.setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clock.clearTimeout(id);
      reject(signal.reason);
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}
