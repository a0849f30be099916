// Noticing that Redis lost the gateway store's data while instances were running: restarted
// without persistence, flushed, or its keys evicted. Every conversation mapping goes with it
// (returning visitors start new threads; agents' answers in the old threads reach no one), so it
// must be said, not just happen. The store's first writer puts an epoch key in Redis; each
// instance reads it at start and again every 30 s. When it is gone or another, the data the
// instance knew is gone: it logs an error, `/readyz` shows `store_data` failing (shared: every
// instance sees the same Redis) for 15 minutes, and the instance takes the new epoch.
// An instance that starts after the loss with no instance running cannot tell it from a new
// deployment: `doctor`'s persistence and eviction checks are what prevent that case.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** The key (after the prefix) that holds the store's epoch. */
export const STORE_EPOCH_KEY = 'gw:store-epoch';
/** How often an instance checks the epoch, ms. */
export const EPOCH_CHECK_MS = 30_000;
/** How long `/readyz` reports a loss, ms. */
export const LOSS_REPORTED_MS = 15 * 60_000;

/** What {@link StoreEpochWatch} needs. */
export interface StoreEpochWatchOptions {
  redis: Redis;
  prefix: string;
  logger: Logger;
  now(): number;
  /** Default {@link EPOCH_CHECK_MS}. */
  checkEveryMs?: number;
}

/**
 * Watches the gateway store's epoch in Redis (see the file's comment).
 *
 * @example
 * ```ts
 * const epoch = new StoreEpochWatch({ redis, prefix, logger, now: Date.now });
 * await epoch.start();
 * if (epoch.lossReported()) console.log('Redis lost the store at', epoch.lostAt);
 * ```
 */
export class StoreEpochWatch {
  /** When this instance last noticed that the store's data was gone. */
  lostAt: number | undefined;
  private seen: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly key: string;

  constructor(private readonly o: StoreEpochWatchOptions) {
    this.key = `${o.prefix}${STORE_EPOCH_KEY}`;
  }

  /**
   * Checks the epoch every `checkEveryMs`, one check at a time, and takes the current one now
   * (making it when the store is new). Rejects when Redis cannot be reached now; the checks go on,
   * and the first that reaches Redis takes the epoch.
   */
  async start(): Promise<void> {
    if (this.timer) return;
    const next = () => {
      this.timer = setTimeout(
        () =>
          void this.check()
            .catch(() => {})
            .finally(() => this.stopped || next()),
        this.o.checkEveryMs ?? EPOCH_CHECK_MS,
      );
      this.timer.unref?.();
    };
    next();
    this.seen ??= await this.adopt();
  }

  /**
   * Reads the epoch once; when it is gone or another, records and logs the loss and takes the new
   * one. Rejects when Redis cannot be read (its outage is reported on its own).
   */
  async check(): Promise<void> {
    const current = await this.o.redis.get(this.key);
    if (this.seen === undefined) {
      this.seen = current ?? (await this.adopt());
      return;
    }
    if (current === this.seen) return;
    this.lostAt = this.o.now();
    this.o.logger.error({
      msg: "gateway store: Redis lost the store's data (its epoch key is gone or another): every conversation made before now is unknown — returning visitors start new threads, and agents' answers in the old threads reach no one. Turn on persistence (appendonly yes) and maxmemory-policy noeviction; `porthole-server doctor` checks both",
      key: this.key,
      found: current === null ? 'nothing' : 'another epoch',
    });
    this.seen = current ?? undefined; // gone: the next line, or the next check, takes the new one
    this.seen ??= await this.adopt();
  }

  /** True within {@link LOSS_REPORTED_MS} of a loss this instance noticed. */
  lossReported(): boolean {
    return this.lostAt !== undefined && this.o.now() - this.lostAt < LOSS_REPORTED_MS;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The epoch in Redis, made by whoever writes first. */
  private async adopt(): Promise<string> {
    await this.o.redis.set(this.key, `${new Date(this.o.now()).toISOString()} ${randomUUID()}`, 'NX');
    const epoch = await this.o.redis.get(this.key);
    if (epoch === null) throw new Error(`gateway store: Redis did not keep ${this.key}`);
    return epoch;
  }
}
