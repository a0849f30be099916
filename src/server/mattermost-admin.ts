// The companion's view of Mattermost: the few admin operations it needs, over plain fetch and
// REST v4, with every response validated (data from Mattermost is untrusted). Only src/transport
// may use @mattermost/client; the server never does.
import { z } from 'zod';
import { timedMattermostCall, type CompanionMetrics } from './metrics.js';

/** A Mattermost user, as far as the companion cares. */
export interface MmUser {
  id: string;
  username: string;
  /** Non-zero when the user is deactivated. */
  delete_at: number;
  roles: string;
}

/** A team member as listed for recycling: when it was created and last active. */
export interface MmUserActivity extends MmUser {
  create_at: number;
  /** Last change of the account (a reactivation moves it). */
  update_at: number;
  /** Last activity (Mattermost's status table); absent for users who never connected. */
  last_activity_at?: number;
}

/** A Mattermost team. */
export interface MmTeam {
  id: string;
  name: string;
  display_name: string;
}

/** A Mattermost channel. */
export interface MmChannel {
  id: string;
  name: string;
  team_id: string;
  /** `P` for private. */
  type: string;
  /** Non-zero when archived. */
  delete_at: number;
}

/** A user access token (the secret `token` is present only right after creation). */
export interface MmUserAccessToken {
  id: string;
  user_id: string;
  description: string;
  is_active: boolean;
  token?: string;
}

/** A channel with its times, as erasure and retention read it. */
export interface MmChannelDetail extends MmChannel {
  create_at: number;
  /** When the last post was made in it (0 for none). */
  last_post_at: number;
}

/** A user's profile names (public/model/user.go), for transcripts. */
export interface MmUserProfile extends MmUser {
  first_name: string;
  last_name: string;
  nickname: string;
}

/** A post of a channel as export and erasure read it (public/model/post.go), with its files' metadata. */
export interface MmChannelPost {
  id: string;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  /** Empty for a user's post; `system_…` for Mattermost's own. */
  type: string;
  create_at: number;
  edit_at: number;
  delete_at: number;
  props: Record<string, unknown>;
  file_ids: string[];
  /** `metadata.files`: the files' metadata (Mattermost fills it in for clients). */
  files: { id: string; name: string; size: number; mime_type: string }[];
}

/** User headroom: Team Edition without a licence refuses users past `maxUsersHardLimit`. */
export interface MmServerLimits {
  activeUserCount: number;
  /** Warning threshold (0 when unlimited). */
  maxUsersLimit: number;
  /** Hard limit (0 when unlimited). */
  maxUsersHardLimit: number;
}

/** Input of {@link MattermostAdmin.createUser}. */
export interface NewMmUser {
  username: string;
  email: string;
  password: string;
  first_name?: string;
  nickname?: string;
}

/** Input of {@link MattermostAdmin.createChannel}. */
export interface NewMmChannel {
  team_id: string;
  name: string;
  display_name: string;
  type: 'P' | 'O';
  purpose?: string;
  header?: string;
}

/**
 * A failed Mattermost call. `status` is Mattermost's HTTP status (0 for network failures),
 * `mmId` its error id (e.g. `app.user.save.username_exists.app_error`). The message may contain
 * Mattermost's own text: it is logged, and only sent to clients in development.
 */
export class MattermostError extends Error {
  /** HTTP status from Mattermost; 0 when it could not be reached. */
  readonly status: number;
  /** Mattermost's error id, when it sent one. */
  readonly mmId: string | undefined;

  constructor(status: number, mmId: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MattermostError';
    this.status = status;
    this.mmId = mmId;
  }
}

/**
 * Two first requests of the same visitor racing (two tabs, two instances) both add the same
 * membership; Mattermost answers the loser with a "membership already exists" conflict
 * (`app.team.join_user_to_team.save_member.conflict.app_error`,
 * `store.sql_channel.save_member.exists.app_error`). The membership is there: that is success.
 */
function ignoreMembershipRace(err: unknown): void {
  if (err instanceof MattermostError && /save_member\.(conflict|exists)/.test(err.mmId ?? '')) return;
  throw err;
}

/**
 * The Mattermost operations the companion needs. {@link HttpMattermostAdmin} talks to a real
 * server; {@link MemoryMattermostAdmin} (memory-mattermost-admin.ts) is the in-memory fake for
 * unit tests. Lookups return `null` when the object does not exist; creations throw
 * {@link MattermostError} (status 400/409) when it already exists, so callers can look up again.
 */
