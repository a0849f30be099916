// The gateway's shared store: one Redis for several companion instances on several hosts. Every
// conflicting write is one Lua script (first writer wins inside Redis), and every value read back
// is validated, so a key written by something else fails loudly with its name.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type {
  ClientPostRecord,
  ConversationFileRecord,
  ConversationRecord,
  DeletionRecord,
  ErasureMarker,
  GatewayStore,
  QueuedMessageRecord,
} from './store.js';

/** Options of {@link RedisGatewayStore}. */
export interface RedisGatewayStoreOptions {
  /** Put in front of every key (default `porthole:`), so one Redis can serve several deployments. */
  prefix?: string;
  /** Whether {@link RedisGatewayStore.close} quits the connection (default `false`: the companion shares one). */
  closeConnection?: boolean;
  /**
   * How long (ms) a client id's record lives after its last write. Unset (the default): for ever,
   * as in the SQLite store. A repeat of a client id after its record expired posts the message again.
   */
  clientPostTtlMs?: number;
  /**
   * How long (ms) a thread's deletion records live: each new deletion drops the thread's records
   * deleted more than this before it and resets the keys' expiry. Unset (the default): for ever,
   * as in the SQLite store. A resync from before the window no longer reports those deletions.
   */
  deletionTtlMs?: number;
}

/** A value in Redis that is not what the store wrote: names the key, what was expected and what was found. */
export class RedisGatewayStoreError extends Error {
  /** The key (with its prefix) that holds the unexpected value. */
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisGatewayStoreError';
    this.key = key;
  }
}

