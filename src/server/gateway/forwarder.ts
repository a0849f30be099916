// Store and forward: while Mattermost is unreachable, a visitor's message is accepted into the
// store (durably: SQLite or Redis) and a forwarder posts it once Mattermost is back, in order, once.
// Delivery goes through the conversation service's idempotent send (client id, pending_post_id and
// a look in the thread), so a delivery that died half-way is never posted twice.
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CompanionMetrics } from '../metrics.js';
import { MattermostError } from '../mattermost-admin.js';
import { erasureInProgress } from '../privacy.js';
import type { WireMessage } from '../../protocol/gateway.js';
import type { ConversationService, VisitorContext } from './conversation-service.js';
import type { GatewayStore } from './store.js';

/** A send as the visitor route passes it (the files helper may add `fileIds`). */
export type QueueableSend = Parameters<ConversationService['send']>[1] & {
  /** What the visitor wrote in the contact form, posted with the message. */
  contact?: { name?: string; email?: string };
};

/** What a send became: posted (or found posted), or queued for the forwarder. */
export type SendOutcome =
  { message: WireMessage; created: boolean; queued?: undefined } | { queued: { clientId: string; createAt: number } };

/**
 * Whether a failure means Mattermost cannot be reached for now (no answer, a time-out, or a proxy's
 * 502/503/504 while it restarts): the cases where a message is queued rather than refused.
 */
export function mattermostUnreachable(e: unknown): boolean {
  if (e instanceof MattermostError) return e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;
  // Before the bot is known (a start while Mattermost was down, with no cached account).
  return e instanceof HttpError && e.code === 'gateway_starting';
}

/**
 * Whether a delivery failure refuses the queued message for good, so it is dropped: the gateway's
 * 4xx (422 `message_refused`…) other than 429, and Mattermost's own 4xx other than 408 and 429 (the
 * bot's token revoked, the bot removed from the channel, the channel gone): retrying would block
 * the conversation's queue for ever.
 */
function refusedForGood(e: unknown): boolean {
  if (e instanceof HttpError) return e.status < 500 && e.status !== 429;
  return e instanceof MattermostError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}

const payloadSchema = z.object({
  visitor: z.object({
    conversationId: z.string().min(1),
    userId: z.string().min(1),
    name: z.string().optional(),
    email: z.string().optional(),
    page: z.string().optional(),
    identified: z.boolean(),
    contact: z.object({ name: z.string().optional(), email: z.string().optional() }).optional(),
  }),
  input: z.looseObject({ clientId: z.string().min(1), text: z.string() }),
});
type Payload = z.infer<typeof payloadSchema>;

/** When the store-and-forward forwarder tries again (tests shorten it). */
export interface ForwarderTiming {
  /** First wait before retrying a conversation whose delivery failed (ms). Default: 1,000. */
  minBackoffMs?: number;
  /** Longest wait between retries (ms). Default: 30,000. */
  maxBackoffMs?: number;
  /** How often queued conversations are looked at (other instances', after a restart), ms. Default: 5,000. */
  sweepMs?: number;
  /** How many queued conversations one sweep looks at; the next sweep reads the next page. Default: 500. */
  sweepPage?: number;
  /**
   * Failed deliveries of one queued message after which it is dropped (counted `dropped`). Failures
   * while Mattermost is unreachable or rate-limits (429) do not count. Default: 20.
   */
  maxAttempts?: number;
  /** Messages queued per conversation at most; past it, a send answers 503 `queue_full`. Default: 100. */
  maxQueuedPerConversation?: number;
}

/** What the forwarder needs. */
export interface ForwarderOptions extends ForwarderTiming {
  conversations: Pick<ConversationService, 'send'>;
  store: GatewayStore;
  logger: Logger;
  now: () => number;
  /** This instance's name in the store's locks. */
  instanceId: string;
  /** Counts queued, forwarded and dropped messages (`porthole_messages_queued_total`). Default: none. */
  metrics?: Pick<CompanionMetrics, 'messageQueued'>;
}

const LOCK_TTL_MS = 60_000;
const BATCH = 50;

/**
 * Accepts visitor messages while Mattermost is unreachable and forwards them once it is back.
 *
 * - {@link send} posts through the conversation service; when Mattermost is unreachable, or the
 *   conversation already has queued messages (so the order is kept), it queues the message and
 *   answers `{queued}`. A repeat of a queued client id answers `{queued}` again: one copy.
 * - Delivery holds the store lock `forward:<conversationId>` (one instance per conversation),
 *   posts the queue oldest first and removes each message once posted; a failure waits with
 *   exponential backoff and keeps the rest queued behind it.
 * - {@link start} resumes from the store (after a restart, or another instance's crash) and
 *   sweeps it every `sweepMs`.
 *
 * @example
 * ```ts
 * const forwarder = new Forwarder({ conversations, store, logger, now: Date.now, instanceId });
 * forwarder.start();
 * const outcome = await forwarder.send(visitor, { clientId, text });
 * ```
 */