export interface MattermostAdmin {
  /** Resolves when the server answers its ping. */
  ping(): Promise<void>;
  /** The user owning the admin token. */
  getAdminUser(): Promise<MmUser>;
  /** The user owning `token`, or `null` when Mattermost refuses that token. */
  getUserForToken(token: string): Promise<MmUser | null>;
  /** The team, or `null`. */
  getTeam(teamId: string): Promise<MmTeam | null>;
  /** Active users and the server's user limits. */
  getServerLimits(): Promise<MmServerLimits>;
  /** The whole server configuration (needs manage_system), for `doctor`. */
  getConfig(): Promise<Record<string, unknown>>;
  /** A user by username (deactivated users included), or `null`. */
  getUserByUsername(username: string): Promise<MmUser | null>;
  /** Creates a user. */
  createUser(user: NewMmUser): Promise<MmUser>;
  /** Activates or deactivates a user. */
  setUserActive(userId: string, active: boolean): Promise<void>;
  /**
   * One page of a team's active users. With `byActivity`, ordered by last activity (newest
   * first) and carrying `last_activity_at` — Mattermost then lists only users who ever connected.
   */
  listTeamUsers(teamId: string, page: number, perPage: number, byActivity?: boolean): Promise<MmUserActivity[]>;
  /** Adds a user to a team (no-op when already a member). */
  addTeamMember(teamId: string, userId: string): Promise<void>;
  /** A channel of a team by name (archived ones included), or `null`. */
  getChannelByName(teamId: string, name: string): Promise<MmChannel | null>;
  /** Creates a channel; the token's user becomes a member. */
  createChannel(channel: NewMmChannel): Promise<MmChannel>;
  /** Unarchives a channel. */
  restoreChannel(channelId: string): Promise<void>;
  /** Adds users to a channel (no-op for existing members). */
  addChannelMembers(channelId: string, userIds: string[]): Promise<void>;
  /** Posts a message as the token's user. */
  createPost(channelId: string, message: string): Promise<void>;
  /** Creates a user access token for a user; the result carries the secret `token`. */
  createUserAccessToken(userId: string, description: string): Promise<MmUserAccessToken & { token: string }>;
  /** One page of a user's access tokens (without secrets). */
  getUserAccessTokens(userId: string, page: number, perPage: number): Promise<MmUserAccessToken[]>;
  /** One page of all access tokens on the server (without secrets). */
  getAllUserAccessTokens(page: number, perPage: number): Promise<MmUserAccessToken[]>;
  /** Revokes (deletes) an access token and the session that uses it. */
  revokeUserAccessToken(tokenId: string): Promise<void>;
  /** One page of a team's deactivated users (`inactive=true`), for retention. */
  listInactiveTeamUsers(teamId: string, page: number, perPage: number): Promise<MmUserActivity[]>;
  /** A channel by id with its times (archived ones included), or `null`. */
  getChannel(channelId: string): Promise<MmChannelDetail | null>;
  /**
   * One page of a channel's posts, newest first (`GET /channels/{id}/posts`, threads flattened);
   * `includeDeleted` lists soft-deleted posts too (system admins only, api4/post.go getPostsForChannel).
   */
  getChannelPosts(channelId: string, page: number, perPage: number, includeDeleted?: boolean): Promise<MmChannelPost[]>;
  /** Profiles by id (unknown ids are left out). */
  getUsersByIds(userIds: string[]): Promise<MmUserProfile[]>;
  /**
   * Deletes a post for good with its files (`DELETE /posts/{id}?permanent=true`: needs
   * EnableAPIPostDeletion, else 501, and manage_system, else 403). False when there was none (404).
   */
  deletePostPermanently(postId: string): Promise<boolean>;
  /**
   * Deletes a channel for good with its posts and members, not their files
   * (`DELETE /channels/{id}?permanent=true`: needs EnableAPIChannelDeletion, else 401). False when there was none.
   */
  deleteChannelPermanently(channelId: string): Promise<boolean>;
  /**
   * Deletes a user for good with their posts, files, sessions, tokens, memberships and preferences
   * (`DELETE /users/{id}?permanent=true`: needs EnableAPIUserDeletion, else 401). False when there was none.
   */
  deleteUserPermanently(userId: string): Promise<boolean>;
}

