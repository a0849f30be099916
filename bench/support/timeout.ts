// A time limit for a promise that has none of its own (page.evaluate, CDP calls): a page whose
// main thread is blocked never answers them, and the benchmark would wait until the runner kills it.

/** `promise`, or a rejection saying that `what` did not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
