// Unit-test helpers for gateway mode: an in-memory Mattermost behind the GatewayMattermost and
// BotProvisioningApi interfaces (with the thread-paging, pending_post_id and event semantics the
// gateway relies on, as read in the server's source), and a configuration. Tests only; the
// integration suites in test/ run against the real server.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocket } from 'ws';
import { createErrorHandler } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { MattermostError } from '../mattermost-admin.js';
import type { MattermostEvent } from './bot-socket.js';
import type { GatewayConfig } from './config.js';
import { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
import { MAX_MESSAGE_RUNES, type GatewaySession, type ServerFrame, type WireMessage } from '../../protocol/gateway.js';
import type {
  BotProvisioningApi,
  GatewayMattermost,
  MmChannelInfo,
  MmPost,
  MmUserInfo,
  NewMmPost,
  ThreadPage,
  ThreadQuery,
} from './mattermost-api.js';
import { MemoryGatewayStore } from './memory-store.js';
import type { AgentStatus } from '../availability.js';

/** A 1×1 PNG: what the in-memory Mattermost answers for a profile image nobody set. */
export const TEST_PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
import type { GatewayStore } from './store.js';

/** A gateway configuration for unit tests (no Mattermost, no disk). */
export function testGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    mattermostUrl: 'http://mattermost.invalid',
    adminToken: 'a'.repeat(26),
    botToken: undefined,
    botUsername: 'porthole-bot',
    botDisplayName: 'Porthole',
    supportChannelId: 'support0000000000000000000',
    dataDir: ':memory:',
    publicUrl: undefined,
    tokenSecret: 'token-secret-token-secret-token-secret',
    tokenTtlSeconds: 900,
    messagesPerMinute: 20,
    typingPerMinute: 30,
    addressSendsPerMinute: 300,
    readsPerMinute: 120,
    liveConnectsPerMinute: 60,
    newConversationsPerMinute: 300,
    visitorIconUrl: undefined,
    allowedOrigins: ['https://shop.example.com'],
    cookieSecret: 'cookie-secret-cookie-secret-cookie-secret',
    identitySecret: 'identity-secret-identity-secret-identity',
    trustProxy: false,
    production: false,
    ...overrides,
  };
}

let counter = 0;
/** A fresh 26-character id. */
export const mmId = (prefix = 'x') =>
  `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 14)}${(++counter).toString(36).padStart(10, '0')}`.padEnd(26, '0');

interface StoredUser extends MmUserInfo {
  owner?: string;
}

/**
 * An in-memory Mattermost server. `clientFor(token)` acts as the token's user. `calls` counts
 * every API call (tests assert "no Mattermost call"); `events` receive what a bot socket would.
 */
export class MemoryMattermost {
  readonly users = new Map<string, StoredUser>();
  readonly tokens = new Map<string, string>();
  readonly channels = new Map<string, MmChannelInfo & { members: Set<string> }>();
  readonly teams = new Map<string, Set<string>>();
  readonly posts = new Map<string, MmPost>();
  readonly typing: { userId: string; channelId: string; parentId: string }[] = [];
  readonly calls: string[] = [];
  /** Set to make every call fail as if Mattermost were down. */
  down = false;
  botCreationEnabled = true;
  /** Set to save the next created post but fail the call, as if Mattermost died before answering. */
  loseNextAck = false;
  /** Set to refuse the next created post with this error. */
  refuseNextPost: MattermostError | undefined;
  /** ServiceSettings.EnableAPIPostDeletion: off, permanent deletion answers 501. */
  permanentPostDeletion = true;
  /** Posts whose permanent deletion fails with a 500 (a database hiccup), and how many more times. */
  readonly failPermanentDeletion = new Map<string, number>();
  /** Uploaded files by id, with the post they are attached to. */
  readonly files = new Map<
    string,
    { postId: string; name: string; size: number; mime_type: string; creatorId?: string; channelId?: string; bytes?: Uint8Array }
  >();
  // Files
  /** FileSettings.MaxFileSize: larger uploads are refused with 413 (as app/file.go UploadFileX). */
  maxFileSize = 104_857_600;
  // Agents and availability
  /** Statuses by user id (`online`, `away`, `dnd`, `offline`; unset: `offline`, as Mattermost answers). */
  readonly statuses = new Map<string, string>();
  /** Profile images by user id (unset: a default PNG, as Mattermost draws initials). */
  readonly images = new Map<string, { bytes: Uint8Array; contentType: string }>();
  private readonly pending = new Map<string, string>();
  private readonly listeners = new Set<(e: MattermostEvent) => void>();
  private time = 1_700_000_000_000;