const user = z.object({ id: z.string(), username: z.string(), delete_at: z.number(), roles: z.string().default('') });
const userActivity = user.extend({
  create_at: z.number().default(0),
  update_at: z.number().default(0),
  last_activity_at: z.number().optional(),
});
const team = z.object({ id: z.string(), name: z.string(), display_name: z.string() });
const channel = z.object({ id: z.string(), name: z.string(), team_id: z.string(), type: z.string(), delete_at: z.number() });
const accessToken = z.object({
  id: z.string(),
  user_id: z.string(),
  description: z.string().default(''),
  is_active: z.boolean(),
  token: z.string().optional(),
});
const channelDetail = channel.extend({ create_at: z.number().default(0), last_post_at: z.number().default(0) });
const profile = user.extend({
  first_name: z.string().default(''),
  last_name: z.string().default(''),
  nickname: z.string().default(''),
});
const fileInfo = z.object({ id: z.string(), name: z.string(), size: z.number(), mime_type: z.string().default('') });
const channelPost = z.object({
  id: z.string(),
  user_id: z.string(),
  channel_id: z.string(),
  root_id: z.string().default(''),
  message: z.string().default(''),
  type: z.string().default(''),
  create_at: z.number(),
  edit_at: z.number().default(0),
  delete_at: z.number().default(0),
  props: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  file_ids: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  metadata: z.object({ files: z.array(fileInfo).nullish() }).nullish(),
});
const postList = z.object({ order: z.array(z.string()), posts: z.record(z.string(), channelPost) });
const limits = z.object({
  activeUserCount: z.number(),
  maxUsersLimit: z.number().default(0),
  maxUsersHardLimit: z.number().default(0),
});
const ping = z.object({ status: z.string() });
const mmError = z.object({ id: z.string().optional(), message: z.string().optional() });

/** Options of {@link HttpMattermostAdmin}. */
export interface HttpMattermostAdminOptions {
  /** Base URL the companion reaches Mattermost at. */
  url: string;
  /** Admin (system admin, or a bot with enough permissions) access token. */
  token: string;
  /** Per-call timeout in ms. Default: 10 000. */
  timeoutMs?: number;
  /** fetch implementation (tests, proxies). Default: global fetch. */
  fetch?: typeof fetch;
  /** Records each call's duration (`porthole_mattermost_request_duration_seconds`). Default: none. */
  metrics?: CompanionMetrics;
}

/**
 * {@link MattermostAdmin} over Mattermost REST API v4 with plain `fetch`.
 *
 * @example
 * ```ts
 * const admin = new HttpMattermostAdmin({ url: 'http://mattermost:8065', token: process.env.PORTHOLE_MM_TOKEN! });
 * await admin.ping();
 * ```
 */
export class HttpMattermostAdmin implements MattermostAdmin {
  private readonly apiBase: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly metrics: CompanionMetrics | undefined;

  constructor(options: HttpMattermostAdminOptions) {
    this.apiBase = `${options.url.replace(/\/+$/, '')}/api/v4`;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.metrics = options.metrics;
  }

  private async call(method: string, path: string, body?: unknown, token = this.token): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await timedMattermostCall(this.metrics, method, `/api/v4${path}`, () =>
        this.fetchImpl(`${this.apiBase}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            'X-Requested-With': 'XMLHttpRequest',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        }),
      );
    } catch (err) {
      throw new MattermostError(0, undefined, `Mattermost unreachable: ${method} ${path.split('?')[0]}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const text = await response.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: response.status, json };
  }

