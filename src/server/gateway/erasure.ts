// Export and erasure in gateway mode. A conversation is one thread of the support channel: its
// transcript is the thread's replies; erasing it deletes every post of the thread for good with the
// admin token (the bot cannot), replies first — Mattermost removes a post's files only for that post
// (app/post.go PermanentDeletePost) — then the root, which takes the rest of the thread's rows with
// it (edit history, soft-deleted replies: sqlstore/post_store.go permanentDelete, `RootId IN`). The
// store forgets the conversation only once the thread is gone.
import type { AuditLog } from '../audit-log.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  auditedErasure,
  auditExport,
  conversationNotFound,
  deletionRefusal,
  erasureIncomplete,
  erasureUnavailable,
  defaultSleep,
  isoTime,
  MAX_PAGES,
  PAGE,
  parseVisitorRef,
  withRetries,
  type ErasureReport,
  type PrivacyActor,
  type PrivacyService,
} from '../privacy.js';
import { TRANSCRIPT_FORMAT, type Transcript, type TranscriptMessage } from '../../protocol/transcript.js';
import { MattermostError } from '../mattermost-admin.js';
import type { BotAccount } from './bot-account.js';
import { displayName, type BotProvisioningApi, type GatewayMattermost, type MmPost } from './mattermost-api.js';
import { fallbackVisitorName, toWireMessage } from './messages.js';
import { visitorIds } from './porthole-token.js';
import type { GatewayStore } from './store.js';

/** What {@link GatewayPrivacy} needs. */
export interface GatewayPrivacyOptions {
  store: GatewayStore;
  /** The bot's client (reads the thread). */
  api: GatewayMattermost;
  /** The admin token's client (deletes for good); `undefined` without PORTHOLE_MM_TOKEN. */
  admin: BotProvisioningApi | undefined;
  bot: () => BotAccount;
  /** Closes the conversation's live sockets on every instance. */
  closeConversation: (conversationId: string) => void;
  audit: AuditLog;
  logger: Logger;
  now: () => number;
  /** This instance's name in store locks (the conversation's creation lock, taken to mark an erasure). */
  instanceId: string;
  /** Waits between retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

const SUFFIX = ' (visitor)';
const NO_ADMIN_TOKEN =
  "gateway mode erases with Mattermost's admin token, and none is configured; set PORTHOLE_MM_TOKEN to a system admin's access token.";
/** Threads one erasure deletes at most (a new one started while the last was deleted). */
const MAX_ROUNDS = 3;

/**
 * Export and erasure of gateway conversations, for the visitor API (`GET /v1/transcript`,
 * `DELETE /v1/conversation`), the CLI and the retention job.
 *
 * @example
 * ```ts
 * const report = await privacy.erase(conversationId, { actor: 'operator:cli' });
 * ```
 */
export class GatewayPrivacy implements PrivacyService {
  private readonly o: GatewayPrivacyOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly erasing = new Map<string, Promise<ErasureReport>>();