  /** The admin token, its user, the team and the support channel. */
  readonly adminToken = 'a'.repeat(26);
  readonly admin: StoredUser = { id: mmId('admin'), username: 'admin' };
  readonly teamId = mmId('team');
  readonly channelId = 'support0000000000000000000';

  constructor() {
    this.users.set(this.admin.id, this.admin);
    this.tokens.set(this.adminToken, this.admin.id);
    this.teams.set(this.teamId, new Set([this.admin.id]));
    this.channels.set(this.channelId, {
      id: this.channelId,
      team_id: this.teamId,
      name: 'support',
      display_name: 'Support',
      type: 'O',
      delete_at: 0,
      members: new Set([this.admin.id]),
    });
  }

  /** A Mattermost restart: its `pending_post_id` de-duplication cache is empty. */
  restart(): void {
    this.pending.clear();
  }

  /** Mattermost's clock: strictly increasing ms. */
  tick(): number {
    return ++this.time;
  }

  /** Adds a regular user (an agent) in the team and the support channel; returns its id. */
  addAgent(username: string, profile: Partial<MmUserInfo> = {}): string {
    const id = mmId(username.replace(/\W/g, ''));
    this.users.set(id, { id, username, ...profile });
    this.teams.get(this.teamId)!.add(id);
    this.channels.get(this.channelId)!.members.add(id);
    return id;
  }

