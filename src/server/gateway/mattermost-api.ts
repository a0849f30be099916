// Gateway mode's view of Mattermost REST v4: what the bot does (post, read threads, typing) and
// what the admin token does once at start (ensure the bot). Plain fetch; every response is
// validated with zod (data from Mattermost is untrusted too).
import { z } from 'zod';
import { MattermostError } from '../mattermost-admin.js';
import { timedMattermostCall, type CompanionMetrics } from '../metrics.js';
import { mmStatusesSchema, type AgentStatus } from '../availability.js';

const mmUser = z.object({
  id: z.string(),
  username: z.string(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  nickname: z.string().optional(),
  is_bot: z.boolean().optional(),
  delete_at: z.number().optional(),
});

/** A Mattermost user, as far as the gateway cares. */
export type MmUserInfo = z.infer<typeof mmUser>;

/** A file's metadata (public/model/file_info.go), as posts carry it in `metadata.files`. */
const mmFileInfo = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  mime_type: z.string().optional().default(''),
  width: z.number().optional(),
  height: z.number().optional(),
});

// Files
/** A file's metadata as `GET /files/{id}/info` and uploads answer it: who made it and which post has it. */
export const mmFileInfoSchema = mmFileInfo.extend({
  creator_id: z.string().optional().default(''),
  /** Empty until the file is attached to a post. */
  post_id: z.string().optional().default(''),
  channel_id: z.string().optional().default(''),
  delete_at: z.number().optional().default(0),
});
export type MmFileInfo = z.infer<typeof mmFileInfoSchema>;
const fileUploadResponse = z.object({ file_infos: z.array(mmFileInfoSchema).min(1) });

/** A file's bytes as Mattermost streams them. */
export interface MmFileStream {
  body: ReadableStream<Uint8Array>;
  /** `Content-Length`, when Mattermost sent one. */
  length: number | undefined;
}

/** A raw upload (`POST /files?channel_id=&filename=`, api4/file.go uploadFileSimple). */
export interface MmUpload {
  channelId: string;
  name: string;
  /** The bytes, streamed: the caller ends it (or errors it to abort the request). */
  body: ReadableStream<Uint8Array>;
  /** Sent as `Content-Length`; Mattermost refuses it past FileSettings.MaxFileSize before reading. */
  length: number;
  signal?: AbortSignal;
}

/** A Mattermost post (public/model/post.go), reduced to what the gateway reads. */
export const mmPostSchema = z.object({
  id: z.string(),
  create_at: z.number(),
  update_at: z.number(),
  edit_at: z.number().optional().default(0),
  delete_at: z.number().optional().default(0),
  user_id: z.string(),
  channel_id: z.string(),
  root_id: z.string().optional().default(''),
  message: z.string().optional().default(''),
  type: z.string().optional().default(''),
  props: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  participants: z.array(mmUser).nullish(),
  /** Ids of the post's files. */
  file_ids: z.array(z.string()).nullish(),
  /** Filled in by Mattermost for clients (app/post_metadata.go): the files' metadata. */
  metadata: z.object({ files: z.array(mmFileInfo).nullish() }).nullish(),
});
export type MmPost = z.infer<typeof mmPostSchema>;

const postList = z.object({
  order: z.array(z.string()),
  posts: z.record(z.string(), mmPostSchema),
  has_next: z.boolean().optional(),
});
const channel = z.object({
  id: z.string(),
  team_id: z.string(),
  name: z.string(),
  display_name: z.string().optional(),
  type: z.string(),
  delete_at: z.number(),
});
export type MmChannelInfo = z.infer<typeof channel>;
const bot = z.object({ user_id: z.string(), username: z.string().optional(), delete_at: z.number().optional() });
const accessToken = z.object({ id: z.string(), token: z.string() });
const mmError = z.object({ id: z.string().optional(), message: z.string().optional() });

/** A post the bot creates. */
export interface NewMmPost {
  channel_id: string;
  root_id?: string;
  message: string;
  props: Record<string, unknown>;
  /** Mattermost de-duplicates repeats with the same value for 30 s. */
  pending_post_id?: string;
  /** Files to attach (at most 10: model/post.go PostFileidsMaxRunes); Mattermost attaches only the poster's unattached uploads. */
  file_ids?: string[];
}

