// Whether the bot's socket being down is this instance's own fault — the question `/readyz` asks
// before it takes an instance out of the load balancer. Every instance holds a socket of its own,
// so whatever breaks them all at once — a Mattermost outage and every instance's backoff after it,
// a proxy in front of Mattermost that drops upgrades, a bot token refused on the socket — would
// have every instance answer 503 and empty the load balancer. So an instance calls it its own
// fault only with evidence that Mattermost takes sockets and this one does not: another instance's
// socket has been connected for longer than the grace, while this one's has been down that long.
// The instances tell each other through Redis (a hash, field = instance id), in durations and on
// Redis's clock (TIME), so the hosts' clocks never meet; without Redis there is no one to compare
// with, and the socket is never this instance's fault alone.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';

/**
 * How long the bot's socket may be down, and another instance's connected, before it is this
 * instance's fault: after a Mattermost restart every instance's socket is in its backoff (up to
 * 30 s) at once, and the peers' reports are up to 10 s old.
 */
export const BOT_SOCKET_GRACE_MS = 60_000;
/** Redis hash (after the prefix): instance id → {@link PeerReport} as JSON. */
export const BOT_SOCKETS_KEY = 'gw:bot-sockets';
/** How often an instance reports its socket, ms. */
export const REPORT_EVERY_MS = 10_000;
/** A report older than this is deleted by the readers, ms. */
const REPORT_PRUNE_MS = 10 * 60_000;

/** What one instance says of its bot socket. */
export interface PeerReport {
  /** How long its socket had been connected when it said so, ms; null while it is down. */
  connectedForMs: number | null;
  /** When it said so, on the peers' shared clock (Redis's). */
  at: number;
}

const peerReport = z.object({ connectedForMs: z.number().nonnegative().nullable(), at: z.number() });

/** Where the instances tell each other how their bot sockets are, on one clock. */
export interface BotSocketPeers {
  /** Records this instance's report, stamped with the shared clock. */
  report(instanceId: string, connectedForMs: number | null): Promise<void>;
  /** Every instance's report, stale ones included, and the shared clock's time now. */
  reports(): Promise<{ now: number; reports: Map<string, PeerReport> }>;
  remove(instanceId: string): Promise<void>;
}

/** {@link BotSocketPeers} in a Redis hash on Redis's clock, for instances that share `redis` and `prefix`. */
export function redisBotSocketPeers(redis: Redis, prefix: string, logger: Logger): BotSocketPeers {
  const key = `${prefix}${BOT_SOCKETS_KEY}`;
  const redisNow = async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  return {
    report: async (instanceId, connectedForMs) =>
      void (await redis.hset(key, instanceId, JSON.stringify({ connectedForMs, at: await redisNow() }))),
    reports: async () => {
      const now = await redisNow();
      const reports = new Map<string, PeerReport>();
      for (const [id, raw] of Object.entries(await redis.hgetall(key))) {
        const parsed = peerReport.safeParse(safeJson(raw));
        if (parsed.success) reports.set(id, parsed.data);
        else logger.warn({ msg: 'gateway: a bot socket report in Redis is not what it should be; ignored', key, field: id });
      }
      return { now, reports };
    },
    remove: async (instanceId) => void (await redis.hdel(key, instanceId)),
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** What {@link BotSocketWatch} needs. */
export interface BotSocketWatchOptions {
  instanceId: string;
  /** Whether this instance's bot socket is connected now. */
  isConnected(): boolean;
  /** The other instances, through Redis; none without it. */
  peers?: BotSocketPeers;
  /** How long the socket may be down, and a peer's connected, before it is this instance's fault. */
  graceMs: number;
  now(): number;
  logger: Logger;
  /** How often to report, ms (a report three times as old is of an instance that is gone). Default {@link REPORT_EVERY_MS}. */
  reportEveryMs?: number;
}

/**
 * Follows this instance's bot socket, reports it to the other instances, and says whether its
 * being down is this instance's own fault.
 *
 * @example
 * ```ts
 * const watch = new BotSocketWatch({ instanceId, isConnected: () => socket.state === 'connected', peers, graceMs: 60_000, now: Date.now, logger });
 * watch.start();
 * const scope = (await watch.ownFault()) ? 'instance' : 'shared';
 * ```
 */
export class BotSocketWatch {
  private readonly reportEveryMs: number;
  private downSince: number | undefined;
  private connectedSince: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private warned = false;

  constructor(private readonly o: BotSocketWatchOptions) {
    this.downSince = o.now(); // not connected yet: down since the watch began
    this.reportEveryMs = o.reportEveryMs ?? REPORT_EVERY_MS;
  }

  /** Reports now and every `reportEveryMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    void this.report();
    this.timer = setInterval(() => void this.report(), this.reportEveryMs);
    this.timer.unref?.();
  }

  /** Takes the socket's state now (call it when the socket connects or drops). */
  sample(): void {
    const at = this.o.now();
    if (this.o.isConnected()) {
      this.downSince = undefined;
      this.connectedSince ??= at;
    } else {
      this.connectedSince = undefined;
      this.downSince ??= at;
    }
  }

  /**
   * True when the socket has been down for longer than the grace while another instance's had
   * been connected for longer than the grace at its last report, made within three report
   * intervals. False otherwise, and when the peers cannot be read.
   */
  async ownFault(): Promise<boolean> {
    this.sample();
    if (this.downSince === undefined || this.o.now() - this.downSince <= this.o.graceMs || !this.o.peers) return false;
    try {
      const { now, reports } = await this.o.peers.reports();
      for (const [id, peer] of reports)
        if (
          id !== this.o.instanceId &&
          Math.abs(now - peer.at) <= 3 * this.reportEveryMs &&
          peer.connectedForMs !== null &&
          peer.connectedForMs > this.o.graceMs
        )
          return true;
    } catch {
      // Redis down: its own check says so; the socket is not this instance's fault on that evidence.
    }
    return false;
  }

  /** Stops reporting and takes this instance's report out. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.o.peers?.remove(this.o.instanceId).catch(() => {});
  }

  private async report(): Promise<void> {
    this.sample();
    const { peers, instanceId } = this.o;
    if (!peers) return;
    try {
      await peers.report(instanceId, this.connectedSince === undefined ? null : this.o.now() - this.connectedSince);
      const { now, reports } = await peers.reports();
      for (const [id, peer] of reports) if (now - peer.at > REPORT_PRUNE_MS) await peers.remove(id);
      this.warned = false;
    } catch (e) {
      // Redis's own problems are logged by its client; say once that the peers go without this report.
      if (!this.warned)
        this.o.logger.warn({
          msg: 'gateway: could not report the bot socket to the other instances; they count this one as gone until it can',
          error: e instanceof Error ? e.message : String(e),
        });
      this.warned = true;
    }
  }
}