  /** Subscribes to the events a bot socket in the support channel would get. */
  subscribe(listener: (e: MattermostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: string, post: MmPost): void {
    for (const l of this.listeners) l({ event, data: { post: JSON.stringify(post) }, broadcast: { channel_id: post.channel_id } });
  }

  /** An agent replies in a thread (as the agent's own Mattermost app would). */
  reply(userId: string, rootId: string, message: string): MmPost {
    return this.save({ channel_id: this.channelId, root_id: rootId, message, props: {} }, userId);
  }

  /** Edits a post. */
  edit(postId: string, message: string): MmPost {
    const post = this.posts.get(postId)!;
    const t = this.tick();
    Object.assign(post, { message, edit_at: t, update_at: t });
    this.emit('post_edited', post);
    return { ...post };
  }

  /** Attaches a file to a post (as an upload plus `file_ids` would), visible in the post's `metadata.files`. */
  attachFile(postId: string, name: string, size = 100, mimeType = 'text/plain'): string {
    const post = this.posts.get(postId)!;
    const id = mmId('file');
    this.files.set(id, { postId, name, size, mime_type: mimeType });
    post.file_ids = [...(post.file_ids ?? []), id];
    post.metadata = { files: [...(post.metadata?.files ?? []), { id, name, size, mime_type: mimeType }] };
    return id;
  }

  /** Deletes a post (a root takes its replies with it, as in Mattermost). */
  remove(postId: string): void {
    const post = this.posts.get(postId)!;
    // Like app/post.go DeletePost: the event carries the post as read before the deletion.
    const before = { ...post };
    const t = this.tick();
    Object.assign(post, { delete_at: t, update_at: t });
    if (!post.root_id)
      for (const p of this.posts.values()) if (p.root_id === postId && !p.delete_at) Object.assign(p, { delete_at: t, update_at: t });
    this.emit('post_deleted', before);
  }

  /** An agent typing in a thread. */
  agentTyping(userId: string, parentId: string): void {
    for (const l of this.listeners)
      l({ event: 'typing', data: { user_id: userId, parent_id: parentId }, broadcast: { channel_id: this.channelId } });
  }

  /** An agent posts a file in a thread (upload, then a reply with `file_ids`); the post and the file id. */
  replyWithFile(
    userId: string,
    rootId: string,
    name: string,
    bytes: Uint8Array,
    mimeType = 'text/plain',
  ): { post: MmPost; fileId: string } {
    const fileId = mmId('file');
    this.files.set(fileId, {
      postId: '',
      name,
      size: bytes.length,
      mime_type: mimeType,
      creatorId: userId,
      channelId: this.channelId,
      bytes,
    });
    const post = this.save({ channel_id: this.channelId, root_id: rootId, message: '', props: {}, file_ids: [fileId] }, userId);
    return { post, fileId };
  }

  private save(input: NewMmPost, userId: string): MmPost {
    const t = this.tick();
    const user = this.users.get(userId)!;
    // As sqlstore AttachToPost: only the poster's own uploads not yet attached; the others are dropped silently.
    const attached = (input.file_ids ?? []).filter((id) => {
      const f = this.files.get(id);
      return f !== undefined && f.postId === '' && f.creatorId === userId;
    });
    const post: MmPost = {
      id: mmId('p'),
      create_at: t,
      update_at: t,
      edit_at: 0,
      delete_at: 0,
      user_id: userId,
      channel_id: input.channel_id,
      root_id: input.root_id ?? '',
      message: input.message,
      type: '',
      props: { ...input.props, ...(user.is_bot ? { from_bot: 'true' } : {}) },
      participants: undefined,
    };
    if (attached.length > 0) {
      post.file_ids = attached;
      post.metadata = {
        files: attached.map((id) => {
          const f = this.files.get(id)!;
          f.postId = post.id;
          f.channelId = input.channel_id;
          return { id, name: f.name, size: f.size, mime_type: f.mime_type };
        }),
      };
    }
    this.posts.set(post.id, post);
    this.emit('posted', post);
    return { ...post };
  }

  /** A REST client acting with `token`. */
  clientFor(token: string): GatewayMattermost & BotProvisioningApi {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const mm = this;
    const call = (name: string) => {
      mm.calls.push(name);
      if (mm.down) throw new MattermostError(0, undefined, `${name}: Mattermost unreachable`);
      const userId = mm.tokens.get(token);
      if (!userId || mm.users.get(userId)?.delete_at)
        throw new MattermostError(401, 'api.context.session_expired.app_error', `${name} → 401`);
      return userId;
    };
    const visiblePost = (id: string) => {
      const p = mm.posts.get(id);
      return p && !p.delete_at ? { ...p } : null;
    };
    return {
      async getMe() {
        return { ...mm.users.get(call('getMe'))! };
      },
      async getChannel(channelId) {
        call('getChannel');
        const c = mm.channels.get(channelId);
        if (!c) return null;
        const { members: _, ...info } = c;
        return info;
      },
      async isChannelMember(channelId, userId) {
        call('isChannelMember');
        return mm.channels.get(channelId)?.members.has(userId) ?? false;
      },
      async createPost(post) {
        const userId = call('createPost');
        if (!mm.channels.get(post.channel_id)?.members.has(userId))
          throw new MattermostError(403, 'api.context.permissions.app_error', 'createPost → 403');
        const refused = mm.refuseNextPost;
        mm.refuseNextPost = undefined;
        if (refused) throw refused;
        if ([...post.message].length > MAX_MESSAGE_RUNES)
          throw new MattermostError(400, 'model.post.is_valid.message_length.app_error', 'createPost → 400');
        if (post.root_id && !visiblePost(post.root_id))
          throw new MattermostError(400, 'api.post.create_post.root_id.app_error', 'createPost → 400');
        if (post.pending_post_id) {
          const seen = mm.pending.get(post.pending_post_id);
          // As app/post.go deduplicateCreatePost: the first post is returned; gone for good, a 500.
          if (seen && !mm.posts.has(seen))
            throw new MattermostError(500, 'api.post.deduplicate_create_post.failed_to_get', 'createPost → 500');
          if (seen) return mm.posts.get(seen)!;
        }
        const saved = mm.save(post, userId);
        if (post.pending_post_id) mm.pending.set(post.pending_post_id, saved.id);
        if (mm.loseNextAck) {
          mm.loseNextAck = false;
          throw new MattermostError(0, undefined, 'createPost: connection reset before the answer');
        }
        return saved;
      },
      async getPost(postId) {
        call('getPost');
        return visiblePost(postId);
      },
      async getThread(rootId, q: ThreadQuery): Promise<ThreadPage | null> {
        call('getThread');
        const root = visiblePost(rootId);
        if (!root) return null;
        let replies = [...mm.posts.values()].filter((p) => p.root_id === rootId && !p.delete_at);
        if (q.extended) {
          const ids = [...new Set(replies.map((p) => p.user_id))];
          root.participants = ids.map((id) => ({ ...mm.users.get(id)! }));
        }
        if (q.updatesOnly && q.fromUpdateAt !== undefined) {
          replies = replies
            .filter((p) => p.update_at > q.fromUpdateAt!)
            .sort((a, b) => a.update_at - b.update_at || (a.id < b.id ? -1 : 1));
        } else {
          const sign = q.direction === 'up' ? -1 : 1;
          replies.sort((a, b) => sign * (a.create_at - b.create_at || (a.id < b.id ? -1 : 1)));
          if (q.fromCreateAt !== undefined) {
            const before = (p: MmPost) =>
              p.create_at < q.fromCreateAt! || (p.create_at === q.fromCreateAt && q.fromPost !== undefined && p.id < q.fromPost);
            replies = replies.filter(q.direction === 'up' ? before : (p) => !before(p) && p.id !== q.fromPost);
          }
        }
        const hasNext = replies.length > q.perPage;
        return { root, replies: replies.slice(0, q.perPage).map((p) => ({ ...p })), hasNext };
      },
      async getChannelPostsSince(channelId, since) {
        call('getChannelPostsSince');
        // Like Mattermost: at most 1,000 posts, not in time order (here: newest created first).
        const changed = [...mm.posts.values()].filter((p) => p.channel_id === channelId && p.update_at > since);
        return changed
          .sort((a, b) => b.create_at - a.create_at)
          .slice(0, 1000)
          .map((p) => ({ ...p }));
      },
      async getNewestChannelPost(channelId) {
        call('getNewestChannelPost');
        const all = [...mm.posts.values()].filter((p) => p.channel_id === channelId && !p.delete_at);
        return all.sort((a, b) => b.create_at - a.create_at)[0];
      },
      async publishTyping(userId, channelId, parentId) {
        call('publishTyping');
        mm.typing.push({ userId, channelId, parentId });
      },
      async getUsersByIds(ids) {
        call('getUsersByIds');
        return ids.map((id) => mm.users.get(id)).filter((u): u is StoredUser => !!u);
      },
      // Files
      async uploadFile(upload) {
        const userId = call('uploadFile');
        if (!mm.channels.get(upload.channelId)?.members.has(userId))
          throw new MattermostError(403, 'api.context.permissions.app_error', 'uploadFile → 403');
        // As app/file.go UploadFileX: Content-Length past MaxFileSize is refused before reading.
        if (upload.length > mm.maxFileSize) {
          await upload.body.cancel();
          throw new MattermostError(413, 'api.file.upload_file.too_large_detailed.app_error', 'uploadFile → 413');
        }
        const chunks: Uint8Array[] = [];
        const reader = upload.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
        }
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
        const id = mmId('file');
        // Mattermost goes by the name's extension for the type (model.GetInfoForBytes).
        const ext = upload.name.split('.').pop()!.toLowerCase();
        const byExt: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', pdf: 'application/pdf', txt: 'text/plain' };
        const file = {
          postId: '',
          name: upload.name,
          size: bytes.length,
          mime_type: byExt[ext] ?? '',
          creatorId: userId,
          channelId: upload.channelId,
          bytes,
        };
        mm.files.set(id, file);
        return {
          id,
          name: file.name,
          size: file.size,
          mime_type: file.mime_type,
          creator_id: userId,
          post_id: '',
          channel_id: upload.channelId,
          delete_at: 0,
        };
      },
      async getFileInfo(fileId) {
        call('getFileInfo');
        const f = mm.files.get(fileId);
        if (!f) return null;
        return {
          id: fileId,
          name: f.name,
          size: f.size,
          mime_type: f.mime_type,
          creator_id: f.creatorId ?? '',
          post_id: f.postId,
          channel_id: f.channelId ?? '',
          delete_at: 0,
        };
      },
      async getFile(fileId) {
        call('getFile');
        const f = mm.files.get(fileId);
        if (!f) return null;
        const bytes = f.bytes ?? new Uint8Array(f.size);
        return { body: new Blob([new Uint8Array(bytes)]).stream(), length: bytes.length };
      },
      // Agents and availability
      async getUserStatuses(ids) {
        call('getUserStatuses');
        // As app/status.go GetUserStatusesByIds: users without a status row count as offline.
        return ids.map((id) => {
          const status = mm.statuses.get(id) ?? 'offline';
          return { user_id: id, status: (['online', 'away', 'dnd'].includes(status) ? status : 'offline') as AgentStatus };
        });
      },
      async getUsersByUsernames(names) {
        call('getUsersByUsernames');
        return [...mm.users.values()].filter((u) => names.includes(u.username)).map((u) => ({ ...u }));
      },
      async getChannelMemberIds(channelId, max) {
        call('getChannelMemberIds');
        return [...(mm.channels.get(channelId)?.members ?? [])].slice(0, max);
      },
      async getUserImage(userId) {
        call('getUserImage');
        if (!mm.users.has(userId)) return null;
        const image = mm.images.get(userId) ?? { bytes: TEST_PNG, contentType: 'image/png' };
        return { bytes: image.bytes.slice().buffer as ArrayBuffer, contentType: image.contentType };
      },
      async getUserByUsername(username) {
        call('getUserByUsername');
        return [...mm.users.values()].find((u) => u.username === username) ?? null;
      },
      async createBot(input) {
        const owner = call('createBot');
        if (!mm.botCreationEnabled) throw new MattermostError(403, 'api.bot.create_disabled', 'createBot → 403');
        // As app/bot.go CreateBot answers a username that another request just took.
        if ([...mm.users.values()].some((u) => u.username === input.username))
          throw new MattermostError(400, 'app.user.save.username_exists.app_error', 'createBot → 400');
        const id = mmId('bot');
        mm.users.set(id, { id, username: input.username, first_name: input.display_name, is_bot: true, owner });
        return id;
      },
      async enableBot(botUserId) {
        call('enableBot');
        mm.users.get(botUserId)!.delete_at = 0;
      },
      async addTeamMember(teamId, userId) {
        call('addTeamMember');
        mm.teams.get(teamId)!.add(userId);
      },
      async addChannelMember(channelId, userId) {
        call('addChannelMember');
        mm.channels.get(channelId)!.members.add(userId);
      },
      async createUserAccessToken(userId) {
        call('createUserAccessToken');
        const t = mmId('tok');
        mm.tokens.set(t, userId);
        return { id: mmId('tokid'), token: t };
      },
      async deletePostPermanently(postId) {
        const userId = call('deletePostPermanently');
        // As api4/post.go deletePost: the setting first (501), then manage_system (403).
        if (!mm.permanentPostDeletion)
          throw new MattermostError(501, 'api.post.delete_post.not_enabled.app_error', 'deletePostPermanently → 501');
        if (userId !== mm.admin.id) throw new MattermostError(403, 'api.context.permissions.app_error', 'deletePostPermanently → 403');
        const failures = mm.failPermanentDeletion.get(postId) ?? 0;
        if (failures > 0) {
          mm.failPermanentDeletion.set(postId, failures - 1);
          throw new MattermostError(500, 'app.post.permanent_delete_post.error', 'deletePostPermanently → 500');
        }
        if (!mm.posts.has(postId)) return false;
        // As app/post.go PermanentDeletePost: this post's files; then the store removes the post
        // and every post whose root it is (their files stay).
        for (const [id, file] of mm.files) if (file.postId === postId) mm.files.delete(id);
        for (const [id, p] of mm.posts) if (id === postId || p.root_id === postId) mm.posts.delete(id);
        return true;
      },
    };
  }
}