/** Paging of `GET /posts/{root}/thread` (api4/post.go getPostThread), replies only (collapsedThreads). */
export interface ThreadQuery {
  /** At most 200 (web.PerPageMaximum). */
  perPage: number;
  /** `up`: newest first; `down`: oldest first. */
  direction: 'up' | 'down';
  /** With `up`: replies created before it (with `fromPost`: or at it with a smaller id). */
  fromCreateAt?: number;
  fromPost?: string;
  /** With `down` and `updatesOnly`: replies updated after it, by update time. */
  fromUpdateAt?: number;
  updatesOnly?: boolean;
  /** Include the participants' profiles on the root (collapsedThreadsExtended). */
  extended?: boolean;
}

/** One page of a thread. */
export interface ThreadPage {
  /** The root post (with `participants` when `extended`). */
  root: MmPost | undefined;
  /** Replies in the order asked for. */
  replies: MmPost[];
  /** More replies exist beyond this page. */
  hasNext: boolean;
}

/** What the gateway does with the bot's token. {@link MattermostRestClient} is the real one. */
export interface GatewayMattermost {
  /** The token's user. */
  getMe(): Promise<MmUserInfo>;
  /** A channel, or `null` when it does not exist or the token's user cannot see it. */
  getChannel(channelId: string): Promise<MmChannelInfo | null>;
  /** Whether `userId` is a member of the channel. */
  isChannelMember(channelId: string, userId: string): Promise<boolean>;
  createPost(post: NewMmPost): Promise<MmPost>;
  /** A post, or `null` when it does not exist (or was deleted). */
  getPost(postId: string): Promise<MmPost | null>;
  /** A page of a thread's replies; `null` when the root does not exist (or was deleted). */
  getThread(rootPostId: string, query: ThreadQuery): Promise<ThreadPage | null>;
  /** Posts of a channel created, edited or deleted after `since` (ms), at most 1,000 (store limit). */
  getChannelPostsSince(channelId: string, since: number): Promise<MmPost[]>;
  /** The newest post of a channel, a cursor on Mattermost's own clock; `undefined` for an empty channel. */
  getNewestChannelPost(channelId: string): Promise<MmPost | undefined>;
  /** Shows `userId` typing in a thread (`POST /users/{id}/typing`). */
  publishTyping(userId: string, channelId: string, parentId: string): Promise<void>;
  /** Profiles by id. */
  getUsersByIds(userIds: string[]): Promise<MmUserInfo[]>;
  // Files
  /** Uploads a file (raw body, streamed) to a channel as the token's user; its info. */
  uploadFile(upload: MmUpload): Promise<MmFileInfo>;
  /** A file's info, or `null` when it does not exist or the token's user cannot read it. */
  getFileInfo(fileId: string): Promise<MmFileInfo | null>;
  /** A file's bytes, or `null` when it does not exist or the token's user cannot read it. */
  getFile(fileId: string, signal?: AbortSignal): Promise<MmFileStream | null>;
  // Agents and availability
  /** Statuses by user id (`POST /users/status/ids`; no permission needed). */
  getUserStatuses(userIds: string[]): Promise<Array<{ user_id: string; status: AgentStatus }>>;
  /** Profiles by username (`POST /users/usernames`); unknown ones are left out. */
  getUsersByUsernames(usernames: string[]): Promise<MmUserInfo[]>;
  /** Up to `max` member ids of a channel (`GET /channels/{id}/members`). */
  getChannelMemberIds(channelId: string, max: number): Promise<string[]>;
  /** A user's profile image (`GET /users/{id}/image`), or `null` when Mattermost has no such user (404/403). */
  getUserImage(userId: string): Promise<{ bytes: ArrayBuffer; contentType: string } | null>;
}

/**
 * What the admin token does: once at start, create or repair the bot; and, for erasure, delete
 * posts for good (the bot cannot).
 */
export interface BotProvisioningApi {
  getMe(): Promise<MmUserInfo>;
  getChannel(channelId: string): Promise<MmChannelInfo | null>;
  /** A user by username (deactivated ones included), or `null`. */
  getUserByUsername(username: string): Promise<MmUserInfo | null>;
  /** Creates a bot owned by the token's user; returns its user id. */
  createBot(bot: { username: string; display_name: string; description: string }): Promise<string>;
  /** Re-enables a disabled bot. */
  enableBot(botUserId: string): Promise<void>;
  addTeamMember(teamId: string, userId: string): Promise<void>;
  addChannelMember(channelId: string, userId: string): Promise<void>;
  /** Mints an access token for `userId` (bots: even with user access tokens off). */
  createUserAccessToken(userId: string, description: string): Promise<{ id: string; token: string }>;
  /**
   * Deletes a post for good with its files, reactions and thread rows, and (a root) every post of
   * its thread (`DELETE /posts/{id}?permanent=true`: needs ServiceSettings.EnableAPIPostDeletion,
   * else 501, and manage_system, else 403). False when there was no such post (404).
   */
  deletePostPermanently(postId: string): Promise<boolean>;
}

