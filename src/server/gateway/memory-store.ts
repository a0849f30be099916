// The gateway's state in process memory: for unit tests and single-process experiments. Lost on
// restart, so production uses the SQLite store (or Redis when scaled out).
import type {
  ClientPostRecord,
  ConversationFileRecord,
  ConversationRecord,
  DeletionRecord,
  ErasureMarker,
  GatewayStore,
  QueuedMessageRecord,
} from './store.js';

/**
 * A {@link GatewayStore} in `Map`s. Same contract as the SQLite store (one shared contract test).
 *
 * @example
 * ```ts
 * const gateway = createGateway(config, { store: new MemoryGatewayStore() });
 * ```
 */
export class MemoryGatewayStore implements GatewayStore {
  private readonly conversations = new Map<string, ConversationRecord>();
  private readonly byRoot = new Map<string, string>();
  private readonly clientPosts = new Map<string, ClientPostRecord>();
  private readonly revocations = new Map<string, number>();
  private readonly deletions = new Map<string, Map<string, DeletionRecord>>();
  private readonly activity = new Map<string, number>();
  private readonly secrets = new Map<string, string>();
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();
  private readonly erasures = new Map<string, ErasureMarker>();
  /** Conversation id → file id → record. */
  private readonly files = new Map<string, Map<string, ConversationFileRecord>>();
  /** Conversation id → client id → queued message; both maps keep insertion order. */
  private readonly queues = new Map<string, Map<string, QueuedMessageRecord>>();