  /** Calls and expects 2xx; anything else becomes a MattermostError. */
  private async ok<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call(method, path, body);
    if (answer.status < 200 || answer.status >= 300) throw this.failure(method, path, answer);
    return this.parse(schema, method, path, answer.json);
  }

  /** Like ok(), but 404 (and 403 for lookups of objects the admin cannot see) → null. */
  private async maybe<T>(schema: z.ZodType<T>, method: string, path: string): Promise<T | null> {
    const answer = await this.call(method, path);
    if (answer.status === 404) return null;
    if (answer.status < 200 || answer.status >= 300) throw this.failure(method, path, answer);
    return this.parse(schema, method, path, answer.json);
  }

  private parse<T>(schema: z.ZodType<T>, method: string, path: string, json: unknown): T {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new MattermostError(
        502,
        undefined,
        `Unexpected response from Mattermost for ${method} ${path.split('?')[0]}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  }

  private failure(method: string, path: string, answer: { status: number; json: unknown }): MattermostError {
    const body = mmError.safeParse(answer.json);
    const errorId = body.success ? body.data.id : undefined;
    const message = body.success ? body.data.message : undefined;
    return new MattermostError(
      answer.status,
      errorId,
      `Mattermost ${method} ${path.split('?')[0]} → ${answer.status}${errorId ? ` ${errorId}` : ''}${message ? `: ${message}` : ''}`,
    );
  }

  /** @inheritdoc */
  async ping(): Promise<void> {
    const pong = await this.ok(ping, 'GET', '/system/ping');
    if (pong.status !== 'OK') throw new MattermostError(503, undefined, `Mattermost ping status ${pong.status}`);
  }

  /** @inheritdoc */
  getAdminUser(): Promise<MmUser> {
    return this.ok(user, 'GET', '/users/me');
  }

  /** @inheritdoc */
  async getUserForToken(token: string): Promise<MmUser | null> {
    const answer = await this.call('GET', '/users/me', undefined, token);
    if (answer.status === 401) return null;
    if (answer.status !== 200) throw this.failure('GET', '/users/me', answer);
    return this.parse(user, 'GET', '/users/me', answer.json);
  }

  /** @inheritdoc */
  async getTeam(teamId: string): Promise<MmTeam | null> {
    const answer = await this.call('GET', `/teams/${encodeURIComponent(teamId)}`);
    if (answer.status === 404 || answer.status === 403) return null;
    if (answer.status !== 200) throw this.failure('GET', '/teams/{id}', answer);
    return this.parse(team, 'GET', '/teams/{id}', answer.json);
  }

  /** @inheritdoc */
  getServerLimits(): Promise<MmServerLimits> {
    return this.ok(limits, 'GET', '/limits/server');
  }

  /** @inheritdoc */
  getConfig(): Promise<Record<string, unknown>> {
    return this.ok(z.record(z.string(), z.unknown()), 'GET', '/config');
  }

  /** @inheritdoc */
  getUserByUsername(username: string): Promise<MmUser | null> {
    return this.maybe(user, 'GET', `/users/username/${encodeURIComponent(username)}`);
  }

  /** @inheritdoc */
  createUser(input: NewMmUser): Promise<MmUser> {
    return this.ok(user, 'POST', '/users', { ...input, email_verified: true });
  }

  /** @inheritdoc */
  async setUserActive(userId: string, active: boolean): Promise<void> {
    await this.ok(z.unknown(), 'PUT', `/users/${encodeURIComponent(userId)}/active`, { active });
  }

  /** @inheritdoc */
  listTeamUsers(teamId: string, page: number, perPage: number, byActivity = false): Promise<MmUserActivity[]> {
    const query = new URLSearchParams({ in_team: teamId, page: String(page), per_page: String(perPage), active: 'true' });
    if (byActivity) query.set('sort', 'last_activity_at');
    return this.ok(z.array(userActivity), 'GET', `/users?${query}`);
  }

  /** @inheritdoc */
  async addTeamMember(teamId: string, userId: string): Promise<void> {
    await this.ok(z.unknown(), 'POST', `/teams/${encodeURIComponent(teamId)}/members`, { team_id: teamId, user_id: userId }).catch(
      ignoreMembershipRace,
    );
  }

  /** @inheritdoc */
  getChannelByName(teamId: string, name: string): Promise<MmChannel | null> {
    return this.maybe(
      channel,
      'GET',
      `/teams/${encodeURIComponent(teamId)}/channels/name/${encodeURIComponent(name)}?include_deleted=true`,
    );
  }

  /** @inheritdoc */
  createChannel(input: NewMmChannel): Promise<MmChannel> {
    return this.ok(channel, 'POST', '/channels', input);
  }

  /** @inheritdoc */
  async restoreChannel(channelId: string): Promise<void> {
    await this.ok(z.unknown(), 'POST', `/channels/${encodeURIComponent(channelId)}/restore`);
  }

  /** @inheritdoc */
  async addChannelMembers(channelId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const add = () =>
      this.ok(z.unknown(), 'POST', `/channels/${encodeURIComponent(channelId)}/members`, { user_ids: userIds }).catch(ignoreMembershipRace);
    await add().catch(async (err: unknown) => {
      // Mattermost checks membership, then inserts: a racing request that inserted first makes
      // the insert fail with a plain 500 (`api.channel.add_user.to.channel.failed.app_error`,
      // app/channel.go AddUserToChannel). Asked again, the members are there and it answers OK.
      if (!(err instanceof MattermostError && err.mmId === 'api.channel.add_user.to.channel.failed.app_error')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      await add();
    });
  }

  /** @inheritdoc */
  async createPost(channelId: string, message: string): Promise<void> {
    await this.ok(z.unknown(), 'POST', '/posts', { channel_id: channelId, message });
  }

  /** @inheritdoc */
  async createUserAccessToken(userId: string, description: string): Promise<MmUserAccessToken & { token: string }> {
    return this.ok(accessToken.extend({ token: z.string().min(1) }), 'POST', `/users/${encodeURIComponent(userId)}/tokens`, {
      description,
    });
  }

  /** @inheritdoc */
  getUserAccessTokens(userId: string, page: number, perPage: number): Promise<MmUserAccessToken[]> {
    return this.ok(z.array(accessToken), 'GET', `/users/${encodeURIComponent(userId)}/tokens?page=${page}&per_page=${perPage}`);
  }

  /** @inheritdoc */
  getAllUserAccessTokens(page: number, perPage: number): Promise<MmUserAccessToken[]> {
    return this.ok(z.array(accessToken), 'GET', `/users/tokens?page=${page}&per_page=${perPage}`);
  }

  /** @inheritdoc */
  async revokeUserAccessToken(tokenId: string): Promise<void> {
    await this.ok(z.unknown(), 'POST', '/users/tokens/revoke', { token_id: tokenId });
  }

  /** @inheritdoc */
  listInactiveTeamUsers(teamId: string, page: number, perPage: number): Promise<MmUserActivity[]> {
    const query = new URLSearchParams({ in_team: teamId, page: String(page), per_page: String(perPage), inactive: 'true' });
    return this.ok(z.array(userActivity), 'GET', `/users?${query}`);
  }

  /** @inheritdoc */
  getChannel(channelId: string): Promise<MmChannelDetail | null> {
    return this.maybe(channelDetail, 'GET', `/channels/${encodeURIComponent(channelId)}`);
  }

  /** @inheritdoc */
  async getChannelPosts(channelId: string, page: number, perPage: number, includeDeleted = false): Promise<MmChannelPost[]> {
    const query = new URLSearchParams({ page: String(page), per_page: String(perPage), skipFetchThreads: 'true' });
    if (includeDeleted) query.set('include_deleted', 'true');
    const list = await this.ok(postList, 'GET', `/channels/${encodeURIComponent(channelId)}/posts?${query}`);
    return list.order.flatMap((id) => {
      const post = list.posts[id];
      if (!post) return [];
      const { metadata, ...rest } = post;
      return [{ ...rest, files: metadata?.files ?? [] }];
    });
  }

  /** @inheritdoc */
  async getUsersByIds(userIds: string[]): Promise<MmUserProfile[]> {
    if (userIds.length === 0) return [];
    return this.ok(z.array(profile), 'POST', '/users/ids', userIds);
  }

  /** The permanent deletion of one object; false when Mattermost does not know it (404). */
  private async deleteForGood(path: string): Promise<boolean> {
    const answer = await this.call('DELETE', `${path}?permanent=true`);
    if (answer.status === 404) return false;
    if (answer.status < 200 || answer.status >= 300) throw this.failure('DELETE', path, answer);
    return true;
  }

  /** @inheritdoc */
  deletePostPermanently(postId: string): Promise<boolean> {
    return this.deleteForGood(`/posts/${encodeURIComponent(postId)}`);
  }

  /** @inheritdoc */
  deleteChannelPermanently(channelId: string): Promise<boolean> {
    return this.deleteForGood(`/channels/${encodeURIComponent(channelId)}`);
  }

  /** @inheritdoc */
  deleteUserPermanently(userId: string): Promise<boolean> {
    return this.deleteForGood(`/users/${encodeURIComponent(userId)}`);
  }
}