  constructor(options: GatewayPrivacyOptions) {
    this.o = options;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The conversation id a `<visitor>` argument names (`sub:<sub>` is derived as `POST /v1/session` does). */
  async conversationIdOf(ref: string): Promise<string> {
    const parsed = parseVisitorRef(ref);
    return parsed.kind === 'id' ? parsed.id : (await visitorIds(`id:${parsed.sub}`)).conversationId;
  }

  /** {@inheritDoc PrivacyService.exportConversation} */
  async exportConversation(ref: string, by: PrivacyActor): Promise<Transcript> {
    const conversationId = await this.conversationIdOf(ref);
    const { store } = this.o;
    if (!(await store.getConversation(conversationId)) && (await store.queuedMessages(conversationId, 1)).length === 0)
      throw conversationNotFound(ref);
    return this.transcript(conversationId, undefined, by);
  }

  /** {@inheritDoc PrivacyService.eraseConversation} */
  async eraseConversation(ref: string, by: PrivacyActor): Promise<ErasureReport> {
    return this.erase(await this.conversationIdOf(ref), by);
  }

  /**
   * The transcript of a conversation: the thread's messages, oldest first, every page; the bot's
   * root post (the announcement) and system posts are left out. A conversation not started yet
   * gives no messages, named `visitorName` (the token's name) or the visitor's fallback name.
   */
  async transcript(conversationId: string, visitor: { userId: string; name?: string } | undefined, by: PrivacyActor): Promise<Transcript> {
    const record = await this.o.store.getConversation(conversationId);
    const exportedAt = isoTime(this.o.now());
    const visitorName = record?.name ?? visitor?.name ?? (visitor ? fallbackVisitorName(visitor.userId) : 'Visitor');
    const transcript: Transcript = {
      format: TRANSCRIPT_FORMAT,
      exportedAt,
      conversation: { id: conversationId, createdAt: record ? isoTime(record.createdAt) : null, visitorName },
      messages: [],
    };
    if (record) {
      const posts = (await this.replies(record.rootPostId)).sort((a, b) => a.create_at - b.create_at || (a.id < b.id ? -1 : 1));
      const parties = { botUserId: this.o.bot().userId, visitorUserId: record.visitorUserId };
      const agentIds = [...new Set(posts.filter((p) => p.user_id !== parties.botUserId).map((p) => p.user_id))];
      const agents = new Map((await this.o.api.getUsersByIds(agentIds)).map((u) => [u.id, displayName(u)]));
      for (const post of posts) {
        const message = toWireMessage(post, parties);
        if (!message || message.deleted) continue;
        const fromVisitor = post.user_id === parties.botUserId;
        const override = typeof post.props.override_username === 'string' ? post.props.override_username : undefined;
        const entry: TranscriptMessage = {
          id: post.id,
          author: fromVisitor ? 'visitor' : 'agent',
          authorName: fromVisitor
            ? override?.endsWith(SUFFIX)
              ? override.slice(0, -SUFFIX.length)
              : visitorName
            : (agents.get(post.user_id) ?? 'Agent'),
          text: message.text,
          createdAt: isoTime(post.create_at),
          files: (post.metadata?.files ?? []).map((f) => ({ name: f.name, size: f.size, mimeType: f.mime_type })),
        };
        if (post.edit_at > 0) entry.editedAt = isoTime(post.edit_at);
        transcript.messages.push(entry);
      }
    }
    // Offline part: messages accepted while Mattermost was down, not posted yet, after the rest.
    for (const queued of await this.o.store.queuedMessages(conversationId, 1000)) {
      let text = '';
      try {
        const payload = JSON.parse(queued.payload) as { input?: { text?: unknown } };
        if (typeof payload.input?.text === 'string') text = payload.input.text;
      } catch {
        // unreadable: exported without its text
      }
      transcript.messages.push({
        id: `queued:${queued.clientId}`,
        author: 'visitor',
        authorName: visitorName,
        text,
        createdAt: isoTime(queued.createAt),
        files: [],
        queued: true,
      });
    }
    auditExport(this.o.audit, by, conversationId, transcript, 'gateway');
    return transcript;
  }

  /** Every reply of a thread (newest pages first, as the visitor API reads them); none when the root is gone. */
  private async replies(rootPostId: string): Promise<MmPost[]> {
    const out: MmPost[] = [];
    let cursor: { fromCreateAt: number; fromPost: string } | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const thread = await this.o.api.getThread(rootPostId, { perPage: PAGE, direction: 'up', ...cursor });
      if (!thread) return out;
      out.push(...thread.replies);
      const last = thread.replies.at(-1);
      if (!thread.hasNext || !last) return out;
      cursor = { fromCreateAt: last.create_at, fromPost: last.id };
    }
    throw erasureIncomplete(`the thread has more than ${PAGE * MAX_PAGES} replies`);
  }

