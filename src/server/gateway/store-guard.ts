// A store that cannot be reached (Redis restarting, a locked database) is a 503 the widget retries,
// never a 500 it gives up on: its outbox keeps the message and sends it once the store is back.
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GatewayStore } from './store.js';

/** The visitor's answer while the store is unreachable. */
export const storeUnavailable = (cause: unknown) =>
  new HttpError(503, 'store_unavailable', 'The chat service cannot reach its storage right now. Try again in a moment.', {
    headers: { 'Retry-After': '2' },
    detail: cause instanceof Error ? cause.message : String(cause),
    cause,
  });

/** Whether `e` is {@link storeUnavailable}'s error: the store is away, not the call wrong (a 503 the widget retries). */
export const isStoreUnavailable = (e: unknown): e is HttpError => e instanceof HttpError && e.code === 'store_unavailable';

/** Errors that say the data or the call is wrong, not that the store is away: they stay as they are. */
const isDataError = (e: unknown) =>
  e instanceof HttpError || e instanceof TypeError || (e instanceof Error && e.name === 'RedisGatewayStoreError');

/**
 * Wraps a store so that a failure to reach it rejects with {@link storeUnavailable} (503
 * `store_unavailable`, `Retry-After: 2`), logged once per outage; `close()` is passed through.
 */
export function guardStore(store: GatewayStore, logger: Logger): GatewayStore {
  let failing = false;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        try {
          const result = await value.apply(target, args);
          if (failing) logger.info({ msg: 'gateway store: reachable again' });
          failing = false;
          return result;
        } catch (e) {
          if (isDataError(e)) throw e;
          if (!failing)
            logger.error({ msg: 'gateway store: unreachable', call: String(prop), error: e instanceof Error ? e.message : String(e) });
          failing = true;
          throw storeUnavailable(e);
        }
      };
    },
  });
}