export class Forwarder {
  private readonly o: ForwarderOptions;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Conversations waiting for a retry, and how many deliveries of each failed in a row. */
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly attempts = new Map<string, number>();
  /** Failed deliveries of each queued message (`conversationId\0clientId`), for `maxAttempts`. */
  private readonly messageAttempts = new Map<string, number>();
  /** Where the next sweep reads the store's list of queued conversations. */
  private sweepOffset = 0;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(options: ForwarderOptions) {
    this.o = options;
  }

  /** Posts a visitor message, or queues it while Mattermost is unreachable. */
  async send(visitor: VisitorContext, send: QueueableSend): Promise<SendOutcome> {
    const { store } = this.o;
    // The contact travels with the visitor (the root post or a note names it).
    const { contact, ...input } = send;
    if (contact && (contact.name || contact.email)) visitor = { ...visitor, contact };
    const queued = await store.getQueuedMessage(visitor.conversationId, input.clientId);
    // Delivered but not yet taken off the queue (the forwarder posts, then dequeues): answer as posted.
    if (queued && (await store.getClientPost(visitor.conversationId, input.clientId))?.postId)
      return this.o.conversations.send(visitor, input);
    if (queued) {
      this.kick(visitor.conversationId);
      return { queued: { clientId: queued.clientId, createAt: queued.createAt } };
    }
    // Behind messages still queued: posting now would overtake them.
    if ((await store.queuedMessages(visitor.conversationId, 1)).length > 0) {
      // An already posted client id answers as posted, not queued.
      if ((await store.getClientPost(visitor.conversationId, input.clientId))?.postId) return this.o.conversations.send(visitor, input);
      return this.enqueue(visitor, input);
    }
    try {
      return await this.o.conversations.send(visitor, input);
    } catch (e) {
      if (!mattermostUnreachable(e)) throw e;
      this.o.logger.warn({
        msg: 'gateway: Mattermost unreachable, message queued',
        conversationId: visitor.conversationId,
        error: e instanceof Error ? e.message : String(e),
      });
      return this.enqueue(visitor, input);
    }
  }

  private async enqueue(visitor: VisitorContext, input: QueueableSend): Promise<SendOutcome> {
    const { store } = this.o;
    if (await store.getErasure(visitor.conversationId)) throw erasureInProgress();
    const max = this.o.maxQueuedPerConversation ?? 100;
    const ahead = (await store.queuedMessages(visitor.conversationId, max)).length;
    if (ahead >= max)
      throw new HttpError(
        503,
        'queue_full',
        `${max} messages of this conversation are already waiting for the chat server to be reachable again. Retry later.`,
        { headers: { 'Retry-After': '30' } },
      );
    const payload = JSON.stringify({ visitor: { ...visitor }, input: { ...input } } satisfies Payload);
    const createAt = this.o.now();
    const stored = await this.o.store.enqueueMessage(visitor.conversationId, { clientId: input.clientId, createAt, payload });
    if (stored.createAt === createAt && stored.payload === payload) this.o.metrics?.messageQueued?.('queued');
    this.schedule(visitor.conversationId);
    return { queued: { clientId: stored.clientId, createAt: stored.createAt } };
  }

  /** Resumes delivery of everything queued in the store, now and every `sweepMs`. */
  start(): void {
    if (this.sweepTimer || this.stopped) return;
    const sweep = () => {
      this.sweep().catch((e: unknown) =>
        this.o.logger.warn({ msg: 'gateway forwarder: cannot read the queue', error: e instanceof Error ? e.message : String(e) }),
      );
    };
    this.sweepTimer = setInterval(sweep, this.o.sweepMs ?? 5000);
    this.sweepTimer.unref?.();
    sweep();
  }

  /**
   * Kicks one page of the store's queued conversations; the next sweep reads the next page, and
   * after the last one the first again, so conversations stuck in a retry never starve the others.
   */
  private async sweep(): Promise<void> {
    const page = this.o.sweepPage ?? 500;
    const offset = this.sweepOffset;
    const ids = await this.o.store.queuedConversations(page, offset);
    this.sweepOffset = ids.length < page ? 0 : offset + ids.length;
    for (const id of ids) this.kick(id);
  }

  /**
   * Mattermost is back (the bot's socket connected): retries waiting for their backoff go now, and
   * every queued conversation of the store is looked at.
   */
  resume(): void {
    if (this.stopped) return;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    this.attempts.clear();
    // From the first page; the sweeps go on with the next ones.
    this.sweepOffset = 0;
    this.sweep().catch(() => {});
  }

