// From the bot's socket to the visitors' sockets: each posted / edited / deleted / typing event of
// a conversation's thread goes to that conversation's live sockets, once. After every reconnect it
// backfills over REST what the socket missed (Mattermost replays only its last 128 events, and
// not at all to a socket authenticated by challenge).
import type { ErrorReporter } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CompanionMetrics } from '../metrics.js';
import type { BotAccount } from './bot-account.js';
import type { MattermostEvent } from './bot-socket.js';
import type { ServerFrame } from '../../protocol/gateway.js';
import { mmPostSchema, type GatewayMattermost, type MmPost } from './mattermost-api.js';
import { toWireMessage } from './messages.js';
import type { GatewayStore } from './store.js';

/** Where the relay delivers (the LiveHub). */
export interface RelayTarget {
  publish(conversationId: string, frame: ServerFrame): number;
  /** Closes every socket with 1012 so its widget reconnects and resyncs through the REST API. */
  reconnectAll(reason: string): void;
}

/** What {@link Relay} needs. */
export interface RelayOptions {
  api: GatewayMattermost;
  store: GatewayStore;
  hub: RelayTarget;
  bot: () => BotAccount;
  logger: Logger;
  /** Delay between failed backfill attempts. Default: 2 s. */
  retryMs?: number;
  /** Clock in ms (stands in for a deletion's time, which post_deleted events do not carry). */
  now?: () => number;
  /** Counts agent posts delivered to visitors' sockets (`to_visitor`). Default: none. */
  metrics?: Pick<CompanionMetrics, 'messageRelayed'>;
  /** Told of a failed relay task (also logged at error level). Default: none. */
  onError?: ErrorReporter;
}

/** `GET /channels/{id}/posts?since=` answers at most this many posts, in no useful order. */
export const BACKFILL_CAP = 1000;
/** How far before the cursor a backfill starts: repeats are dropped by the seen map. */
export const BACKFILL_LOOKBACK_MS = 60_000;
const POST_EVENTS: Record<string, 'posted' | 'edited' | 'deleted'> = { posted: 'posted', post_edited: 'edited', post_deleted: 'deleted' };
/** Post ids whose delivered version is remembered, to deliver each version once. */
const SEEN_LIMIT = 20_000;

const version = (post: MmPost) => Math.max(post.create_at, post.update_at, post.delete_at);

/**
 * Routes the bot socket's events to the visitors' sockets.
 *
 * Each post version is delivered once: live events and backfilled posts go through the same
 * "seen" check (post id → newest version delivered). The backfill cursor is on Mattermost's clock:
 * the newest post time seen, or at the first connection the support channel's newest post.
 */
export class Relay {
  private readonly o: RelayOptions;
  private readonly seen = new Map<string, number>();
  private cursorValue: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  private backfillTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Posts that could not be delivered because the store failed, and the oldest of their times. */
  private readonly undelivered = new Set<string>();
  private retryFrom: number | undefined;

  constructor(options: RelayOptions) {
    this.o = options;
  }

  /** The backfill cursor: the newest post time seen (ms, Mattermost's clock). */
  get cursor(): number | undefined {
    return this.cursorValue;
  }

  /** Waits until every queued event and backfill has been handled (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((e) => {
      this.o.logger.error({ msg: 'gateway relay failed', error: e instanceof Error ? e.message : String(e) });
      this.o.onError?.(e, { source: 'background' });
    });
  }

  /** Takes one event from the bot socket. */
  handle = (event: MattermostEvent): void => {
    if (this.stopped) return;
    const kind = POST_EVENTS[event.event];
    if (kind) {
      const raw = event.data.post;
      let post: MmPost;
      try {
        post = mmPostSchema.parse(typeof raw === 'string' ? JSON.parse(raw) : raw);
      } catch {
        this.o.logger.warn({ msg: 'gateway relay: a post event from Mattermost has an unexpected shape', event: event.event });
        return;
      }
      this.enqueue(() => this.deliverOrRetry(post, kind));
    } else if (event.event === 'typing') {
      const userId = event.data.user_id;
      const parentId = event.data.parent_id;
      if (typeof userId !== 'string' || typeof parentId !== 'string' || !parentId) return;
      if (event.broadcast.channel_id !== this.o.bot().channelId || userId === this.o.bot().userId) return;
      this.enqueue(async () => {
        const conversation = await this.o.store.findConversationByRoot(parentId);
        if (conversation) this.o.hub.publish(conversation.conversationId, { type: 'typing', userId });
      });
    }
  };

  /** Called by the bot socket after each authentication: sets the cursor, or backfills. */
  connected = ({ reconnect }: { reconnect: boolean }): void => {
    if (this.stopped) return;
    this.enqueue(() => (reconnect || this.cursorValue !== undefined ? this.backfill() : this.initCursor()));
  };