/** A started gateway over a {@link MemoryMattermost} and a memory store, behind the companion's error handler. */
export async function startTestGateway(
  options: {
    config?: Partial<GatewayConfig>;
    now?: () => number;
    mm?: MemoryMattermost;
    store?: GatewayStore;
    logger?: Logger;
    /** More collaborators (an audit log, a fast sleep…). */
    deps?: GatewayDeps;
  } = {},
) {
  const mm = options.mm ?? new MemoryMattermost();
  const store = options.store ?? new MemoryGatewayStore();
  const config = testGatewayConfig(options.config);
  const logger = options.logger ?? silentLogger;
  const gateway = createGateway(config, {
    logger,
    store,
    mattermost: (token) => mm.clientFor(token),
    now: options.now,
    connectWaitMs: 0,
    botSocket: { minBackoffMs: 60_000 },
    ...options.deps,
  });
  const app = new Hono();
  app.onError(createErrorHandler({ production: false, logger }));
  app.route('/', gateway.routes);
  await gateway.start();
  const call = async (
    method: string,
    path: string,
    init: { token?: string; body?: unknown; cookie?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.Cookie = init.cookie;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { res, status: res.status, json: text ? (JSON.parse(text) as any) : undefined };
  };
  /** A new anonymous session: its body and cookie. */
  const session = async (body: Record<string, unknown> = {}, cookie?: string) => {
    const r = await call('POST', '/v1/session', { body, cookie });
    if (r.status !== 200) throw new Error(`session → ${r.status} ${JSON.stringify(r.json)}`);
    return { ...(r.json as GatewaySession), cookie: cookie ?? (r.res.headers.get('Set-Cookie') ?? '').split(';')[0]! };
  };
  return { mm, store, config, gateway, app, call, session };
}

/** A gateway served over Node's http server on an ephemeral port, `/v1/live` included (integration tests). */
export interface ServedGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops the gateway, then the server. */
  close(): Promise<void>;
}

