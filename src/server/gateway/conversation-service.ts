// A conversation is a thread in the support channel: this service creates it at the first
// message, posts the visitor's messages as the bot, and reads the thread back as messages.
// Nothing here takes a conversation id from the visitor: callers pass the token's claims.
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MattermostError } from '../mattermost-admin.js';
import type { CompanionMetrics } from '../metrics.js';
import { erasureInProgress } from '../privacy.js';
import type { BotAccount } from './bot-account.js';
import type { WireMessage } from '../../protocol/gateway.js';
import type { GatewayMattermost, MmPost } from './mattermost-api.js';
import { displayName } from './mattermost-api.js';
import {
  announcement,
  CLIENT_ID_PROP,
  defuseMentions,
  fallbackVisitorName,
  toWireMessage,
  visitorDisplayName,
  type ThreadParties,
  contactLine,
  NOTE_PROP,
  type VisitorContact,
} from './messages.js';
import { pendingPostId } from './porthole-token.js';
import type { ConversationRecord, GatewayStore } from './store.js';

/** The visitor a request acts for, from a verified Porthole token. */
export interface VisitorContext {
  conversationId: string;
  userId: string;
  name?: string;
  /** Only from a verified identity. */
  email?: string;
  page?: string;
  identified: boolean;
  /** What the visitor typed in the contact form with this send (offline part); posted in the thread. */
  contact?: VisitorContact;
}

/** A visitor's send: the widget's client id, the text, and files uploaded in this conversation (at most 10). */
export interface SendInput {
  clientId: string;
  text: string;
  fileIds?: string[];
}

/** A page of messages, oldest first. */
export interface MessagePage {
  messages: WireMessage[];
  hasMore: boolean;
}

/** What {@link ConversationService} needs. */
export interface ConversationServiceOptions {
  api: GatewayMattermost;
  store: GatewayStore;
  /** The bot, once the gateway has started (throws 503 before). */
  bot: () => BotAccount;
  /** Keys the `pending_post_id`s. Secret. */
  tokenSecret: string;
  /** `override_icon_url` of visitor messages. */
  visitorIconUrl?: string;
  logger: Logger;
  now: () => number;
  /** This instance's name in store locks. */
  instanceId: string;
  /** Waits between retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** Called before a new conversation's thread is created; throws (a 429) when the global budget of new conversations is spent. */
  admitNewConversation?: () => Promise<void>;
  /** Counts conversations started and visitor messages posted to Mattermost. Default: none. */
  metrics?: Pick<CompanionMetrics, 'conversationStarted' | 'messageRelayed'>;
}

/** Mattermost's answer while an identical `pending_post_id` is still being saved (app/post.go deduplicateCreatePost). */
const PENDING = 'api.post.deduplicate_create_post.pending';
/** Mattermost's answer when the root of a reply does not exist or was deleted (app/post.go CreatePost). */
const ROOT_GONE = /^api\.post\.create_post\.(root_id|channel_root_id)\.app_error$/;
/** Mattermost answers that refuse the message itself (not the bot, not the service). */
const REFUSING_STATUSES = new Set([400, 413, 422]);
const SINCE_PAGE = 200;
const SINCE_MAX_PAGES = 5;
/** `latest`/`before` read on past page reports in pages of this size, this many reads at most (first: `perPage`). */
const SCAN_PAGE = 200;
const PAGE_MAX_READS = 5;
const TYPING_EVERY_MS = 2000;

/**
 * A Mattermost refusal of the message as a 422 for the visitor: a 5xx would have the widget retry
 * the same message for ever. Its configuration errors (401, 403, 404, 429) stay server errors.
 */
