// Cancellation as lit's Task does it: every run of async work gets an AbortSignal, a newer run
// (or a teardown) aborts the older one, and the aborted run rejects with an AbortError that
// callers ignore rather than count as a failure.

/** True for the rejection of work that was cancelled on purpose (a DOMException named `AbortError`). */
export const isAbortError = (e: unknown): boolean => (e as { name?: unknown } | null)?.name === 'AbortError';

/**
 * `work`, or a rejection with the signal's reason as soon as `signal` aborts, whichever comes
 * first: for work that takes no signal of its own (a shared promise, a host callback).
 */
export function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