  /** Stops the sweeps and retries; a delivery in flight finishes its current message. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Delivers a conversation's queue now unless a retry is already waiting for it. */
  kick(conversationId: string): void {
    if (!this.retries.has(conversationId)) this.schedule(conversationId);
  }

  /** Resolves once no delivery runs on this instance (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private schedule(conversationId: string): void {
    if (this.stopped) return;
    if (this.running.has(conversationId)) {
      this.again.add(conversationId);
      return;
    }
    const run = this.deliver(conversationId)
      .catch((e: unknown) => {
        this.o.logger.warn({
          msg: 'gateway forwarder: delivery failed, will retry',
          conversationId,
          error: e instanceof Error ? e.message : String(e),
        });
        this.backoff(conversationId);
      })
      .finally(() => {
        this.running.delete(conversationId);
        if (this.again.delete(conversationId)) this.kick(conversationId);
      });
    this.running.set(conversationId, run);
  }

  private backoff(conversationId: string): void {
    if (this.stopped) return;
    const attempt = (this.attempts.get(conversationId) ?? 0) + 1;
    this.attempts.set(conversationId, attempt);
    clearTimeout(this.retries.get(conversationId));
    const base = Math.min(this.o.maxBackoffMs ?? 30_000, (this.o.minBackoffMs ?? 1000) * 2 ** (attempt - 1));
    const timer = setTimeout(
      () => {
        this.retries.delete(conversationId);
        this.schedule(conversationId);
      },
      Math.round(base * (0.75 + Math.random() * 0.5)),
    );
    timer.unref?.();
    this.retries.set(conversationId, timer);
  }

  private async deliver(conversationId: string): Promise<void> {
    const { store, now, instanceId } = this.o;
    const lock = `forward:${conversationId}`;
    // Another instance delivers it: the sweep looks again later.
    if (!(await store.acquireLock(lock, instanceId, LOCK_TTL_MS, now()))) return;
    try {
      for (;;) {
        const batch = await store.queuedMessages(conversationId, BATCH);
        if (batch.length === 0) break;
        for (const queued of batch) {
          if (this.stopped) return;
          // Renewed before each message; lost (expired and taken by another instance): that one delivers.
          if (!(await store.acquireLock(lock, instanceId, LOCK_TTL_MS, now()))) return;
          let payload: Payload;
          try {
            payload = payloadSchema.parse(JSON.parse(queued.payload));
          } catch {
            // Not the error's text: it may quote the payload (the message, an email).
            this.o.logger.error({ msg: 'gateway forwarder: a queued message is not what the companion wrote; dropped', conversationId });
            await store.dequeueMessage(conversationId, queued.clientId);
            this.o.metrics?.messageQueued?.('dropped');
            continue;
          }
          // Erased (or delivered by another instance) since the batch was read.
          const key = `${conversationId}\0${queued.clientId}`;
          if (!(await store.getQueuedMessage(conversationId, queued.clientId))) {
            this.messageAttempts.delete(key);
            continue;
          }
          let event: 'forwarded' | 'dropped' = 'forwarded';
          try {
            await this.o.conversations.send(payload.visitor, payload.input as QueueableSend);
          } catch (e) {
            if (!refusedForGood(e)) {
              // Unreachable, busy, erasing (503), rate-limited (429): later, up to maxAttempts failures.
              const rateLimited = (e instanceof HttpError || e instanceof MattermostError) && e.status === 429;
              const failed = mattermostUnreachable(e) || rateLimited ? 0 : 1;
              const attempts = (this.messageAttempts.get(key) ?? 0) + failed;
              if (attempts < (this.o.maxAttempts ?? 20)) {
                if (failed) this.messageAttempts.set(key, attempts);
                throw e;
              }
            }
            this.o.logger.error({
              msg: refusedForGood(e)
                ? 'gateway forwarder: Mattermost refused a queued message; dropped'
                : 'gateway forwarder: a queued message failed too many times; dropped',
              conversationId,
              clientId: queued.clientId,
              status: e instanceof HttpError || e instanceof MattermostError ? e.status : undefined,
              code: e instanceof HttpError ? e.code : e instanceof MattermostError ? e.mmId : undefined,
              error: e instanceof Error ? e.message : String(e),
            });
            event = 'dropped';
          }
          this.messageAttempts.delete(key);
          await store.dequeueMessage(conversationId, queued.clientId);
          this.o.metrics?.messageQueued?.(event);
        }
      }
      this.attempts.delete(conversationId);
    } finally {
      await store.releaseLock(lock, instanceId).catch(() => {});
    }
  }
}