  async getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    const found = this.conversations.get(conversationId);
    return found && { ...found };
  }

  async findConversationByRoot(rootPostId: string): Promise<ConversationRecord | undefined> {
    const id = this.byRoot.get(rootPostId);
    return id === undefined ? undefined : this.getConversation(id);
  }

  async insertConversation(record: ConversationRecord): Promise<ConversationRecord> {
    const existing = this.conversations.get(record.conversationId);
    if (existing) return { ...existing };
    this.conversations.set(record.conversationId, { ...record });
    this.byRoot.set(record.rootPostId, record.conversationId);
    this.activity.set(record.conversationId, Math.max(record.createdAt, this.activity.get(record.conversationId) ?? 0));
    return { ...record };
  }

  async replaceConversationRoot(record: ConversationRecord, previousRootPostId: string): Promise<ConversationRecord> {
    const existing = this.conversations.get(record.conversationId);
    if (!existing || existing.rootPostId !== previousRootPostId) return existing ? { ...existing } : this.insertConversation(record);
    this.byRoot.delete(previousRootPostId);
    this.conversations.set(record.conversationId, { ...record });
    this.byRoot.set(record.rootPostId, record.conversationId);
    return { ...record };
  }

  async getClientPost(conversationId: string, clientId: string): Promise<ClientPostRecord | undefined> {
    const found = this.clientPosts.get(`${conversationId}\0${clientId}`);
    return found && { ...found };
  }

  async markClientPostPending(conversationId: string, clientId: string, at: number): Promise<void> {
    const key = `${conversationId}\0${clientId}`;
    if (!this.clientPosts.has(key)) this.clientPosts.set(key, { postId: undefined, at });
  }

  async setClientPost(conversationId: string, clientId: string, postId: string, at: number): Promise<void> {
    const key = `${conversationId}\0${clientId}`;
    this.clientPosts.set(key, { postId, at: this.clientPosts.get(key)?.at ?? at });
  }

  async getRevokedBefore(conversationId: string): Promise<number | undefined> {
    return this.revocations.get(conversationId);
  }

  async revokeTokens(conversationId: string, at: number): Promise<void> {
    this.revocations.set(conversationId, Math.max(at, this.revocations.get(conversationId) ?? 0));
  }

  async recordDeletion(rootPostId: string, deletion: DeletionRecord): Promise<void> {
    let thread = this.deletions.get(rootPostId);
    if (!thread) this.deletions.set(rootPostId, (thread = new Map()));
    if (!thread.has(deletion.postId)) thread.set(deletion.postId, { ...deletion });
  }

  async deletionsSince(rootPostId: string, since: number): Promise<DeletionRecord[]> {
    const out = [...(this.deletions.get(rootPostId)?.values() ?? [])].filter((d) => d.deletedAt > since).map((d) => ({ ...d }));
    return out.sort((a, b) => a.deletedAt - b.deletedAt || (a.postId < b.postId ? -1 : 1));
  }

  async touchConversation(conversationId: string, at: number): Promise<void> {
    if (!this.conversations.has(conversationId)) return;
    this.activity.set(conversationId, Math.max(at, this.activity.get(conversationId) ?? 0));
  }

  async idleConversations(before: number, limit: number): Promise<string[]> {
    return [...this.activity]
      .filter(([, at]) => at < before)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([id]) => id);
  }

  async getActivity(conversationId: string): Promise<number | undefined> {
    return this.activity.get(conversationId);
  }

  async deleteConversation(conversationId: string, expectedRootPostId?: string): Promise<'deleted' | 'absent' | 'moved'> {
    const record = this.conversations.get(conversationId);
    if (record && expectedRootPostId !== undefined && record.rootPostId !== expectedRootPostId) return 'moved';
    this.activity.delete(conversationId);
    this.erasures.delete(conversationId);
    for (const key of this.clientPosts.keys()) if (key.startsWith(`${conversationId}\0`)) this.clientPosts.delete(key);
    this.files.delete(conversationId);
    this.queues.delete(conversationId);
    if (!record) return 'absent';
    this.conversations.delete(conversationId);
    if (this.byRoot.get(record.rootPostId) === conversationId) this.byRoot.delete(record.rootPostId);
    this.deletions.delete(record.rootPostId);
    return 'deleted';
  }

  async markErasing(conversationId: string, marker: ErasureMarker): Promise<ErasureMarker> {
    const existing = this.erasures.get(conversationId);
    if (existing) return { ...existing };
    this.erasures.set(conversationId, { ...marker });
    return { ...marker };
  }

  async getErasure(conversationId: string): Promise<ErasureMarker | undefined> {
    const found = this.erasures.get(conversationId);
    return found && { ...found };
  }

  async clearErasure(conversationId: string): Promise<void> {
    this.erasures.delete(conversationId);
  }

  async getSecret(name: string): Promise<string | undefined> {
    return this.secrets.get(name);
  }

  async setSecret(name: string, value: string): Promise<void> {
    this.secrets.set(name, value);
  }

  async acquireLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const held = this.locks.get(name);
    if (held && held.owner !== owner && held.expiresAt > now) return false;
    this.locks.set(name, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async enqueueMessage(conversationId: string, message: QueuedMessageRecord): Promise<QueuedMessageRecord> {
    let queue = this.queues.get(conversationId);
    if (!queue) this.queues.set(conversationId, (queue = new Map()));
    const existing = queue.get(message.clientId);
    if (existing) return { ...existing };
    queue.set(message.clientId, { ...message });
    return { ...message };
  }

  async getQueuedMessage(conversationId: string, clientId: string): Promise<QueuedMessageRecord | undefined> {
    const found = this.queues.get(conversationId)?.get(clientId);
    return found && { ...found };
  }

  async queuedMessages(conversationId: string, limit: number): Promise<QueuedMessageRecord[]> {
    return [...(this.queues.get(conversationId)?.values() ?? [])].slice(0, limit).map((m) => ({ ...m }));
  }

  async dequeueMessage(conversationId: string, clientId: string): Promise<void> {
    const queue = this.queues.get(conversationId);
    queue?.delete(clientId);
    if (queue?.size === 0) this.queues.delete(conversationId);
  }

  async queuedConversations(limit: number, offset = 0): Promise<string[]> {
    return [...this.queues.keys()].slice(offset, offset + limit);
  }

  async addConversationFile(conversationId: string, file: ConversationFileRecord): Promise<void> {
    let files = this.files.get(conversationId);
    if (!files) this.files.set(conversationId, (files = new Map()));
    if (!files.has(file.fileId)) files.set(file.fileId, { ...file });
  }

  async getConversationFile(conversationId: string, fileId: string): Promise<ConversationFileRecord | undefined> {
    const found = this.files.get(conversationId)?.get(fileId);
    return found && { ...found };
  }

  async conversationFiles(conversationId: string): Promise<ConversationFileRecord[]> {
    return [...(this.files.get(conversationId)?.values() ?? [])]
      .map((f) => ({ ...f }))
      .sort((a, b) => a.uploadedAt - b.uploadedAt || (a.fileId < b.fileId ? -1 : 1));
  }

  async setConversationFilesPost(conversationId: string, fileIds: string[], postId: string): Promise<void> {
    const files = this.files.get(conversationId);
    for (const id of fileIds) {
      const found = files?.get(id);
      if (found) found.postId = postId;
    }
  }

  async close(): Promise<void> {}
}
