// The gateway's embedded store: one SQLite file under PORTHOLE_DATA_DIR (better-sqlite3 12; v13
// needs Node 22). Synchronous underneath, async outside, so a Redis store fits the same interface.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  ClientPostRecord,
  ConversationFileRecord,
  ConversationRecord,
  DeletionRecord,
  ErasureMarker,
  GatewayStore,
  QueuedMessageRecord,
} from './store.js';

/** File name of the database inside the data directory. */
export const SQLITE_FILE = 'porthole-gateway.sqlite';

const SCHEMA_VERSION = 5;

/** The schema (version 2: `activity` added for retention; 3: `erasures`; 4: `queued_messages`, store and forward; 5: `conversation_files`, uploads). Times are ms since the epoch. */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS conversations (
  conversation_id TEXT PRIMARY KEY,
  visitor_user_id TEXT NOT NULL,
  root_post_id    TEXT NOT NULL UNIQUE,
  channel_id      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  name            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_posts (
  conversation_id TEXT NOT NULL,
  client_id       TEXT NOT NULL,
  post_id         TEXT,
  at              INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, client_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revocations (
  conversation_id TEXT PRIMARY KEY,
  revoked_before  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deletions (
  root_post_id TEXT NOT NULL,
  post_id      TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  create_at    INTEGER NOT NULL,
  deleted_at   INTEGER NOT NULL,
  PRIMARY KEY (root_post_id, post_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activity (
  conversation_id TEXT PRIMARY KEY,
  last_at         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS activity_by_time ON activity (last_at, conversation_id);
CREATE TABLE IF NOT EXISTS erasures (
  conversation_id TEXT PRIMARY KEY,
  started_at      INTEGER NOT NULL,
  revoked_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queued_messages (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL,
  client_id       TEXT NOT NULL,
  create_at       INTEGER NOT NULL,
  payload         TEXT NOT NULL,
  UNIQUE (conversation_id, client_id)
);
CREATE TABLE IF NOT EXISTS conversation_files (
  conversation_id TEXT NOT NULL,
  file_id         TEXT NOT NULL,
  name            TEXT NOT NULL,
  size            INTEGER NOT NULL,
  type            TEXT NOT NULL,
  uploaded_at     INTEGER NOT NULL,
  post_id         TEXT,
  PRIMARY KEY (conversation_id, file_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (
  name       TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface ConversationRow {
  conversation_id: string;
  visitor_user_id: string;
  root_post_id: string;
  channel_id: string;
  created_at: number;
  name: string;
}

const toRecord = (row: ConversationRow | undefined): ConversationRecord | undefined =>
  row && {
    conversationId: row.conversation_id,
    visitorUserId: row.visitor_user_id,
    rootPostId: row.root_post_id,
    channelId: row.channel_id,
    createdAt: row.created_at,
    name: row.name,
  };

/** Why the store could not open; says which path and what to do. */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

/**
 * A {@link GatewayStore} in a SQLite file (`<dataDir>/porthole-gateway.sqlite`, WAL journal, the
 * directory created 0700 and the file 0600: it holds the bot's token). Several processes on one
 * host may share the file; instances on several hosts need the Redis store.
 *
 * @example
 * ```ts
 * const store = SqliteGatewayStore.open('./porthole-data');
 * ```
 */
export class SqliteGatewayStore implements GatewayStore {
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepare>;

  private constructor(db: Database.Database) {
    this.db = db;
    this.q = prepare(db);
  }

  /**
   * Opens (and creates or migrates) the store in `dataDir`; `':memory:'` gives a private in-memory
   * database (tests).
   *
   * @throws {StoreOpenError} when the directory or file cannot be created or read.
   */
  static open(dataDir: string): SqliteGatewayStore {
    let file = ':memory:';
    try {
      if (dataDir !== ':memory:') {
        fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        file = path.join(dataDir, SQLITE_FILE);
      }
      const db = new Database(file, { timeout: 5000 });
      if (file !== ':memory:') fs.chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        db.close();
        throw new StoreOpenError(
          `The store ${file} was written by a newer Porthole (schema ${version}; this one knows ${SCHEMA_VERSION}). Upgrade Porthole or use another PORTHOLE_DATA_DIR.`,
        );
      }
      db.exec(SQLITE_SCHEMA);
      // Version 1 had no activity: its conversations start idle since their creation.
      if (version < 2)
        db.exec(
          'INSERT INTO activity (conversation_id, last_at) SELECT conversation_id, created_at FROM conversations WHERE true ON CONFLICT DO NOTHING',
        );
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new SqliteGatewayStore(db);
    } catch (err) {
      if (err instanceof StoreOpenError) throw err;
      throw new StoreOpenError(
        `Cannot open the gateway store at ${file === ':memory:' ? dataDir : file} (PORTHOLE_DATA_DIR): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    return toRecord(this.q.getConversation.get(conversationId) as ConversationRow | undefined);
  }

  async findConversationByRoot(rootPostId: string): Promise<ConversationRecord | undefined> {
    return toRecord(this.q.byRoot.get(rootPostId) as ConversationRow | undefined);
  }

  async insertConversation(record: ConversationRecord): Promise<ConversationRecord> {
    this.db.transaction(() => {
      const inserted = this.q.insertConversation.run(
        record.conversationId,
        record.visitorUserId,
        record.rootPostId,
        record.channelId,
        record.createdAt,
        record.name,
      );
      if (inserted.changes > 0) this.q.touch.run(record.conversationId, record.createdAt);
    })();
    return (await this.getConversation(record.conversationId))!;
  }

  async replaceConversationRoot(record: ConversationRecord, previousRootPostId: string): Promise<ConversationRecord> {
    const changed = this.q.replaceRoot.run(
      record.rootPostId,
      record.channelId,
      record.createdAt,
      record.name,
      record.conversationId,
      previousRootPostId,
    );
    if (changed.changes === 0) return (await this.getConversation(record.conversationId)) ?? this.insertConversation(record);
    return (await this.getConversation(record.conversationId))!;
  }

  async getClientPost(conversationId: string, clientId: string): Promise<ClientPostRecord | undefined> {
    const row = this.q.getClientPost.get(conversationId, clientId) as { post_id: string | null; at: number } | undefined;
    return row && { postId: row.post_id ?? undefined, at: row.at };
  }

  async markClientPostPending(conversationId: string, clientId: string, at: number): Promise<void> {
    this.q.markPending.run(conversationId, clientId, at);
  }

  async setClientPost(conversationId: string, clientId: string, postId: string, at: number): Promise<void> {
    this.q.setClientPost.run(conversationId, clientId, postId, at);
  }

  async getRevokedBefore(conversationId: string): Promise<number | undefined> {
    const row = this.q.getRevoked.get(conversationId) as { revoked_before: number } | undefined;
    return row?.revoked_before;
  }

  async revokeTokens(conversationId: string, at: number): Promise<void> {
    this.q.revoke.run(conversationId, at);
  }

  async recordDeletion(rootPostId: string, deletion: DeletionRecord): Promise<void> {
    this.q.recordDeletion.run(rootPostId, deletion.postId, deletion.userId, deletion.createAt, deletion.deletedAt);
  }

  async deletionsSince(rootPostId: string, since: number): Promise<DeletionRecord[]> {
    const rows = this.q.deletionsSince.all(rootPostId, since) as {
      post_id: string;
      user_id: string;
      create_at: number;
      deleted_at: number;
    }[];
    return rows.map((r) => ({ postId: r.post_id, userId: r.user_id, createAt: r.create_at, deletedAt: r.deleted_at }));
  }

  async touchConversation(conversationId: string, at: number): Promise<void> {
    this.q.touchExisting.run(conversationId, at, conversationId);
  }

  async idleConversations(before: number, limit: number): Promise<string[]> {
    return (this.q.idle.all(before, limit) as { conversation_id: string }[]).map((r) => r.conversation_id);
  }

  async getActivity(conversationId: string): Promise<number | undefined> {
    return (this.q.getActivity.get(conversationId) as { last_at: number } | undefined)?.last_at;
  }

  async deleteConversation(conversationId: string, expectedRootPostId?: string): Promise<'deleted' | 'absent' | 'moved'> {
    return this.db.transaction((): 'deleted' | 'absent' | 'moved' => {
      const row = this.q.getConversation.get(conversationId) as ConversationRow | undefined;
      if (row && expectedRootPostId !== undefined && row.root_post_id !== expectedRootPostId) return 'moved';
      this.q.deleteActivity.run(conversationId);
      this.q.deleteClientPosts.run(conversationId);
      this.q.deleteFiles.run(conversationId);
      this.q.deleteQueue.run(conversationId);
      this.q.clearErasure.run(conversationId);
      if (!row) return 'absent';
      this.q.deleteDeletions.run(row.root_post_id);
      this.q.deleteConversation.run(conversationId);
      return 'deleted';
    })();
  }

  async markErasing(conversationId: string, marker: ErasureMarker): Promise<ErasureMarker> {
    this.q.markErasing.run(conversationId, marker.startedAt, marker.revokedAt);
    return (await this.getErasure(conversationId))!;
  }

  async getErasure(conversationId: string): Promise<ErasureMarker | undefined> {
    const row = this.q.getErasure.get(conversationId) as { started_at: number; revoked_at: number } | undefined;
    return row && { startedAt: row.started_at, revokedAt: row.revoked_at };
  }

  async clearErasure(conversationId: string): Promise<void> {
    this.q.clearErasure.run(conversationId);
  }

  async getSecret(name: string): Promise<string | undefined> {
    return (this.q.getSecret.get(name) as { value: string } | undefined)?.value;
  }

  async setSecret(name: string, value: string): Promise<void> {
    this.q.setSecret.run(name, value);
  }

  async acquireLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.q.acquireLock.run(name, owner, now + ttlMs, owner, now).changes > 0;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    this.q.releaseLock.run(name, owner);
  }

  async enqueueMessage(conversationId: string, message: QueuedMessageRecord): Promise<QueuedMessageRecord> {
    this.q.enqueue.run(conversationId, message.clientId, message.createAt, message.payload);
    return (await this.getQueuedMessage(conversationId, message.clientId))!;
  }

  async getQueuedMessage(conversationId: string, clientId: string): Promise<QueuedMessageRecord | undefined> {
    const row = this.q.getQueued.get(conversationId, clientId) as QueuedRow | undefined;
    return row && toQueued(row);
  }

  async queuedMessages(conversationId: string, limit: number): Promise<QueuedMessageRecord[]> {
    return (this.q.queued.all(conversationId, limit) as QueuedRow[]).map(toQueued);
  }

  async dequeueMessage(conversationId: string, clientId: string): Promise<void> {
    this.q.dequeue.run(conversationId, clientId);
  }

  async queuedConversations(limit: number, offset = 0): Promise<string[]> {
    return (this.q.queuedConversations.all(limit, offset) as { conversation_id: string }[]).map((r) => r.conversation_id);
  }

  async addConversationFile(conversationId: string, file: ConversationFileRecord): Promise<void> {
    this.q.addFile.run(conversationId, file.fileId, file.name, file.size, file.type, file.uploadedAt, file.postId ?? null);
  }

  async getConversationFile(conversationId: string, fileId: string): Promise<ConversationFileRecord | undefined> {
    const row = this.q.getFile.get(conversationId, fileId) as FileRow | undefined;
    return row && toFile(row);
  }

  async conversationFiles(conversationId: string): Promise<ConversationFileRecord[]> {
    return (this.q.files.all(conversationId) as FileRow[]).map(toFile);
  }

  async setConversationFilesPost(conversationId: string, fileIds: string[], postId: string): Promise<void> {
    this.db.transaction(() => {
      for (const id of fileIds) this.q.setFilePost.run(postId, conversationId, id);
    })();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface FileRow {
  file_id: string;
  name: string;
  size: number;
  type: string;
  uploaded_at: number;
  post_id: string | null;
}
const toFile = (row: FileRow): ConversationFileRecord => {
  const file: ConversationFileRecord = { fileId: row.file_id, name: row.name, size: row.size, type: row.type, uploadedAt: row.uploaded_at };
  if (row.post_id !== null) file.postId = row.post_id;
  return file;
};

interface QueuedRow {
  client_id: string;
  create_at: number;
  payload: string;
}
const toQueued = (row: QueuedRow): QueuedMessageRecord => ({ clientId: row.client_id, createAt: row.create_at, payload: row.payload });

function prepare(db: Database.Database) {
  return {
    getConversation: db.prepare('SELECT * FROM conversations WHERE conversation_id = ?'),
    byRoot: db.prepare('SELECT * FROM conversations WHERE root_post_id = ?'),
    insertConversation: db.prepare(
      'INSERT INTO conversations (conversation_id, visitor_user_id, root_post_id, channel_id, created_at, name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO NOTHING',
    ),
    replaceRoot: db.prepare(
      'UPDATE conversations SET root_post_id = ?, channel_id = ?, created_at = ?, name = ? WHERE conversation_id = ? AND root_post_id = ?',
    ),
    getClientPost: db.prepare('SELECT post_id, at FROM client_posts WHERE conversation_id = ? AND client_id = ?'),
    markPending: db.prepare(
      'INSERT INTO client_posts (conversation_id, client_id, post_id, at) VALUES (?, ?, NULL, ?) ON CONFLICT DO NOTHING',
    ),
    setClientPost: db.prepare(
      'INSERT INTO client_posts (conversation_id, client_id, post_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET post_id = excluded.post_id',
    ),
    getRevoked: db.prepare('SELECT revoked_before FROM revocations WHERE conversation_id = ?'),
    revoke: db.prepare(
      'INSERT INTO revocations (conversation_id, revoked_before) VALUES (?, ?) ON CONFLICT DO UPDATE SET revoked_before = max(revoked_before, excluded.revoked_before)',
    ),
    recordDeletion: db.prepare(
      'INSERT INTO deletions (root_post_id, post_id, user_id, create_at, deleted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    deletionsSince: db.prepare(
      'SELECT post_id, user_id, create_at, deleted_at FROM deletions WHERE root_post_id = ? AND deleted_at > ? ORDER BY deleted_at, post_id',
    ),
    touch: db.prepare(
      'INSERT INTO activity (conversation_id, last_at) VALUES (?, ?) ON CONFLICT DO UPDATE SET last_at = max(last_at, excluded.last_at)',
    ),
    touchExisting: db.prepare(
      'INSERT INTO activity (conversation_id, last_at) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM conversations WHERE conversation_id = ?) ON CONFLICT DO UPDATE SET last_at = max(last_at, excluded.last_at)',
    ),
    idle: db.prepare('SELECT conversation_id FROM activity WHERE last_at < ? ORDER BY last_at, conversation_id LIMIT ?'),
    getActivity: db.prepare('SELECT last_at FROM activity WHERE conversation_id = ?'),
    markErasing: db.prepare('INSERT INTO erasures (conversation_id, started_at, revoked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    getErasure: db.prepare('SELECT started_at, revoked_at FROM erasures WHERE conversation_id = ?'),
    clearErasure: db.prepare('DELETE FROM erasures WHERE conversation_id = ?'),
    deleteActivity: db.prepare('DELETE FROM activity WHERE conversation_id = ?'),
    deleteClientPosts: db.prepare('DELETE FROM client_posts WHERE conversation_id = ?'),
    deleteDeletions: db.prepare('DELETE FROM deletions WHERE root_post_id = ?'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE conversation_id = ?'),
    getSecret: db.prepare('SELECT value FROM secrets WHERE name = ?'),
    setSecret: db.prepare('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
    acquireLock: db.prepare(
      'INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE locks.owner = ? OR locks.expires_at <= ?',
    ),
    releaseLock: db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?'),
    addFile: db.prepare(
      'INSERT INTO conversation_files (conversation_id, file_id, name, size, type, uploaded_at, post_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    getFile: db.prepare(
      'SELECT file_id, name, size, type, uploaded_at, post_id FROM conversation_files WHERE conversation_id = ? AND file_id = ?',
    ),
    files: db.prepare(
      'SELECT file_id, name, size, type, uploaded_at, post_id FROM conversation_files WHERE conversation_id = ? ORDER BY uploaded_at, file_id',
    ),
    setFilePost: db.prepare('UPDATE conversation_files SET post_id = ? WHERE conversation_id = ? AND file_id = ?'),
    deleteFiles: db.prepare('DELETE FROM conversation_files WHERE conversation_id = ?'),
    enqueue: db.prepare(
      'INSERT INTO queued_messages (conversation_id, client_id, create_at, payload) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    getQueued: db.prepare('SELECT client_id, create_at, payload FROM queued_messages WHERE conversation_id = ? AND client_id = ?'),
    queued: db.prepare('SELECT client_id, create_at, payload FROM queued_messages WHERE conversation_id = ? ORDER BY seq LIMIT ?'),
    dequeue: db.prepare('DELETE FROM queued_messages WHERE conversation_id = ? AND client_id = ?'),
    deleteQueue: db.prepare('DELETE FROM queued_messages WHERE conversation_id = ?'),
    queuedConversations: db.prepare(
      'SELECT conversation_id FROM queued_messages GROUP BY conversation_id ORDER BY min(seq) LIMIT ? OFFSET ?',
    ),
  };
}