  /**
   * Erases a conversation for good. First, durably and for every instance, it marks the
   * conversation as being erased (under the conversation's creation lock, so no thread is being
   * created meanwhile): from then on the conversation service refuses sends and new threads with
   * 503 `erasure_in_progress`. Then it revokes every token issued until now and closes the live
   * sockets, deletes each reply (with its files), then the root (with the rest of the thread), and
   * forgets the conversation only if the store still maps it to that root — a thread that started
   * anyway is erased too. The store's forgetting removes the marker. Idempotent: a conversation
   * never started (no thread, nothing queued), or erased before, reports `found: false`. Concurrent calls for one conversation
   * share one run; a call after an `erasure_incomplete` resumes it.
   *
   * @throws {HttpError} 503 `erasure_unavailable` (no admin token; Mattermost refuses permanent
   *   deletion) before anything is deleted, or 503 `erasure_incomplete` when it stopped part-way.
   */
  erase(conversationId: string, by: PrivacyActor): Promise<ErasureReport> {
    let running = this.erasing.get(conversationId);
    if (!running) {
      running = auditedErasure(
        this.o.audit,
        by,
        () => conversationId,
        'gateway',
        () => this.eraseOnce(conversationId),
      ).finally(() => this.erasing.delete(conversationId));
      this.erasing.set(conversationId, running);
    }
    return running;
  }

  /**
   * Retention: erases the conversation unless it was active at or after `idleBefore` (ms). The
   * activity is read again under the erasure marker, so a message racing the pass is either
   * refused (503 `erasure_in_progress`, the widget retries) or keeps the conversation. True when
   * it was erased.
   */
  async eraseIfIdle(conversationId: string, idleBefore: number, by: PrivacyActor): Promise<boolean> {
    const running = this.erasing.get(conversationId);
    if (running) return (await running).found;
    const { store } = this.o;
    // A pending erasure (one that stopped part-way) is finished whatever the activity.
    if (!(await store.getErasure(conversationId))) {
      const t = this.o.now();
      await this.markErasing(conversationId, { startedAt: t, revokedAt: t });
      const last = await store.getActivity(conversationId);
      if (last === undefined || last >= idleBefore) {
        await store.clearErasure(conversationId);
        return false;
      }
    }
    return (await this.erase(conversationId, by)).found;
  }

  /** Sets the erasure marker while holding the conversation's creation lock (see ConversationService). */
  private async markErasing(conversationId: string, marker: { startedAt: number; revokedAt: number }) {
    const { store, now, instanceId } = this.o;
    const lock = `conversation:${conversationId}`;
    const deadline = now() + 15_000;
    while (!(await store.acquireLock(lock, instanceId, 30_000, now()))) {
      if (now() > deadline) throw erasureIncomplete('the conversation is busy being created; nothing deleted yet');
      await this.sleep(100);
    }
    try {
      return await store.markErasing(conversationId, marker);
    } finally {
      await store.releaseLock(lock, instanceId);
    }
  }

  private async eraseOnce(conversationId: string): Promise<ErasureReport> {
    const { store, admin } = this.o;
    const first = await store.getConversation(conversationId);
    if (first && !admin) throw erasureUnavailable(NO_ADMIN_TOKEN);
    const t = this.o.now();
    const marker = await this.markErasing(conversationId, { startedAt: t, revokedAt: t });
    // No token of the conversation works any more (a resume revokes those minted meanwhile too),
    // no socket of it stays open.
    await store.revokeTokens(conversationId, Math.max(t, marker.revokedAt));
    this.o.closeConversation(conversationId);
    const report: ErasureReport = { conversationId, found: false, posts: 0, files: 0 };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Read again under the marker: a thread created before it was set is erased too.
      const record = await store.getConversation(conversationId);
      if (!record) {
        // A conversation with only queued messages (no thread yet) is found too: they are removed.
        if ((await store.queuedMessages(conversationId, 1)).length > 0) report.found = true;
        await store.deleteConversation(conversationId);
        return report;
      }
      if (!admin) {
        // A thread was stored after the check above; nothing was deleted.
        await store.clearErasure(conversationId);
        throw erasureUnavailable(NO_ADMIN_TOKEN);
      }
      report.found = true;
      try {
        await this.attachLeftoverFiles(conversationId, record.rootPostId, record.channelId, admin, report);
        await this.eraseThread(record.rootPostId, admin, report);
      } catch (e) {
        // Mattermost refused before anything was deleted: the conversation stays usable.
        if (e instanceof HttpError && e.code === 'erasure_unavailable' && report.posts === 0) await store.clearErasure(conversationId);
        throw e;
      }
      if ((await store.deleteConversation(conversationId, record.rootPostId)) !== 'moved') {
        this.o.logger.info({ msg: 'gateway conversation erased', conversationId, posts: report.posts, files: report.files });
        return report;
      }
      // A new thread was stored for the conversation while this one was deleted: erase it too.
    }
    throw erasureIncomplete(`${report.posts} posts deleted, but the conversation kept getting a new thread`);
  }