function refusal(e: unknown): unknown {
  if (!(e instanceof MattermostError) || !REFUSING_STATUSES.has(e.status)) return e;
  return new HttpError(
    422,
    'message_refused',
    `The chat server refused this message (Mattermost answered ${e.status} ${e.mmId ?? 'without an error id'}). Sending it again will not help; change it or write another one.`,
    { detail: e.message, cause: e },
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Conversations of gateway mode, one thread each in the support channel.
 *
 * - The first message creates the bot's root post announcing the visitor; concurrent first
 *   messages (tabs, instances) create one, through an in-process promise and a store lock.
 * - Each message is a bot reply with `from_webhook`, `override_username`, the client id and a
 *   keyed `pending_post_id`; a repeat of a client id returns the first post, also after a restart
 *   or past Mattermost's 30 s de-duplication window (the store, then the thread, is checked: the
 *   thread whenever an earlier attempt is pending, since a Mattermost restart empties its cache).
 * - Reads use the thread API (collapsed threads: replies only) and the store's deletion records.
 */
export class ConversationService {
  private readonly o: ConversationServiceOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly creating = new Map<string, Promise<ConversationRecord>>();
  private readonly sending = new Map<string, Promise<{ message: WireMessage; created: boolean }>>();
  private readonly lastTyping = new Map<string, number>();

  constructor(options: ConversationServiceOptions) {
    this.o = options;
    this.sleep = options.sleep ?? defaultSleep;
  }

  private parties(visitor: VisitorContext): ThreadParties {
    return { botUserId: this.o.bot().userId, visitorUserId: visitor.userId };
  }

  private toMessages(posts: MmPost[], visitor: VisitorContext): WireMessage[] {
    const parties = this.parties(visitor);
    const out: WireMessage[] = [];
    for (const post of posts) {
      const m = toWireMessage(post, parties);
      if (m) out.push(m);
    }
    return out.sort((a, b) => a.createAt - b.createAt || (a.id < b.id ? -1 : 1));
  }

  /** The visitor's conversation, if they have written. */
  conversation(visitor: VisitorContext): Promise<ConversationRecord | undefined> {
    return this.o.store.getConversation(visitor.conversationId);
  }

  /**
   * Sends a visitor message. Returns the message and whether this call created it (`false` for a
   * repeat of the same client id).
   */
  send(visitor: VisitorContext, input: SendInput): Promise<{ message: WireMessage; created: boolean }> {
    const key = `${visitor.conversationId}\0${input.clientId}`;
    let running = this.sending.get(key);
    if (!running) {
      running = this.sendOnce(visitor, input).finally(() => this.sending.delete(key));
      this.sending.set(key, running);
    }
    return running;
  }

  private async sendOnce(visitor: VisitorContext, input: SendInput): Promise<{ message: WireMessage; created: boolean }> {
    const { store } = this.o;
    const known = await store.getClientPost(visitor.conversationId, input.clientId);
    if (known?.postId) return { message: await this.knownMessage(visitor, known.postId, input.clientId, known.at), created: false };
    // An erasure under way (any instance) is not undone by a message posted behind it.
    if (await store.getErasure(visitor.conversationId)) throw erasureInProgress();

    // A contact typed in the form: in the root post of a new thread, else a note before the message.
    const hadThread = visitor.contact !== undefined && (await store.getConversation(visitor.conversationId)) !== undefined;
    let conversation = await this.ensureConversation(visitor);
    if (hadThread) await this.postContactNote(conversation, visitor, input.clientId);
    if (known) {
      // An earlier attempt may have reached Mattermost and died before the store heard of it.
      // Look in the thread whatever its age: Mattermost's pending_post_id cache is empty after
      // a Mattermost restart, so it cannot be trusted even within its 30 s.
      const found = await this.findByClientId(conversation.rootPostId, input.clientId);
      if (found) {
        // The files that post carries (Mattermost's word, not this retry's) are posted now: not
        // left over for erasure to gather.
        const attached = [...new Set([...(found.file_ids ?? []), ...(found.metadata?.files ?? []).map((f) => f.id)])];
        if (attached.length) await store.setConversationFilesPost(visitor.conversationId, attached, found.id);
        await store.setClientPost(visitor.conversationId, input.clientId, found.id, this.o.now());
        return { message: toWireMessage(found, this.parties(visitor))!, created: false };
      }
    }
    if (input.fileIds?.length) await this.checkFiles(visitor, input.fileIds);
    await store.markClientPostPending(visitor.conversationId, input.clientId, this.o.now());
    let post: MmPost;
    try {
      post = await this.createReply(conversation, visitor, input);
    } catch (e) {
      if (!(e instanceof MattermostError && ROOT_GONE.test(e.mmId ?? ''))) throw refusal(e);
      // The root was deleted in Mattermost (and with it the thread): start a new thread.
      conversation = await this.ensureConversation(visitor, conversation.rootPostId);
      post = await this.createReply(conversation, visitor, input).catch((err: unknown) => {
        throw refusal(err);
      });
    }
    this.o.metrics?.messageRelayed('to_mattermost');
    if (input.fileIds?.length) await store.setConversationFilesPost(visitor.conversationId, input.fileIds, post.id);
    await store.setClientPost(visitor.conversationId, input.clientId, post.id, this.o.now());
    // Retention counts idleness from here (and from agents' posts, in the relay).
    await store.touchConversation(visitor.conversationId, post.create_at);
    return { message: toWireMessage(post, this.parties(visitor))!, created: true };
  }

  /** Posts the visitor's contact as a bot note in the thread (once per client id; never shown to the visitor as a message). */
  private async postContactNote(conversation: ConversationRecord, visitor: VisitorContext, clientId: string): Promise<void> {
    const line = contactLine(visitor.contact);
    const noteId = `contact:${clientId}`;
    if (!line || (await this.o.store.getClientPost(visitor.conversationId, noteId))?.postId) return;
    const post = await this.o.api.createPost({
      channel_id: conversation.channelId,
      root_id: conversation.rootPostId,
      message: line,
      props: { [NOTE_PROP]: 'contact', porthole_visitor: visitor.userId },
      pending_post_id: await pendingPostId(this.o.tokenSecret, visitor.conversationId, noteId),
    });
    await this.o.store.setClientPost(visitor.conversationId, noteId, post.id, this.o.now());
  }

  /**
   * Refuses files not uploaded in this conversation, or already attached to one of its messages
   * (Mattermost would drop them from the post silently: sqlstore AttachToPost).
   */
  private async checkFiles(visitor: VisitorContext, fileIds: string[]): Promise<void> {
    for (const id of fileIds) {
      const file = await this.o.store.getConversationFile(visitor.conversationId, id);
      if (!file)
        throw new HttpError(
          400,
          'invalid_request',
          `"fileIds" must be ids of files uploaded in this conversation with POST /v1/files (received ${JSON.stringify(id.slice(0, 40))}).`,
        );
      if (file.postId)
        throw new HttpError(
          400,
          'invalid_request',
          `The file ${JSON.stringify(id)} is already attached to another message; upload it again.`,
        );
    }
  }

  /**
   * The conversation's thread, started now if the visitor has not written yet: an upload makes
   * one, so erasure always finds the thread to take the files with it.
   */
  thread(visitor: VisitorContext): Promise<ConversationRecord> {
    return this.ensureConversation(visitor);
  }

  private async knownMessage(visitor: VisitorContext, postId: string, clientId: string, at: number): Promise<WireMessage> {
    const post = await this.o.api.getPost(postId);
    const message = post && toWireMessage(post, this.parties(visitor));
    // Deleted since (an agent removed it): say so rather than posting it again.
    return message ?? { id: postId, clientId, userId: visitor.userId, text: '', createAt: at, updateAt: at, deleted: true, edited: false };
  }

  private async createReply(conversation: ConversationRecord, visitor: VisitorContext, input: SendInput): Promise<MmPost> {
    const name = visitor.name ?? conversation.name;
    const props: Record<string, unknown> = {
      from_webhook: 'true',
      override_username: visitorDisplayName(name),
      [CLIENT_ID_PROP]: input.clientId,
      porthole_visitor: visitor.userId,
    };
    if (this.o.visitorIconUrl) props.override_icon_url = this.o.visitorIconUrl;
    const request = {
      channel_id: conversation.channelId,
      root_id: conversation.rootPostId,
      message: defuseMentions(input.text),
      ...(input.fileIds?.length ? { file_ids: input.fileIds } : {}),
      props,
      pending_post_id: await pendingPostId(this.o.tokenSecret, visitor.conversationId, input.clientId),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.o.api.createPost(request);
      } catch (e) {
        // Another request (tab, instance) is saving the same pending_post_id: Mattermost answers
        // the repeat with the first post once that one is saved.
        if (e instanceof MattermostError && e.mmId === PENDING && attempt < 20) {
          await this.sleep(250);
          continue;
        }
        throw e;
      }
    }
  }

  /** Looks for a visitor message by client id among the thread's newest replies. */
  private async findByClientId(rootPostId: string, clientId: string): Promise<MmPost | undefined> {
    let cursor: { fromCreateAt: number; fromPost: string } | undefined;
    for (let page = 0; page < 5; page++) {
      const thread = await this.o.api.getThread(rootPostId, { perPage: 200, direction: 'up', ...cursor });
      if (!thread) return undefined;
      const found = thread.replies.find((p) => p.user_id === this.o.bot().userId && p.props[CLIENT_ID_PROP] === clientId);
      if (found) return found;
      const last = thread.replies.at(-1);
      if (!thread.hasNext || !last) return undefined;
      cursor = { fromCreateAt: last.create_at, fromPost: last.id };
    }
    return undefined;
  }

  /**
   * The visitor's conversation, created on first use. `replacingRoot` asks for a new thread
   * because that root is gone.
   */
  private ensureConversation(visitor: VisitorContext, replacingRoot?: string): Promise<ConversationRecord> {
    const key = `${visitor.conversationId}\0${replacingRoot ?? ''}`;
    let running = this.creating.get(key);
    if (!running) {
      running = this.createConversation(visitor, replacingRoot).finally(() => this.creating.delete(key));
      this.creating.set(key, running);
    }
    return running;
  }

  private async createConversation(visitor: VisitorContext, replacingRoot: string | undefined): Promise<ConversationRecord> {
    const { store, now } = this.o;
    const current = (c: ConversationRecord | undefined) => (c && c.rootPostId !== replacingRoot ? c : undefined);
    const existing = current(await store.getConversation(visitor.conversationId));
    if (existing) return existing;

    // One creator across instances: the others wait for its record.
    const lock = `conversation:${visitor.conversationId}`;
    const deadline = now() + 15_000;
    while (!(await store.acquireLock(lock, this.o.instanceId, 30_000, now()))) {
      await this.sleep(100);
      const made = current(await store.getConversation(visitor.conversationId));
      if (made) return made;
      if (now() > deadline)
        throw new HttpError(503, 'conversation_busy', 'The conversation is being created by another request. Try again in a moment.', {
          headers: { 'Retry-After': '2' },
        });
    }
    try {
      // Erasure sets its marker under this lock: once it is set, no new thread is started.
      if (await store.getErasure(visitor.conversationId)) throw erasureInProgress();
      const made = current(await store.getConversation(visitor.conversationId));
      if (made) return made;
      if (!replacingRoot) await this.o.admitNewConversation?.();
      const bot = this.o.bot();
      const name = visitor.name ?? fallbackVisitorName(visitor.userId);
      const root = await this.o.api.createPost({
        channel_id: bot.channelId,
        message: announcement({ name, email: visitor.email, page: visitor.page, identified: visitor.identified, contact: visitor.contact }),
        props: { porthole_conversation: visitor.conversationId, porthole_visitor: visitor.userId },
        // Keyed by the revocation time too: after an erasure (which revokes), the next root is a new
        // post — Mattermost answers a pending_post_id whose post was deleted for good with a 500 for 30 s.
        pending_post_id: await pendingPostId(
          this.o.tokenSecret,
          visitor.conversationId,
          `root:${replacingRoot ?? ''}:${(await store.getRevokedBefore(visitor.conversationId)) ?? ''}`,
        ),
      });
      const record: ConversationRecord = {
        conversationId: visitor.conversationId,
        visitorUserId: visitor.userId,
        rootPostId: root.id,
        channelId: bot.channelId,
        createdAt: root.create_at,
        name,
      };
      let stored: ConversationRecord;
      try {
        stored = replacingRoot ? await store.replaceConversationRoot(record, replacingRoot) : await store.insertConversation(record);
      } catch (e) {
        // The thread exists in Mattermost, but no conversation points to it: the relay drops its
        // replies. It is not deleted: a resend within Mattermost's 30 s de-duplication window gets
        // this root back (same pending_post_id) and stores it, and that answer would be a 500 for a
        // deleted root; the bot may not delete posts for good anyway (manage_system).
        this.o.logger.error({
          msg: "gateway conversation: thread created but maybe not stored; if not, agents' replies in it will not reach the visitor (a resend to this instance within 30 s adopts it, a later one starts a new thread)",
          conversationId: visitor.conversationId,
          rootPostId: root.id,
          channelId: bot.channelId,
          error: e instanceof HttpError ? (e.detail ?? e.message) : e instanceof Error ? e.message : String(e),
        });
        throw e;
      }
      if (!replacingRoot && stored.rootPostId === root.id) this.o.metrics?.conversationStarted();
      this.o.logger.info({
        msg: 'gateway conversation created',
        conversationId: visitor.conversationId,
        rootPostId: stored.rootPostId,
        identified: visitor.identified,
        replacedRoot: replacingRoot !== undefined,
      });
      return stored;
    } finally {
      await store.releaseLock(lock, this.o.instanceId);
    }
  }

  /** The newest `perPage` messages. No Mattermost call before the first message. */
  async latest(visitor: VisitorContext, perPage: number): Promise<MessagePage> {
    const conversation = await this.conversation(visitor);
    if (!conversation) return { messages: [], hasMore: false };
    return this.pageUp(visitor, conversation.rootPostId, perPage);
  }

  /** `perPage` messages before the message `postId` (which must belong to this conversation). */
  async before(visitor: VisitorContext, postId: string, perPage: number): Promise<MessagePage> {
    const conversation = await this.conversation(visitor);
    const cursor = conversation && (await this.o.api.getPost(postId));
    if (!conversation || !cursor || cursor.root_id !== conversation.rootPostId) {
      throw new HttpError(
        400,
        'invalid_cursor',
        `"before" must be the id of a message of this conversation (received ${JSON.stringify(postId.slice(0, 40))}).`,
      );
    }
    return this.pageUp(visitor, conversation.rootPostId, perPage, { fromCreateAt: cursor.create_at, fromPost: cursor.id });
  }

  /**
   * The newest `perPage` messages of the thread (before `from`). Page reports and notes are replies
   * but not messages: it reads on (pages of {@link SCAN_PAGE}, {@link PAGE_MAX_READS} reads at most)
   * until it has `perPage` messages or the thread's start, so a page is never empty while older
   * messages exist within reach (the widget pages on from the oldest message it got). `hasMore`:
   * older replies remain (past the reads' reach, possibly page reports only).
   */
  private async pageUp(
    visitor: VisitorContext,
    rootPostId: string,
    perPage: number,
    from?: { fromCreateAt: number; fromPost: string },
  ): Promise<MessagePage> {
    const parties = this.parties(visitor);
    const messages: WireMessage[] = [];
    let cursor = from;
    let hasMore = false;
    for (let read = 0; read < PAGE_MAX_READS; read++) {
      const thread = await this.o.api.getThread(rootPostId, { perPage: read === 0 ? perPage : SCAN_PAGE, direction: 'up', ...cursor });
      if (!thread) return { messages: [], hasMore: false };
      hasMore = thread.hasNext;
      let i = 0;
      for (; i < thread.replies.length && messages.length < perPage; i++) {
        const m = toWireMessage(thread.replies[i]!, parties);
        if (m) messages.push(m);
      }
      if (messages.length === perPage) {
        // Full: older messages remain if this page holds one more, or Mattermost has more.
        hasMore ||= thread.replies.slice(i).some((p) => toWireMessage(p, parties));
        break;
      }
      const last = thread.replies.at(-1);
      if (!hasMore || !last) break;
      cursor = { fromCreateAt: last.create_at, fromPost: last.id };
    }
    return { messages: messages.sort((a, b) => a.createAt - b.createAt || (a.id < b.id ? -1 : 1)), hasMore };
  }

  /**
   * Every message created, edited or deleted after `since` (ms), oldest first; at most 1,000
   * (then `hasMore`: ask again from the last `updateAt`).
   */
  async since(visitor: VisitorContext, since: number): Promise<MessagePage> {
    const conversation = await this.conversation(visitor);
    if (!conversation) return { messages: [], hasMore: false };
    const byId = new Map<string, MmPost>();
    let cursor = Math.max(1, since);
    let hasMore = false;
    for (let page = 0; page < SINCE_MAX_PAGES; page++) {
      const thread = await this.o.api.getThread(conversation.rootPostId, {
        perPage: SINCE_PAGE,
        direction: 'down',
        fromUpdateAt: cursor,
        updatesOnly: true,
      });
      if (!thread) break;
      for (const post of thread.replies) byId.set(post.id, post);
      hasMore = thread.hasNext;
      if (!hasMore) break;
      // fromPost cannot page by update time (api4 getPostThread refuses it without fromCreateAt):
      // step to the last update time minus one and drop what is seen twice.
      const last = Math.max(...thread.replies.map((p) => p.update_at));
      cursor = last - 1 > cursor ? last - 1 : last;
    }
    const messages = this.toMessages([...byId.values()], visitor);
    const seen = new Set(messages.map((m) => m.id));
    for (const d of await this.o.store.deletionsSince(conversation.rootPostId, since)) {
      if (!seen.has(d.postId))
        messages.push({
          id: d.postId,
          userId: d.userId,
          text: '',
          createAt: d.createAt,
          updateAt: d.deletedAt,
          deleted: true,
          edited: false,
        });
    }
    messages.sort((a, b) => a.createAt - b.createAt || (a.id < b.id ? -1 : 1));
    return { messages, hasMore };
  }

  /**
   * Shows the bot typing in the visitor's thread (Mattermost clients show the bot's name there).
   * Best effort: nothing before the first message, at most one Mattermost call per 2 s.
   */
  async typing(visitor: VisitorContext): Promise<void> {
    const conversation = await this.conversation(visitor);
    if (!conversation) return;
    const t = this.o.now();
    if (t - (this.lastTyping.get(visitor.conversationId) ?? 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(visitor.conversationId, t);
    if (this.lastTyping.size > 50_000) this.lastTyping.clear();
    try {
      await this.o.api.publishTyping(this.o.bot().userId, conversation.channelId, conversation.rootPostId);
    } catch (e) {
      this.o.logger.warn({
        msg: 'gateway typing relay failed',
        conversationId: visitor.conversationId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** The agents who posted in the conversation, with their display names. */
  async agents(visitor: VisitorContext): Promise<{ userId: string; name: string }[]> {
    const conversation = await this.conversation(visitor);
    if (!conversation) return [];
    const thread = await this.o.api.getThread(conversation.rootPostId, { perPage: 1, direction: 'up', extended: true });
    const botId = this.o.bot().userId;
    const participants = (thread?.root?.participants ?? []).filter((u) => u.id !== botId);
    return participants.map((u) => ({ userId: u.id, name: displayName(u) }));
  }
}
