// What gateway mode must remember. Messages live only in Mattermost; this is the map from
// conversations to their threads plus the little state that makes sends idempotent, logout real
// and restarts cheap. Every method is async so a Redis store can implement the same interface.

/** A conversation: one thread in the support channel. */
export interface ConversationRecord {
  /** Opaque id derived from the visitor key (see `visitorIds`). */
  conversationId: string;
  /** The visitor's opaque id (see `visitorIds`): the author id of their messages. */
  visitorUserId: string;
  /** The bot's root post announcing the visitor. */
  rootPostId: string;
  /** The support channel the thread is in. */
  channelId: string;
  /** When the conversation was created (ms). */
  createdAt: number;
  /** The visitor's display name when it was created (the fallback of later messages). */
  name: string;
}

/** What the store knows about one client id of a conversation. */
export interface ClientPostRecord {
  /** The Mattermost post, or `undefined` while a send is in flight (or crashed mid-way). */
  postId: string | undefined;
  /** When the send was first attempted (ms). */
  at: number;
}

/** A deleted post of a conversation, kept so a resync can report it (Mattermost's thread API omits deleted posts). */
export interface DeletionRecord {
  postId: string;
  /** The message's author as the visitor API shows it (the visitor's opaque id or an agent's id). */
  userId: string;
  createAt: number;
  deletedAt: number;
}

/**
 * A visitor message accepted while Mattermost was unreachable (store and forward), waiting for the
 * forwarder (forwarder.ts) to post it. Its client id stays unique within the conversation.
 */
export interface QueuedMessageRecord {
  clientId: string;
  /** When the companion accepted it (ms). */
  createAt: number;
  /** What to post, as JSON written and validated by the conversation service (the send and the visitor to post it as). */
  payload: string;
}

/** A file a visitor uploaded in a conversation (`POST /v1/files`): only this conversation may attach or read it. */
export interface ConversationFileRecord {
  /** Mattermost's file id. */
  fileId: string;
  /** The file name as uploaded. */
  name: string;
  /** Size in bytes (as Mattermost stored it). */
  size: number;
  /** The MIME type the visitor declared (and the companion allowed). */
  type: string;
  /** When it was uploaded (ms). */
  uploadedAt: number;
  /** The post it was attached to; `undefined` while uploaded but not yet posted. */
  postId?: string;
}

/** A pending erasure of a conversation (see {@link GatewayStore.markErasing}). */
export interface ErasureMarker {
  /** When the erasure began (ms). */
  startedAt: number;
  /**
   * The revocation time the erasure set (ms): tokens issued at or before it were revoked by this
   * erasure, and may still ask `DELETE /v1/conversation` to finish it while the marker stays.
   */
  revokedAt: number;
}

/**
 * The gateway's state. Implementations: {@link MemoryGatewayStore} (tests, one process),
 * `SqliteGatewayStore` (the default, a file under PORTHOLE_DATA_DIR), Redis later. Conflicting
 * writes are decided by the store (first writer wins), so several instances can share one.
 */
export interface GatewayStore {
  /** The conversation of `conversationId`, if its first message was sent. */
  getConversation(conversationId: string): Promise<ConversationRecord | undefined>;
  /** Reverse lookup for Mattermost events: the conversation whose thread `rootPostId` starts. */
  findConversationByRoot(rootPostId: string): Promise<ConversationRecord | undefined>;
  /**
   * Saves a new conversation unless one exists for its id; returns the one that is stored
   * (the existing one when another writer won).
   */
  insertConversation(record: ConversationRecord): Promise<ConversationRecord>;
  /**
   * Moves a conversation to a new thread (its root was deleted in Mattermost) if it still has
   * `previousRootPostId`; returns the stored record either way.
   */
  replaceConversationRoot(record: ConversationRecord, previousRootPostId: string): Promise<ConversationRecord>;

  /** What is known about a client id of a conversation. */
  getClientPost(conversationId: string, clientId: string): Promise<ClientPostRecord | undefined>;
  /** Records that a send of `clientId` is being attempted (keeps an existing record). */
  markClientPostPending(conversationId: string, clientId: string, at: number): Promise<void>;
  /** Records the post a client id produced. */
  setClientPost(conversationId: string, clientId: string, postId: string, at: number): Promise<void>;

  /** Tokens of the conversation issued at or before this time (ms) are revoked. */
  getRevokedBefore(conversationId: string): Promise<number | undefined>;
  /** Revokes the conversation's tokens issued at or before `at` (never moves the time back). */
  revokeTokens(conversationId: string, at: number): Promise<void>;