  /**
   * Files uploaded but never posted have no post whose deletion would take them (Mattermost has no
   * API to delete a file, and PermanentDeletePost removes only a post's own files): attach them to
   * a bot reply in the thread, which the thread's erasure then deletes for good with them. When
   * agents deleted the thread's root (a reply is refused), a post of their own, deleted for good at once.
   */
  private async attachLeftoverFiles(
    conversationId: string,
    root: string,
    channelId: string,
    admin: BotProvisioningApi,
    report: ErasureReport,
  ): Promise<void> {
    const leftover = (await this.o.store.conversationFiles(conversationId)).filter((f) => !f.postId).map((f) => f.fileId);
    const gathering = (e: unknown) => erasureIncomplete('the files uploaded but never sent could not be gathered for deletion', e);
    for (let i = 0; i < leftover.length; i += 10) {
      const files = leftover.slice(i, i + 10);
      const post = (rootId: string | undefined) =>
        withRetries(
          () =>
            this.o.api.createPost({
              channel_id: channelId,
              ...(rootId ? { root_id: rootId } : {}),
              message: '',
              props: { porthole_erasure: 'files' },
              file_ids: files,
            }),
          this.sleep,
        );
      try {
        await post(root);
      } catch (e) {
        if (!(e instanceof MattermostError && e.status === 400)) throw gathering(e);
        const alone = await post(undefined).catch((err: unknown) => {
          throw gathering(err);
        });
        await withRetries(() => admin.deletePostPermanently(alone.id), this.sleep).catch((err: unknown) => {
          throw deletionRefusal(err, 'post') ?? erasureIncomplete('the files uploaded but never sent could not be deleted', err);
        });
        report.files += alone.file_ids?.length ?? 0;
      }
    }
  }

  /** Deletes every post of the thread `root` for good, counting into `report`. */
  private async eraseThread(root: string, admin: BotProvisioningApi, report: ErasureReport): Promise<void> {
    const replies = await withRetries(() => this.replies(root), this.sleep).catch((e: unknown) => {
      throw e instanceof HttpError ? e : erasureIncomplete('the thread could not be read', e);
    });
    // Replies deleted in Mattermost (an agent's) are not in the thread any more, but their files
    // are: the relay recorded them.
    const ids = new Set(replies.map((p) => p.id));
    for (const d of await this.o.store.deletionsSince(root, -1)) ids.add(d.postId);
    report.files += replies.reduce((n, p) => n + Math.max(p.file_ids?.length ?? 0, p.metadata?.files?.length ?? 0), 0);
    const remove = async (postId: string) => {
      try {
        if (await withRetries(() => admin.deletePostPermanently(postId), this.sleep)) report.posts++;
      } catch (e) {
        throw deletionRefusal(e, 'post') ?? erasureIncomplete(`${report.posts} of ${ids.size + 1} posts deleted`, e);
      }
    };
    for (const id of ids) await remove(id);
    await remove(root);
    // Nothing of the thread may be left: a reply that arrived meanwhile went with the root, and the
    // root must now be unknown to the bot too.
    const left = await withRetries(() => this.o.api.getThread(root, { perPage: 1, direction: 'up' }), this.sleep).catch((e: unknown) => {
      throw erasureIncomplete('the thread is deleted but could not be checked', e);
    });
    if (left) throw erasureIncomplete('the thread is still readable after its root was deleted');
  }
}