/** Options of {@link MattermostRestClient}. */
export interface MattermostRestClientOptions {
  /** Base URL the companion reaches Mattermost at. */
  url: string;
  /** The bot's or the admin's access token. */
  token: string;
  /** Per-call timeout in ms. Default: 10 000. */
  timeoutMs?: number;
  /** fetch implementation. Default: global fetch. */
  fetch?: typeof fetch;
  /** Records each call's duration (`porthole_mattermost_request_duration_seconds`). Default: none. */
  metrics?: CompanionMetrics;
}

/**
 * {@link GatewayMattermost} and {@link BotProvisioningApi} over REST v4 with plain `fetch`.
 *
 * @example
 * ```ts
 * const bot = new MattermostRestClient({ url: 'http://mattermost:8065', token: botToken });
 * const me = await bot.getMe();
 * ```
 */
export class MattermostRestClient implements GatewayMattermost, BotProvisioningApi {
  private readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly metrics: CompanionMetrics | undefined;

  constructor(options: MattermostRestClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
    this.metrics = options.metrics;
  }

  private async call<T>(method: string, path: string, schema: z.ZodType<T> | null, body?: unknown, allow404 = false): Promise<T | null> {
    let res: Response;
    try {
      res = await timedMattermostCall(this.metrics, method, `/api/v4${path}`, () =>
        this.fetchFn(`${this.url}/api/v4${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            'X-Requested-With': 'XMLHttpRequest',
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        }),
      );
    } catch (err) {
      throw new MattermostError(0, undefined, `${method} ${path.split('?')[0]}: Mattermost unreachable (${(err as Error).message})`, {
        cause: err,
      });
    }
    if (allow404 && (res.status === 404 || res.status === 403)) {
      await res.body?.cancel();
      return null;
    }
    return this.answer(method, path.split('?')[0]!, res, schema);
  }

  async getMe(): Promise<MmUserInfo> {
    return (await this.call('GET', '/users/me', mmUser))!;
  }

  async getChannel(channelId: string): Promise<MmChannelInfo | null> {
    return this.call('GET', `/channels/${encodeURIComponent(channelId)}`, channel, undefined, true);
  }

  async isChannelMember(channelId: string, userId: string): Promise<boolean> {
    const member = await this.call(
      'GET',
      `/channels/${encodeURIComponent(channelId)}/members/${encodeURIComponent(userId)}`,
      z.object({ user_id: z.string() }),
      undefined,
      true,
    );
    return member !== null;
  }

  async createPost(post: NewMmPost): Promise<MmPost> {
    return (await this.call('POST', '/posts?set_online=false', mmPostSchema, post))!;
  }

  async getPost(postId: string): Promise<MmPost | null> {
    return this.call('GET', `/posts/${encodeURIComponent(postId)}`, mmPostSchema, undefined, true);
  }

  async getThread(rootPostId: string, query: ThreadQuery): Promise<ThreadPage | null> {
    const params = new URLSearchParams({
      collapsedThreads: 'true',
      collapsedThreadsExtended: query.extended ? 'true' : 'false',
      direction: query.direction,
      perPage: String(query.perPage),
    });
    if (query.fromCreateAt !== undefined) params.set('fromCreateAt', String(query.fromCreateAt));
    if (query.fromPost !== undefined) params.set('fromPost', query.fromPost);
    if (query.fromUpdateAt !== undefined) params.set('fromUpdateAt', String(query.fromUpdateAt));
    if (query.updatesOnly) params.set('updatesOnly', 'true');
    const list = await this.call('GET', `/posts/${encodeURIComponent(rootPostId)}/thread?${params}`, postList, undefined, true);
    if (!list) return null;
    const replies: MmPost[] = [];
    for (const id of list.order) {
      const post = list.posts[id];
      if (post && id !== rootPostId) replies.push(post);
    }
    return { root: list.posts[rootPostId], replies, hasNext: list.has_next ?? false };
  }

  async getChannelPostsSince(channelId: string, since: number): Promise<MmPost[]> {
    const list = await this.call(
      'GET',
      `/channels/${encodeURIComponent(channelId)}/posts?since=${since}&skipFetchThreads=true&collapsedThreads=false`,
      postList,
    );
    return list!.order.map((id) => list!.posts[id]).filter((p): p is MmPost => p !== undefined);
  }

  async getNewestChannelPost(channelId: string): Promise<MmPost | undefined> {
    const list = await this.call(
      'GET',
      `/channels/${encodeURIComponent(channelId)}/posts?page=0&per_page=1&skipFetchThreads=true`,
      postList,
    );
    const id = list!.order[0];
    return id === undefined ? undefined : list!.posts[id];
  }

  async publishTyping(userId: string, channelId: string, parentId: string): Promise<void> {
    await this.call('POST', `/users/${encodeURIComponent(userId)}/typing`, null, { channel_id: channelId, parent_id: parentId });
  }

  async getUsersByIds(userIds: string[]): Promise<MmUserInfo[]> {
    if (userIds.length === 0) return [];
    return (await this.call('POST', '/users/ids', z.array(mmUser), userIds))!;
  }

  // Agents and availability
  async getUserStatuses(userIds: string[]): Promise<Array<{ user_id: string; status: AgentStatus }>> {
    if (userIds.length === 0) return [];
    return (await this.call('POST', '/users/status/ids', mmStatusesSchema, userIds))!;
  }

  async getUsersByUsernames(usernames: string[]): Promise<MmUserInfo[]> {
    if (usernames.length === 0) return [];
    return (await this.call('POST', '/users/usernames', z.array(mmUser), usernames))!;
  }

  async getChannelMemberIds(channelId: string, max: number): Promise<string[]> {
    const members = await this.call(
      'GET',
      `/channels/${encodeURIComponent(channelId)}/members?page=0&per_page=${Math.min(200, max)}`,
      z.array(z.object({ user_id: z.string() })),
    );
    return members!.map((m) => m.user_id).slice(0, max);
  }

  async getUserImage(userId: string): Promise<{ bytes: ArrayBuffer; contentType: string } | null> {
    const path = `/users/${encodeURIComponent(userId)}/image`;
    let res: Response;
    try {
      res = await timedMattermostCall(this.metrics, 'GET', '/api/v4/users/{id}/image', () =>
        this.fetchFn(`${this.url}/api/v4${path}`, {
          headers: { Authorization: `Bearer ${this.token}`, 'X-Requested-With': 'XMLHttpRequest' },
          signal: AbortSignal.timeout(this.timeoutMs),
        }),
      );
    } catch (err) {
      throw new MattermostError(0, undefined, `GET /users/{id}/image: Mattermost unreachable (${(err as Error).message})`, { cause: err });
    }
    if (res.status === 404 || res.status === 403 || res.status === 400) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new MattermostError(res.status, undefined, `GET /users/{id}/image → ${res.status}`);
    }
    return { bytes: await res.arrayBuffer(), contentType: res.headers.get('Content-Type') ?? '' };
  }

  // Files
  async uploadFile(upload: MmUpload): Promise<MmFileInfo> {
    const params = new URLSearchParams({ channel_id: upload.channelId, filename: upload.name });
    const timeout = AbortSignal.timeout(this.timeoutMs * 6);
    let res: Response;
    try {
      res = await timedMattermostCall(this.metrics, 'POST', '/api/v4/files', () =>
        this.fetchFn(`${this.url}/api/v4/files?${params}`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${this.token}`,
            // Not multipart: Mattermost then takes the body as the file (uploadFileSimple).
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(upload.length),
            'X-Requested-With': 'XMLHttpRequest',
          },
          body: upload.body,
          // Node's fetch needs it for a stream body (the DOM's RequestInit does not declare it).
          duplex: 'half',
          signal: upload.signal ? AbortSignal.any([upload.signal, timeout]) : timeout,
        } as RequestInit),
      );
    } catch (err) {
      throw new MattermostError(0, undefined, `POST /files: the upload did not complete (${(err as Error).message})`, { cause: err });
    }
    return (await this.answer('POST', '/files', res, fileUploadResponse))!.file_infos[0]!;
  }

  async getFileInfo(fileId: string): Promise<MmFileInfo | null> {
    return this.call('GET', `/files/${encodeURIComponent(fileId)}/info`, mmFileInfoSchema, undefined, true);
  }

  async getFile(fileId: string, signal?: AbortSignal): Promise<MmFileStream | null> {
    const timeout = AbortSignal.timeout(this.timeoutMs * 6);
    let res: Response;
    try {
      res = await timedMattermostCall(this.metrics, 'GET', '/api/v4/files/{id}', () =>
        this.fetchFn(`${this.url}/api/v4/files/${encodeURIComponent(fileId)}`, {
          // The bytes as stored: fetch would undo a gzip and leave the compressed Content-Length.
          headers: { Authorization: `Bearer ${this.token}`, 'X-Requested-With': 'XMLHttpRequest', 'Accept-Encoding': 'identity' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        }),
      );
    } catch (err) {
      throw new MattermostError(0, undefined, `GET /files/{id}: Mattermost unreachable (${(err as Error).message})`, { cause: err });
    }
    if (res.status === 404 || res.status === 403) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok || !res.body) {
      await this.answer('GET', '/files/{id}', res, null);
      throw new MattermostError(502, undefined, 'GET /files/{id}: Mattermost answered without a body');
    }
    const length = Number(res.headers.get('Content-Length') ?? 'x');
    const encoded = (res.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
    return { body: res.body, length: !encoded && Number.isSafeInteger(length) && length >= 0 ? length : undefined };
  }

  /** Reads a response: a MattermostError unless 2xx, then the body validated by `schema`. */
  private async answer<T>(method: string, path: string, res: Response, schema: z.ZodType<T> | null): Promise<T | null> {
    const text = await res.text();
    if (!res.ok) {
      let parsed: z.infer<typeof mmError> = {};
      try {
        parsed = mmError.parse(JSON.parse(text));
      } catch {
        // not JSON: a proxy's page
      }
      throw new MattermostError(
        res.status,
        parsed.id,
        `${method} ${path} → ${res.status} ${parsed.id ?? ''} ${parsed.message ?? ''}`.trim(),
      );
    }
    if (!schema) return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MattermostError(
        502,
        undefined,
        `${method} ${path}: expected JSON from Mattermost, received ${text.length} bytes of something else`,
      );
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const where = result.error.issues
        .map((i) => i.path.join('.') || '(root)')
        .slice(0, 5)
        .join(', ');
      throw new MattermostError(502, undefined, `${method} ${path}: unexpected response shape from Mattermost (check: ${where})`);
    }
    return result.data;
  }

  async getUserByUsername(username: string): Promise<MmUserInfo | null> {
    return this.call('GET', `/users/username/${encodeURIComponent(username)}`, mmUser, undefined, true);
  }

  async createBot(input: { username: string; display_name: string; description: string }): Promise<string> {
    return (await this.call('POST', '/bots', bot, input))!.user_id;
  }

  async enableBot(botUserId: string): Promise<void> {
    await this.call('POST', `/bots/${encodeURIComponent(botUserId)}/enable`, bot);
  }

  async addTeamMember(teamId: string, userId: string): Promise<void> {
    await this.call('POST', `/teams/${encodeURIComponent(teamId)}/members`, null, { team_id: teamId, user_id: userId });
  }

  async addChannelMember(channelId: string, userId: string): Promise<void> {
    await this.call('POST', `/channels/${encodeURIComponent(channelId)}/members`, null, { user_id: userId });
  }

  async createUserAccessToken(userId: string, description: string): Promise<{ id: string; token: string }> {
    return (await this.call('POST', `/users/${encodeURIComponent(userId)}/tokens`, accessToken, { description }))!;
  }

  async deletePostPermanently(postId: string): Promise<boolean> {
    try {
      await this.call('DELETE', `/posts/${encodeURIComponent(postId)}?permanent=true`, null);
      return true;
    } catch (e) {
      // api4 getSinglePost answers 404 for a post that does not exist (deleted ones included: permanent reads them).
      if (e instanceof MattermostError && e.status === 404) return false;
      throw e;
    }
  }
}

/** A display name as Mattermost clients show it by default: full name, else nickname, else username. */
export function displayName(user: MmUserInfo): string {
  const full = [user.first_name, user.last_name]
    .filter((s) => s && s.trim())
    .join(' ')
    .trim();
  return full || user.nickname?.trim() || user.username;
}