  private async initCursor(): Promise<void> {
    try {
      const newest = await this.o.api.getNewestChannelPost(this.o.bot().channelId);
      this.cursorValue = Math.max(this.cursorValue ?? 0, newest ? version(newest) : 0);
    } catch (e) {
      // Without a cursor the next reconnect backfills from the first event seen, or from 0.
      this.o.logger.warn({
        msg: 'gateway relay: could not read the support channel for a cursor',
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  private async backfill(): Promise<void> {
    if (this.backfillTimer) clearTimeout(this.backfillTimer);
    this.backfillTimer = undefined;
    const cursor = this.cursorValue ?? 0;
    // From well before the cursor: posts saved in the same instants as the cursor's, or shortly
    // before it by another server of a cluster, are caught too; what was delivered is not again.
    // And from before the oldest post the store kept us from delivering, however long ago.
    const since = Math.max(0, Math.min(cursor - BACKFILL_LOOKBACK_MS, (this.retryFrom ?? Infinity) - 1));
    let posts: MmPost[];
    try {
      posts = await this.o.api.getChannelPostsSince(this.o.bot().channelId, since);
      // Held-back posts are in this answer: the next failure sets its own start.
      this.retryFrom = undefined;
    } catch (e) {
      this.o.logger.warn({ msg: 'gateway relay: backfill failed; retrying', error: e instanceof Error ? e.message : String(e) });
      if (!this.stopped) {
        this.backfillTimer = setTimeout(() => this.enqueue(() => this.backfill()), this.o.retryMs ?? 2000);
        this.backfillTimer.unref?.();
      }
      return;
    }
    // In the order things happened, as the socket would have told them.
    posts.sort((a, b) => version(a) - version(b) || a.create_at - b.create_at);
    let delivered = 0;
    for (const post of posts) {
      const kind =
        post.delete_at > 0
          ? 'deleted'
          : this.undelivered.has(post.id)
            ? 'posted'
            : this.seen.has(post.id) || post.create_at < cursor
              ? 'edited'
              : 'posted';
      try {
        if (await this.deliver(post, kind)) delivered++;
        this.undelivered.delete(post.id);
      } catch (e) {
        this.storeFailed(post, e);
      }
    }
    this.o.logger.info({ msg: 'gateway relay backfilled', since, posts: posts.length, delivered });
    if (posts.length >= BACKFILL_CAP) {
      // Mattermost stopped at its cap: some changes are missing, and which ones is unknowable.
      // The widgets reconnect and read their conversations again through the REST API.
      this.o.logger.warn({ msg: "gateway relay: backfill hit Mattermost's cap; live sockets told to resync", posts: posts.length });
      this.o.hub.reconnectAll('resync');
    }
  }

  private async deliverOrRetry(post: MmPost, kind: 'posted' | 'edited' | 'deleted'): Promise<void> {
    try {
      await this.deliver(post, kind);
      this.undelivered.delete(post.id);
    } catch (e) {
      this.storeFailed(post, e);
    }
  }

  /**
   * The store failed while a post was delivered (Redis restarting): the post is not marked as seen,
   * and a backfill from before it is retried until the store answers, so it still arrives, once.
   */
  private storeFailed(post: MmPost, e: unknown): void {
    if (this.undelivered.size === 0)
      this.o.logger.warn({
        msg: 'gateway relay: the store failed; delivering again from a backfill when it answers',
        error: e instanceof Error ? e.message : String(e),
      });
    if (this.undelivered.size < SEEN_LIMIT) this.undelivered.add(post.id);
    this.retryFrom = Math.min(this.retryFrom ?? Infinity, version(post));
    if (!this.backfillTimer && !this.stopped) {
      this.backfillTimer = setTimeout(() => this.enqueue(() => this.backfill()), this.o.retryMs ?? 2000);
      this.backfillTimer.unref?.();
    }
  }

  /** Delivers a post version to its conversation once; true when it was new. Throws when the store fails (nothing is marked seen then). */
  private async deliver(post: MmPost, kind: 'posted' | 'edited' | 'deleted'): Promise<boolean> {
    const bot = this.o.bot();
    if (post.channel_id !== bot.channelId) return false;
    if (kind === 'deleted' && post.delete_at === 0) {
      // post_deleted carries the post as it was before the deletion (app/post.go DeletePost fetches
      // it, then CleanUpAfterPostDeletion publishes that copy): stamp the deletion ourselves.
      post = { ...post, delete_at: Math.max(post.update_at + 1, (this.o.now ?? Date.now)()) };
    } else {
      this.cursorValue = Math.max(this.cursorValue ?? 0, version(post));
    }
    const seen = this.seen.get(post.id);
    if (seen !== undefined && seen >= version(post)) return false;
    // A deletion is final: no later copy of the post (a backfill's) is delivered again.
    const remember = () => this.remember(post.id, post.delete_at > 0 ? Infinity : version(post));
    if (!post.root_id) return (void remember(), false);
    const conversation = await this.o.store.findConversationByRoot(post.root_id);
    if (!conversation) return (void remember(), false);
    const message = toWireMessage(post, { botUserId: bot.userId, visitorUserId: conversation.visitorUserId });
    if (!message) return (void remember(), false);
    if (kind === 'deleted' || message.deleted) {
      await this.o.store.recordDeletion(conversation.rootPostId, {
        postId: post.id,
        userId: message.userId,
        createAt: message.createAt,
        deletedAt: message.updateAt,
      });
    }
    // An agent's new message: the conversation is active (retention counts idleness from here).
    if (kind === 'posted' && !message.deleted) await this.o.store.touchConversation(conversation.conversationId, post.create_at);
    remember();
    const type = message.deleted ? 'deleted' : kind === 'deleted' ? 'edited' : kind;
    const sockets = this.o.hub.publish(conversation.conversationId, { type, message });
    // An agent's new post that reached the visitor here (each instance counts its own sockets' deliveries).
    if (type === 'posted' && sockets > 0 && message.userId !== conversation.visitorUserId) this.o.metrics?.messageRelayed('to_visitor');
    return true;
  }

  private remember(postId: string, v: number): void {
    this.seen.delete(postId);
    this.seen.set(postId, v);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Stops retrying backfills; queued work finishes. */
  stop(): void {
    this.stopped = true;
    if (this.backfillTimer) clearTimeout(this.backfillTimer);
  }
}