  /** Remembers a deleted post of a conversation's thread (idempotent: the first record stays). */
  recordDeletion(rootPostId: string, deletion: DeletionRecord): Promise<void>;
  /** Deletions in a thread after `since` (ms), oldest first. */
  deletionsSince(rootPostId: string, since: number): Promise<DeletionRecord[]>;

  /**
   * Records activity (a message either way) in a conversation at `at` (ms); the time never moves
   * back. A new conversation starts with its `createdAt`. Retention reads it through {@link idleConversations}.
   */
  touchConversation(conversationId: string, at: number): Promise<void>;
  /**
   * Up to `limit` ids of conversations whose last activity is before `before` (ms), least recently
   * active first: read from an index, never by scanning every conversation.
   */
  idleConversations(before: number, limit: number): Promise<string[]>;
  /** The conversation's last activity (ms), if it is stored. */
  getActivity(conversationId: string): Promise<number | undefined>;
  /**
   * Forgets a conversation for good (erasure): its record, root index, client ids, its thread's
   * deletion records, its activity, its queued messages, its files' records and its erasure marker. Token revocations stay, so tokens
   * issued before the erasure keep failing. With `expectedRootPostId` it is a compare-and-delete:
   * when the stored conversation has another root (a new thread started meanwhile) nothing is
   * deleted and the answer is `'moved'`. Returns `'deleted'`, `'absent'` or `'moved'`.
   */
  deleteConversation(conversationId: string, expectedRootPostId?: string): Promise<'deleted' | 'absent' | 'moved'>;

  /**
   * Marks the conversation as being erased, durably and for every instance: while the marker
   * stays, no message is posted and no thread is created for it. Keeps an existing marker (the
   * first erasure's revocation time stays); returns the stored one. Removed by
   * {@link deleteConversation} or {@link clearErasure}.
   */
  markErasing(conversationId: string, marker: ErasureMarker): Promise<ErasureMarker>;
  /** The conversation's pending erasure, if one began and did not finish. */
  getErasure(conversationId: string): Promise<ErasureMarker | undefined>;
  /** Removes the erasure marker (an erasure that deleted nothing, or skipped the conversation). */
  clearErasure(conversationId: string): Promise<void>;

  /** A named secret, e.g. the bot's access token. */
  getSecret(name: string): Promise<string | undefined>;
  /** Stores a named secret. */
  setSecret(name: string, value: string): Promise<void>;

  /**
   * Takes the named lock for `ttlMs` if it is free or expired (or already `owner`'s); true when
   * taken. Used so concurrent first messages create one thread.
   */
  acquireLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Releases the lock if `owner` holds it. */
  releaseLock(name: string, owner: string): Promise<void>;

  // Store and forward (offline messages).
  /**
   * Queues a message behind the conversation's other queued ones unless its client id is queued
   * already; returns the stored one (the first writer's).
   */
  enqueueMessage(conversationId: string, message: QueuedMessageRecord): Promise<QueuedMessageRecord>;
  /** The queued message of a client id, if it is still queued. */
  getQueuedMessage(conversationId: string, clientId: string): Promise<QueuedMessageRecord | undefined>;
  /** Up to `limit` queued messages of a conversation, in the order they were queued. */
  queuedMessages(conversationId: string, limit: number): Promise<QueuedMessageRecord[]>;
  /** Removes a queued message (delivered, or refused for good). */
  dequeueMessage(conversationId: string, clientId: string): Promise<void>;
  /**
   * Up to `limit` ids of conversations with queued messages, the one queued first first, skipping
   * the first `offset` (the forwarder's sweep pages through them). Default offset: 0.
   */
  queuedConversations(limit: number, offset?: number): Promise<string[]>;

  // Files (uploads). deleteConversation forgets them too, posted or not.
  /** Records a file uploaded in a conversation (keeps an existing record of the same id). */
  addConversationFile(conversationId: string, file: ConversationFileRecord): Promise<void>;
  /** A file uploaded in this conversation, or `undefined` (another conversation's, or unknown). */
  getConversationFile(conversationId: string, fileId: string): Promise<ConversationFileRecord | undefined>;
  /** Every file uploaded in a conversation, oldest first (erasure deletes the never-posted ones). */
  conversationFiles(conversationId: string): Promise<ConversationFileRecord[]>;
  /** Records the post files of the conversation were attached to (files not recorded are ignored). */
  setConversationFilesPost(conversationId: string, fileIds: string[], postId: string): Promise<void>;

  /** Releases resources (the database file). */
  close(): Promise<void>;
}