// Lua scripts, one per conflicting write. Times arrive as decimal strings and are stored as given
// (never through Lua's number formatting); `ttl` is '' when the record does not expire.
const SCRIPTS = {
  /** KEYS: conversation, root index, activity. ARGV: the record's six fields. */
  insertConversation: {
    expects: 'a hash (the conversation), a string (its root index) and a sorted set (activity)',
    keys: 3,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'conversationId', ARGV[1], 'visitorUserId', ARGV[2], 'rootPostId', ARGV[3],
    'channelId', ARGV[4], 'createdAt', ARGV[5], 'name', ARGV[6])
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS: conversation, previous root's index, new root's index, activity. ARGV: previous root, the record's six fields. */
  replaceConversationRoot: {
    expects: 'a hash (the conversation), strings (the root indexes) and a sorted set (activity)',
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'conversationId', ARGV[2], 'visitorUserId', ARGV[3], 'rootPostId', ARGV[4],
    'channelId', ARGV[5], 'createdAt', ARGV[6], 'name', ARGV[7])
  redis.call('SET', KEYS[3], ARGV[2])
  redis.call('ZADD', KEYS[4], 'NX', ARGV[6], ARGV[2])
elseif redis.call('HGET', KEYS[1], 'rootPostId') == ARGV[1] then
  if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
  redis.call('HSET', KEYS[1], 'rootPostId', ARGV[4], 'channelId', ARGV[5], 'createdAt', ARGV[6], 'name', ARGV[7])
  redis.call('SET', KEYS[3], ARGV[2])
end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS: client post, the conversation's client ids. ARGV: at, post id ('' for pending: keeps an existing record), ttl, client id. */
  writeClientPost: {
    expects: 'a hash { at, postId? } and a set (client ids)',
    keys: 2,
    lua: `
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('HSETNX', KEYS[1], 'at', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'postId', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`,
  },
  /** KEYS: revocation. ARGV: at. Returns 1, or the stored value when it is not a number. */
  revokeTokens: {
    expects: 'a string (a time in ms)',
    keys: 1,
    lua: `
local raw = redis.call('GET', KEYS[1])
if raw then
  local current = tonumber(raw)
  if not current then return raw end
  if current >= tonumber(ARGV[1]) then return 1 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`,
  },
  /** KEYS: deletions (hash), their order (sorted set). ARGV: post id, JSON, deleted at, trim below, ttl. */
  recordDeletion: {
    expects: 'a hash (post id → JSON) and a sorted set (post ids by deletedAt)',
    keys: 2,
    lua: `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
if ARGV[5] ~= '' then
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4], 'LIMIT', 0, 1000)
  for _, id in ipairs(old) do redis.call('HDEL', KEYS[1], id) end
  if #old > 0 then redis.call('ZREM', KEYS[2], unpack(old)) end
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return 1`,
  },
  /** KEYS: deletions, their order. ARGV: since. Returns [postId, JSON or nil, …], oldest first. */
  deletionsSince: {
    expects: 'a hash (post id → JSON) and a sorted set (post ids by deletedAt)',
    keys: 2,
    lua: `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[1], id)
end
return out`,
  },
  /** KEYS: conversation, activity. ARGV: conversation id, at. Only moves forward, only for a stored conversation. */
  touchConversation: {
    expects: 'a hash (the conversation) and a sorted set (activity)',
    keys: 2,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not current or tonumber(current) < tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
return 1`,
  },
  /**
   * KEYS: conversation, activity, client ids, erasure marker. ARGV: conversation id, client key
   * prefix, root index prefix, deletions prefix, deletion order prefix, expected root ('' for any).
   * Returns 1 when there was a conversation, 0 when not, 2 when it has another root (nothing deleted).
   */
  deleteConversation: {
    expects: 'a hash (the conversation), a sorted set (activity), a set (client ids) and a hash (erasure marker)',
    keys: 4,
    lua: `
if ARGV[6] ~= '' then
  local stored = redis.call('HGET', KEYS[1], 'rootPostId')
  if stored and stored ~= ARGV[6] then return 2 end
end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
for _, clientId in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', ARGV[2] .. clientId) end
redis.call('DEL', KEYS[3])
redis.call('DEL', ARGV[7], ARGV[8])
redis.call('ZREM', ARGV[9], ARGV[1])
local root = redis.call('HGET', KEYS[1], 'rootPostId')
if not root then return 0 end
if redis.call('GET', ARGV[3] .. root) == ARGV[1] then redis.call('DEL', ARGV[3] .. root) end
redis.call('DEL', ARGV[4] .. root, ARGV[5] .. root, KEYS[1])
return 1`,
  },
  /** KEYS: queue, its order, queued conversations, sequence. ARGV: conversation id, client id, JSON. Returns the stored JSON. */
  enqueueMessage: {
    expects: 'a hash (client id → JSON), sorted sets (client ids, conversation ids by sequence) and a string (a counter)',
    keys: 4,
    lua: `
local existing = redis.call('HGET', KEYS[1], ARGV[2])
if existing then return existing end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('ZADD', KEYS[3], 'NX', seq, ARGV[1])
return ARGV[3]`,
  },
  /** KEYS: queue, its order, queued conversations. ARGV: conversation id, client id. */
  dequeueMessage: {
    expects: 'a hash (client id → JSON) and sorted sets (client ids, conversation ids by sequence)',
    keys: 3,
    lua: `
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1`,
  },
  /** KEYS: erasure marker. ARGV: started at, revoked at. Keeps an existing marker; returns the stored one. */
  markErasing: {
    expects: 'a hash { startedAt, revokedAt }',
    keys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'startedAt', ARGV[1], 'revokedAt', ARGV[2])
end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS: lock. ARGV: owner, expires at, now, ttl. Returns 1 (taken), 0 (held by another), -1 (malformed). */
  acquireLock: {
    expects: 'a hash { owner, expiresAt }',
    keys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local held = redis.call('HMGET', KEYS[1], 'owner', 'expiresAt')
  local expiresAt = tonumber(held[2])
  if not held[1] or not expiresAt then return -1 end
  if held[1] ~= ARGV[1] and expiresAt > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`,
  },
  /** KEYS: lock. ARGV: owner. */
  releaseLock: {
    expects: 'a hash { owner, expiresAt }',
    keys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
const command = (name: ScriptName) => `porthole_gw_${name}`;

const time = z
  .string()
  .regex(/^-?\d{1,16}$/, 'expected an integer time in ms')
  .transform(Number);
const id = z.string().min(1);
const conversationSchema = z.object({
  conversationId: id,
  visitorUserId: id,
  rootPostId: id,
  channelId: id,
  createdAt: time,
  name: z.string(),
});
const clientPostSchema = z.object({ at: time, postId: id.optional() });
const deletionSchema = z.object({ userId: z.string(), createAt: z.number().int(), deletedAt: z.number().int() });
const lockValue = 'a hash { owner, expiresAt (integer ms) }';
const erasureSchema = z.object({ startedAt: time, revokedAt: time });
const erasureValue = 'a hash { startedAt, revokedAt } (integer ms)';
const fileSchema = z.object({
  name: z.string(),
  size: z.number().int().nonnegative(),
  type: z.string(),
  uploadedAt: z.number().int(),
  postId: z.string().optional(),
});
const fileValue = 'a hash of file id → JSON { name, size, type, uploadedAt (integer ms), postId? }';
const queuedSchema = z.object({ createAt: z.number().int(), payload: z.string() });
const queuedValue = 'a hash of client id → JSON { createAt (integer ms), payload (string) }';

/** The problems of an object's fields (the value as a whole is described by "expected … received …"). */
const fieldIssues = (error: z.ZodError) =>
  error.issues
    .filter((i) => i.path.length > 0)
    .map((i) => `; ${i.path.join('.')}: ${i.message}`)
    .join('');
const preview = (value: unknown) => {
  const text = typeof value === 'string' || (typeof value === 'object' && value !== null) ? JSON.stringify(value) : String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
};
/** A flat `[field, value, …]` reply as an object. */
const pairs = (reply: unknown): Record<string, string> => {
  const list = reply as string[];
  return Object.fromEntries(Array.from({ length: list.length >> 1 }, (_, i) => [list[2 * i], list[2 * i + 1]]));
};

/**
 * A {@link GatewayStore} in Redis, for companions on several hosts. Conflicting writes (a new
 * conversation, a moved root, a pending send, a revocation, a deletion, a lock) are each one Lua
 * script, so the first writer wins across processes; reads are validated and a value of the wrong
 * shape throws a {@link RedisGatewayStoreError} naming its key.
 *
 * Keys (under the prefix, default `porthole:`):
 *
 * | key | type | what |
 * |---|---|---|
 * | `gw:conv:<conversationId>` | hash | the {@link ConversationRecord} |
 * | `gw:root:<rootPostId>` | string | the conversation id whose thread that post starts |
 * | `gw:client:<conversationId, URI-encoded>:<clientId>` | hash | `at`, `postId` (absent while pending) |
 * | `gw:revoked:<conversationId>` | string | revoked-before time (ms) |
 * | `gw:deletions:<rootPostId>` | hash | post id → `{ userId, createAt, deletedAt }` (JSON) |
 * | `gw:deletion-order:<rootPostId>` | sorted set | post ids scored by `deletedAt` |
 * | `gw:secret:<name>` | string | a named secret |
 * | `gw:client-ids:<conversationId>` | set | the conversation's client ids (so erasure finds their records) |
 * | `gw:activity` | sorted set | conversation ids scored by last activity (ms), for retention |
 * | `gw:erasing:<conversationId>` | hash | `startedAt`, `revokedAt` (ms): an erasure under way (no sends, no new thread) |
 * | `gw:queue:<conversationId>` | hash | client id → `{ createAt, payload }` (JSON): messages waiting for Mattermost |
 * | `gw:queue-order:<conversationId>` | sorted set | the queued client ids in the order queued |
 * | `gw:files:<conversationId>` | hash | file id → `{ name, size, type, uploadedAt, postId? }` (JSON): the conversation's uploads |
 * | `gw:queued` | sorted set | conversation ids with queued messages (for the forwarder) |
 * | `gw:queue-seq` | string | the queue's sequence counter |
 * | `gw:lock:<name>` | hash | `owner`, `expiresAt` (ms); Redis expires it after its ttl too |
 *
 * Conversations, revocations and secrets never expire, nor (unless `clientPostTtlMs` /
 * `deletionTtlMs` are set) do client ids and deletions, so run Redis with `maxmemory-policy`
 * `noeviction` (or a `volatile-*` one) and persistence on. Scripts touch keys of several hash
 * slots: a single Redis (with replicas, Sentinel), not Redis Cluster.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL!);
 * const gateway = createGateway(config, { store: new RedisGatewayStore(redis) });
 * ```
 */
export class RedisGatewayStore implements GatewayStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly closeConnection: boolean;
  private readonly clientPostTtl: string;
  private readonly deletionTtlMs: number | undefined;
  private closed = false;

  /**
   * @param redis The connection (shared: see `closeConnection`). The scripts are defined on it.
   * @throws {TypeError} when a ttl is not a positive integer.
   */
  constructor(redis: Redis, options: RedisGatewayStoreOptions = {}) {
    this.redis = redis;
    this.prefix = options.prefix ?? 'porthole:';
    this.closeConnection = options.closeConnection ?? false;
    for (const name of ['clientPostTtlMs', 'deletionTtlMs'] as const) {
      const ttl = options[name];
      if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl > 0)) {
        throw new TypeError(`RedisGatewayStore: ${name} must be a positive integer (ms) or unset; received ${preview(ttl)}`);
      }
    }
    this.clientPostTtl = options.clientPostTtlMs === undefined ? '' : String(options.clientPostTtlMs);
    this.deletionTtlMs = options.deletionTtlMs;
    for (const [name, script] of Object.entries(SCRIPTS)) {
      redis.defineCommand(command(name as ScriptName), { numberOfKeys: script.keys, lua: script.lua });
    }
  }

  /** The conversation of `conversationId`, if its first message was sent. */
  async getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    const key = this.key('conv', conversationId);
    const found = await this.guard([key], 'a hash', () => this.redis.hgetall(key));
    return Object.keys(found).length === 0 ? undefined : this.conversation(key, found);
  }

  /** Reverse lookup for Mattermost events: the conversation whose thread `rootPostId` starts. */
  async findConversationByRoot(rootPostId: string): Promise<ConversationRecord | undefined> {
    const key = this.key('root', rootPostId);
    const conversationId = await this.guard([key], 'a string (a conversation id)', () => this.redis.get(key));
    if (conversationId === null) return undefined;
    const found = await this.getConversation(conversationId);
    // Moved to another root between the two reads: that root no longer starts it.
    return found?.rootPostId === rootPostId ? found : undefined;
  }

  /**
   * Saves a new conversation unless one exists for its id, with its root index, in one script;
   * returns the one that is stored (the existing one when another writer won).
   */
  async insertConversation(record: ConversationRecord): Promise<ConversationRecord> {
    const key = this.key('conv', record.conversationId);
    const keys = [key, this.key('root', record.rootPostId), this.activityKey()];
    return this.conversation(key, pairs(await this.run('insertConversation', keys, this.fields('insertConversation', record))));
  }

  /**
   * Moves a conversation to a new thread if it still has `previousRootPostId` (compare-and-set in
   * one script, the old root's index removed); returns the stored record either way.
   */
  async replaceConversationRoot(record: ConversationRecord, previousRootPostId: string): Promise<ConversationRecord> {
    const key = this.key('conv', record.conversationId);
    const keys = [key, this.key('root', previousRootPostId), this.key('root', record.rootPostId), this.activityKey()];
    const stored = await this.run('replaceConversationRoot', keys, [previousRootPostId, ...this.fields('replaceConversationRoot', record)]);
    return this.conversation(key, pairs(stored));
  }

  /** What is known about a client id of a conversation. */
  async getClientPost(conversationId: string, clientId: string): Promise<ClientPostRecord | undefined> {
    const key = this.clientKey(conversationId, clientId);
    const found = await this.guard([key], 'a hash', () => this.redis.hgetall(key));
    if (Object.keys(found).length === 0) return undefined;
    const { at, postId } = this.parse(key, clientPostSchema, found, 'a hash { at (integer ms), postId? }');
    return { postId, at };
  }

  /** Records that a send of `clientId` is being attempted (keeps an existing record). */
  async markClientPostPending(conversationId: string, clientId: string, at: number): Promise<void> {
    const args = [this.ms('markClientPostPending', 'at', at), '', this.clientPostTtl, clientId];
    await this.run('writeClientPost', [this.clientKey(conversationId, clientId), this.clientIdsKey(conversationId)], args);
  }

  /** Records the post a client id produced (the first attempt's time stays). */
  async setClientPost(conversationId: string, clientId: string, postId: string, at: number): Promise<void> {
    if (postId === '') throw new TypeError('RedisGatewayStore.setClientPost: postId must be a post id; received ""');
    const args = [this.ms('setClientPost', 'at', at), postId, this.clientPostTtl, clientId];
    await this.run('writeClientPost', [this.clientKey(conversationId, clientId), this.clientIdsKey(conversationId)], args);
  }

  /** Tokens of the conversation issued at or before this time (ms) are revoked. */
  async getRevokedBefore(conversationId: string): Promise<number | undefined> {
    const key = this.key('revoked', conversationId);
    const raw = await this.guard([key], 'a string (a time in ms)', () => this.redis.get(key));
    return raw === null ? undefined : this.parse(key, time, raw, 'an integer time in ms');
  }

  /** Revokes the conversation's tokens issued at or before `at`; the stored time only moves forward (one script). */
  async revokeTokens(conversationId: string, at: number): Promise<void> {
    const key = this.key('revoked', conversationId);
    const result = await this.run('revokeTokens', [key], [this.ms('revokeTokens', 'at', at)]);
    if (typeof result === 'string') this.parse(key, time, result, 'an integer time in ms');
  }

  /** Remembers a deleted post of a conversation's thread (idempotent: the first record stays). */
  async recordDeletion(rootPostId: string, deletion: DeletionRecord): Promise<void> {
    const deletedAt = this.ms('recordDeletion', 'deletedAt', deletion.deletedAt);
    this.ms('recordDeletion', 'createAt', deletion.createAt);
    const value = JSON.stringify({ userId: deletion.userId, createAt: deletion.createAt, deletedAt: deletion.deletedAt });
    const ttl = this.deletionTtlMs;
    const trimBelow = ttl === undefined ? '' : String(deletion.deletedAt - ttl);
    await this.run('recordDeletion', this.deletionKeys(rootPostId), [
      deletion.postId,
      value,
      deletedAt,
      trimBelow,
      ttl === undefined ? '' : String(ttl),
    ]);
  }

  /** Deletions in a thread after `since` (ms), oldest first (ties by post id). */
  async deletionsSince(rootPostId: string, since: number): Promise<DeletionRecord[]> {
    const keys = this.deletionKeys(rootPostId);
    const reply = (await this.run('deletionsSince', keys, [this.ms('deletionsSince', 'since', since)])) as (string | null)[];
    const out: DeletionRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const postId = reply[i]!;
      const raw = reply[i + 1];
      const what = `a JSON { userId, createAt, deletedAt } in field ${JSON.stringify(postId)}`;
      let json: unknown = raw;
      try {
        json = raw === null ? undefined : JSON.parse(raw);
      } catch {
        // Reported below with the raw text.
      }
      out.push({ postId, ...this.parse(keys[0], deletionSchema, json, what) });
    }
    return out;
  }

  /** Records activity in a stored conversation (the activity sorted set's score only moves forward; one script). */
  async touchConversation(conversationId: string, at: number): Promise<void> {
    await this.run(
      'touchConversation',
      [this.key('conv', conversationId), this.activityKey()],
      [conversationId, this.ms('touchConversation', 'at', at)],
    );
  }

  /** Conversations last active before `before`, least recently active first, from the activity sorted set. */
  async idleConversations(before: number, limit: number): Promise<string[]> {
    const key = this.activityKey();
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new TypeError(`RedisGatewayStore.idleConversations: limit must be a positive integer; received ${preview(limit)}`);
    const bound = `(${this.ms('idleConversations', 'before', before)}`;
    return this.guard([key], 'a sorted set (conversation ids by last activity)', () =>
      this.redis.zrangebyscore(key, '-inf', bound, 'LIMIT', 0, limit),
    );
  }

  /** The conversation's last activity (ms), from the activity sorted set. */
  async getActivity(conversationId: string): Promise<number | undefined> {
    const key = this.activityKey();
    const raw = await this.guard([key], 'a sorted set (conversation ids by last activity)', () => this.redis.zscore(key, conversationId));
    return raw === null ? undefined : this.parse(key, time, raw, 'an integer time in ms');
  }

  /**
   * Forgets a conversation (record, root index, client ids, its thread's deletions, activity,
   * erasure marker) in one script — compare-and-delete on `expectedRootPostId`; revocations stay.
   */
  async deleteConversation(conversationId: string, expectedRootPostId?: string): Promise<'deleted' | 'absent' | 'moved'> {
    const keys = [this.key('conv', conversationId), this.activityKey(), this.clientIdsKey(conversationId), this.erasureKey(conversationId)];
    const args = [
      conversationId,
      this.key('client', `${encodeURIComponent(conversationId)}:`),
      this.key('root', ''),
      this.key('deletions', ''),
      this.key('deletion-order', ''),
      expectedRootPostId ?? '',
      ...this.queueKeys(conversationId),
    ];
    const result = await this.run('deleteConversation', keys, args);
    // The files' records go with it (a hash of their own: not in the script, whose keys are its own concern).
    if (result !== 2) await this.guard([this.filesKey(conversationId)], fileValue, () => this.redis.del(this.filesKey(conversationId)));
    return result === 1 ? 'deleted' : result === 2 ? 'moved' : 'absent';
  }

  /** Marks the conversation as being erased unless it is (one script); returns the stored marker. */
  async markErasing(conversationId: string, marker: ErasureMarker): Promise<ErasureMarker> {
    const key = this.erasureKey(conversationId);
    const args = [this.ms('markErasing', 'startedAt', marker.startedAt), this.ms('markErasing', 'revokedAt', marker.revokedAt)];
    return this.parse(key, erasureSchema, pairs(await this.run('markErasing', [key], args)), erasureValue);
  }

  /** The conversation's pending erasure, if any. */
  async getErasure(conversationId: string): Promise<ErasureMarker | undefined> {
    const key = this.erasureKey(conversationId);
    const found = await this.guard([key], erasureValue, () => this.redis.hgetall(key));
    return Object.keys(found).length === 0 ? undefined : this.parse(key, erasureSchema, found, erasureValue);
  }

  /** Removes the erasure marker. */
  async clearErasure(conversationId: string): Promise<void> {
    const key = this.erasureKey(conversationId);
    await this.guard([key], erasureValue, () => this.redis.del(key));
  }

  /** A named secret, e.g. the bot's access token. */
  async getSecret(name: string): Promise<string | undefined> {
    const key = this.key('secret', name);
    return (await this.guard([key], 'a string', () => this.redis.get(key))) ?? undefined;
  }

  /** Stores a named secret (never expires). */
  async setSecret(name: string, value: string): Promise<void> {
    const key = this.key('secret', name);
    await this.guard([key], 'a string', () => this.redis.set(key, value));
  }

  /**
   * Takes the named lock for `ttlMs` if it is free, expired at `now` or already `owner`'s (one
   * script); true when taken. The key also expires in Redis after `ttlMs`, so a crashed owner's
   * lock disappears by itself.
   */
  async acquireLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const key = this.key('lock', name);
    const ttl = this.ms('acquireLock', 'ttlMs', ttlMs);
    if (ttlMs <= 0) throw new TypeError(`RedisGatewayStore.acquireLock: ttlMs must be positive; received ${ttlMs}`);
    const args = [owner, this.ms('acquireLock', 'now + ttlMs', now + ttlMs), this.ms('acquireLock', 'now', now), ttl];
    const result = await this.run('acquireLock', [key], args);
    if (result === -1)
      throw new RedisGatewayStoreError(key, `Redis key ${key} does not hold a lock: expected ${lockValue}.${this.advice()}`);
    return result === 1;
  }

  /** Releases the lock if `owner` holds it (compare-and-delete in one script). */
  async releaseLock(name: string, owner: string): Promise<void> {
    await this.run('releaseLock', [this.key('lock', name)], [owner]);
  }

  /** Queues a message unless its client id is queued (one script); returns the stored one. */
  async enqueueMessage(conversationId: string, message: QueuedMessageRecord): Promise<QueuedMessageRecord> {
    const [queue, order, queued] = this.queueKeys(conversationId);
    const json = JSON.stringify({ createAt: Math.trunc(message.createAt), payload: message.payload });
    const stored = await this.run(
      'enqueueMessage',
      [queue, order, queued, `${this.prefix}gw:queue-seq`],
      [conversationId, message.clientId, json],
    );
    return this.queued(queue, message.clientId, stored);
  }

  /** The queued message of a client id, if it is still queued. */
  async getQueuedMessage(conversationId: string, clientId: string): Promise<QueuedMessageRecord | undefined> {
    const [queue] = this.queueKeys(conversationId);
    const found = await this.guard([queue], queuedValue, () => this.redis.hget(queue, clientId));
    return found === null ? undefined : this.queued(queue, clientId, found);
  }

  /** Up to `limit` queued messages of a conversation, in the order queued. */
  async queuedMessages(conversationId: string, limit: number): Promise<QueuedMessageRecord[]> {
    const [queue, order] = this.queueKeys(conversationId);
    const ids = await this.guard([order], 'a sorted set', () => this.redis.zrange(order, '0', String(Math.max(0, limit - 1))));
    if (ids.length === 0 || limit <= 0) return [];
    const values = await this.guard([queue], queuedValue, () => this.redis.hmget(queue, ...ids));
    const out: QueuedMessageRecord[] = [];
    ids.forEach((clientId, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.push(this.queued(queue, clientId, v));
    });
    return out;
  }

  /** Removes a queued message (one script; the conversation leaves `gw:queued` with its last one). */
  async dequeueMessage(conversationId: string, clientId: string): Promise<void> {
    await this.run('dequeueMessage', this.queueKeys(conversationId), [conversationId, clientId]);
  }

  /** Up to `limit` conversations with queued messages, queued first first. */
  async queuedConversations(limit: number, offset = 0): Promise<string[]> {
    const key = this.queueKeys('')[2];
    if (limit <= 0) return [];
    return this.guard([key], 'a sorted set', () => this.redis.zrange(key, String(offset), String(offset + limit - 1)));
  }

  /** Records an uploaded file (HSETNX: the first record of an id stays). */
  async addConversationFile(conversationId: string, file: ConversationFileRecord): Promise<void> {
    const key = this.filesKey(conversationId);
    const { fileId, ...value } = file;
    await this.guard([key], fileValue, () => this.redis.hsetnx(key, fileId, JSON.stringify(value)));
  }

  /** A file uploaded in this conversation, if any. */
  async getConversationFile(conversationId: string, fileId: string): Promise<ConversationFileRecord | undefined> {
    const key = this.filesKey(conversationId);
    const found = await this.guard([key], fileValue, () => this.redis.hget(key, fileId));
    return found === null ? undefined : this.file(key, fileId, found);
  }

  /** Every file uploaded in a conversation, oldest first. */
  async conversationFiles(conversationId: string): Promise<ConversationFileRecord[]> {
    const key = this.filesKey(conversationId);
    const all = await this.guard([key], fileValue, () => this.redis.hgetall(key));
    return Object.entries(all)
      .map(([id, v]) => this.file(key, id, v))
      .sort((a, b) => a.uploadedAt - b.uploadedAt || (a.fileId < b.fileId ? -1 : 1));
  }

  /** Records the post the files were attached to (only files already recorded). */
  async setConversationFilesPost(conversationId: string, fileIds: string[], postId: string): Promise<void> {
    const key = this.filesKey(conversationId);
    for (const id of fileIds) {
      const found = await this.getConversationFile(conversationId, id);
      if (!found) continue;
      const { fileId: _, ...value } = found;
      await this.guard([key], fileValue, () => this.redis.hset(key, id, JSON.stringify({ ...value, postId })));
    }
  }

  private filesKey(conversationId: string): string {
    return this.key('files', conversationId);
  }

  private file(key: string, fileId: string, value: string): ConversationFileRecord {
    let json: unknown = value;
    try {
      json = JSON.parse(value);
    } catch {
      // reported below as not what was expected
    }
    // File names are personal data: the error names the fields, not their values.
    return { fileId, ...this.parse(key, fileSchema, json, fileValue, false) };
  }

  /** Quits the connection when the store was made with `closeConnection: true`; otherwise leaves it to its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.closeConnection) await this.redis.quit();
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}gw:${kind}:${name}`;
  }

  /** The conversation id is encoded so `a:b` + `c` and `a` + `b:c` stay two keys. */
  private clientKey(conversationId: string, clientId: string): string {
    return this.key('client', `${encodeURIComponent(conversationId)}:${clientId}`);
  }

  private activityKey(): string {
    return `${this.prefix}gw:activity`;
  }

  /** The queue of a conversation, its order, and the set of conversations with queued messages. */
  private queueKeys(conversationId: string): [string, string, string] {
    return [this.key('queue', conversationId), this.key('queue-order', conversationId), `${this.prefix}gw:queued`];
  }

  private queued(key: string, clientId: string, value: unknown): QueuedMessageRecord {
    let json: unknown = value;
    try {
      json = JSON.parse(String(value));
    } catch {
      // reported below as not what was expected
    }
    // Queued messages are personal data: the error names the fields, not their values.
    return { clientId, ...this.parse(key, queuedSchema, json, queuedValue, false) };
  }

  private erasureKey(conversationId: string): string {
    return this.key('erasing', conversationId);
  }

  private clientIdsKey(conversationId: string): string {
    return this.key('client-ids', conversationId);
  }

  private deletionKeys(rootPostId: string): [string, string] {
    return [this.key('deletions', rootPostId), this.key('deletion-order', rootPostId)];
  }

  private fields(method: string, r: ConversationRecord): string[] {
    return [r.conversationId, r.visitorUserId, r.rootPostId, r.channelId, this.ms(method, 'createdAt', r.createdAt), r.name];
  }

  private conversation(key: string, hash: Record<string, string>): ConversationRecord {
    const what = 'a hash { conversationId, visitorUserId, rootPostId, channelId, createdAt (integer ms), name }';
    // Visitor names are personal data: the error shows which fields are wrong, not their values.
    return this.parse(key, conversationSchema, hash, what, false);
  }

  /** A time argument as a decimal string; a time that is not a safe integer is wrong use of the API. */
  private ms(method: string, name: string, value: number): string {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`RedisGatewayStore.${method}: ${name} must be a time in ms (a safe integer); received ${preview(value)}`);
    }
    return String(value);
  }

  private parse<S extends z.ZodType>(key: string, schema: S, value: unknown, what: string, showValue = true): z.output<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const received = showValue ? `; received ${preview(value)}` : '';
    throw new RedisGatewayStoreError(
      key,
      `Redis key ${key} does not hold what the gateway store wrote: expected ${what}${fieldIssues(parsed.error)}${received}.${this.advice()}`,
    );
  }

  private advice(): string {
    return ` Was it written by another program or Porthole version? Delete the key, or give this store another prefix (now ${JSON.stringify(this.prefix)}).`;
  }

  /** Runs one of the scripts (EVALSHA, EVAL when Redis does not know it yet). */
  private run(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    const call = (this.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[command(name)];
    return this.guard(keys, SCRIPTS[name].expects, () => call.call(this.redis, ...keys, ...args));
  }

  /** Turns Redis's WRONGTYPE into an error that names the keys; other errors pass unchanged. */
  private async guard<T>(keys: string[], expected: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('WRONGTYPE')) throw err;
      throw new RedisGatewayStoreError(
        keys[0],
        `Redis key ${keys.length === 1 ? keys[0] : `among ${keys.join(', ')}`} holds the wrong type: expected ${expected} (Redis: ${err.message}).${this.advice()}`,
        { cause: err },
      );
    }
  }
}