/** Serves a gateway the way the companion's Node adapter will: the routes plus the `upgrade` handler. */
export async function serveGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<ServedGateway> {
  const gateway = createGateway(config, { logger: silentLogger, ...deps });
  const app = new Hono();
  app.onError(createErrorHandler({ production: false, logger: deps.logger ?? silentLogger }));
  app.route('/', gateway.routes);
  const server = http.createServer(getRequestListener((request, env) => app.fetch(request, env)));
  server.on('upgrade', (req, socket, head) => {
    if (!gateway.live.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await gateway.start();
  return {
    gateway,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await gateway.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A visitor's `/v1/live` socket for tests: frames in a queue, and a wait for the one you expect. */
export class LiveTestClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: { match: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
      this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens the socket (rejects with the HTTP status when the upgrade is refused). */
  static open(baseUrl: string, origin?: string): Promise<LiveTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/live`, { headers: origin ? { Origin: origin } : {} });
      const client = new LiveTestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** Opens, authenticates and waits for `ready`. */
  static async ready(baseUrl: string, token: string, origin?: string): Promise<LiveTestClient> {
    const client = await LiveTestClient.open(baseUrl, origin);
    client.send({ type: 'auth', token });
    await client.next((f) => f.type === 'ready');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or to come) that matches, within `timeoutMs`. */
  next(match: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 500)}`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A visitor's REST calls to a served gateway (integration tests). */
export class VisitorTestClient {
  constructor(
    readonly baseUrl: string,
    readonly origin?: string,
  ) {}

  async call(
    method: string,
    route: string,
    init: { token?: string; body?: unknown; cookie?: string } = {},
  ): Promise<{ res: Response; status: number; json: any }> {
    const headers: Record<string, string> = this.origin ? { Origin: this.origin } : {};
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.Cookie = init.cookie;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { res, status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  /** `POST /v1/session`; throws unless 200. */
  async session(body: Record<string, unknown> = {}, cookie?: string): Promise<GatewaySession & { cookie: string }> {
    const r = await this.call('POST', '/v1/session', { body, cookie });
    if (r.status !== 200) throw new Error(`POST /v1/session → ${r.status} ${JSON.stringify(r.json)}`);
    return { ...r.json, cookie: cookie ?? (r.res.headers.get('Set-Cookie') ?? '').split(';')[0] };
  }

  /** `POST /v1/messages`; throws unless 200/201. */
  async send(token: string, text: string, clientId: string = crypto.randomUUID()): Promise<WireMessage> {
    const r = await this.call('POST', '/v1/messages', { token, body: { clientId, text } });
    if (r.status !== 201 && r.status !== 200) throw new Error(`POST /v1/messages → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.message;
  }
}

/** Logs in to Mattermost with a password, as a user's app would; returns the session token. */
export async function mattermostLogin(mattermostUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${mattermostUrl}/api/v4/users/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login_id: username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username} → ${res.status}`);
  return res.headers.get('Token')!;
}

/** One Mattermost REST call with a user's token; throws unless 2xx. */
export async function mattermostAs<T = any>(
  mattermostUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${mattermostUrl}/api/v4${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Polls `check` every 100 ms until it holds. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What an integration fixture needs of the harness's Mattermost (test/support/mattermost.ts). */
export interface HarnessMattermost {
  url: string;
  adminToken: string;
  inboxChannelId: string;
  allowedOrigins: string[];
  agents: { username: string; password: string; id: string }[];
}

/**
 * One integration suite's gateway setup against the real Mattermost: its own bot (a random
 * username, permanently deleted by `dispose()`) and data directory, any number of companions
 * over them (restarts), and the steps most tests start with.
 */
export class GatewayFixture {
  readonly botUsername = `porthole-it-${crypto.randomUUID().slice(0, 8)}`;
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-gateway-it-'));
  private readonly served: ServedGateway[] = [];
  private botUserId: string | undefined;

  constructor(readonly mm: HarnessMattermost) {}

  config(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
    return testGatewayConfig({
      mattermostUrl: this.mm.url,
      adminToken: this.mm.adminToken,
      botUsername: this.botUsername,
      supportChannelId: this.mm.inboxChannelId,
      dataDir: this.dataDir,
      allowedOrigins: this.mm.allowedOrigins,
      ...overrides,
    });
  }

  /** Serves a companion (the first one creates the bot). */
  async serve(overrides: Partial<GatewayConfig> = {}, deps: GatewayDeps = {}): Promise<ServedGateway> {
    const s = await serveGateway(this.config(overrides), deps);
    this.served.push(s);
    this.botUserId ??= s.gateway.status().botUserId;
    return s;
  }

  /** A visitor client of a served companion, from the first allowed origin. */
  visitor(s: ServedGateway): VisitorTestClient {
    return new VisitorTestClient(s.url, this.mm.allowedOrigins[0]);
  }

  /** A new visitor's first message, the thread it opened, and an agent logged in to answer there. */
  async conversation(s: ServedGateway, agentIndex: number, name: string, text: string) {
    const agentInfo = this.mm.agents[agentIndex]!;
    const agent = await mattermostLogin(this.mm.url, agentInfo.username, agentInfo.password);
    const session = await this.visitor(s).session({ name });
    const first = await this.visitor(s).send(session.token, text);
    const root = (await mattermostAs(this.mm.url, this.mm.adminToken, 'GET', `/posts/${first.id}`)).root_id as string;
    const reply = (message: string) =>
      mattermostAs(this.mm.url, agent, 'POST', '/posts', { channel_id: this.mm.inboxChannelId, root_id: root, message });
    return { agentInfo, agent, session, first, root, reply };
  }

  /** Closes every companion, deletes the suite's bot (its posts stay) and the data directory. */
  async dispose(): Promise<void> {
    for (const s of this.served) await s.close().catch(() => {});
    if (this.botUserId) {
      await mattermostAs(this.mm.url, this.mm.adminToken, 'DELETE', `/users/${this.botUserId}?permanent=true`).catch((e) =>
        console.error(`could not delete the test bot: ${e.message}`),
      );
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
