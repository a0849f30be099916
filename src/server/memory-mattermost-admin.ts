// An in-memory MattermostAdmin for unit tests: same contract as the real one, inspectable state.
import {
  MattermostError,
  type MattermostAdmin,
  type MmChannel,
  type MmChannelDetail,
  type MmChannelPost,
  type MmServerLimits,
  type MmTeam,
  type MmUser,
  type MmUserAccessToken,
  type MmUserActivity,
  type MmUserProfile,
  type NewMmChannel,
  type NewMmUser,
} from './mattermost-admin.js';

/** A fake 26-character Mattermost id. */
function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...crypto.getRandomValues(new Uint8Array(26))].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A post recorded by {@link MemoryMattermostAdmin}. */
export interface MemoryPost {
  channelId: string;
  message: string;
  id?: string;
  userId?: string;
  rootId?: string;
  createAt?: number;
  editAt?: number;
  /** Non-zero once soft-deleted. */
  deleteAt?: number;
  fileIds?: string[];
}

/** A file recorded by {@link MemoryMattermostAdmin.post}. */
export interface MemoryFile {
  postId: string;
  userId: string;
  name: string;
  size: number;
  mime_type: string;
}

/**
 * In-memory {@link MattermostAdmin}. Seed it with a team, an admin and agents; it records users,
 * channels, memberships, posts and tokens so tests can assert on them. Set `failWith` to make
 * every call fail (e.g. to test error bodies), and `calls` counts calls per method.
 *
 * @example
 * ```ts
 * const mm = new MemoryMattermostAdmin({ teamId: 'team…', agentIds: ['agent…'] });
 * const companion = createCompanion(config, { admin: mm, logger: silentLogger });
 * ```
 */
export class MemoryMattermostAdmin implements MattermostAdmin {
  /** Users by id. */
  readonly users = new Map<
    string,
    MmUser & { password: string; first_name?: string; nickname?: string; create_at?: number; update_at?: number; last_activity_at?: number }
  >();
  /** Teams by id, with member ids. */
  readonly teams = new Map<string, MmTeam & { members: Set<string> }>();
  /** Channels by id, with member ids. */
  readonly channels = new Map<string, MmChannel & { members: Set<string>; create_at?: number; last_post_at?: number }>();
  /** Every post, in order. */
  readonly posts: MemoryPost[] = [];
  /** Access tokens by id (with their secret). */
  readonly tokens = new Map<string, MmUserAccessToken & { token: string }>();
  /** Number of calls per method name. */
  readonly calls = new Map<string, number>();
  /** Uploaded files by id. */
  readonly files = new Map<string, MemoryFile>();
  /** EnableAPIPostDeletion / EnableAPIChannelDeletion / EnableAPIUserDeletion (all on, as in the harness). */
  readonly permanentDeletion = { post: true, channel: true, user: true };
  /** When set, every call throws it. */
  failWith: Error | undefined;
  /** Server configuration returned by getConfig. */
  config: Record<string, unknown> = {};
  /** Value of maxUsersHardLimit (250 like unlicensed Team Edition). */
  hardLimit = 250;
  /** The admin user. */
  readonly admin: MmUser;
  /** The admin token value. */
  readonly adminToken = 'admintoken0000000000000000';

  constructor(seed: { teamId: string; teamName?: string; agentIds?: string[]; inboxChannelId?: string }) {
    this.admin = { id: newId(), username: 'porthole-admin', delete_at: 0, roles: 'system_user system_admin' };
    this.users.set(this.admin.id, { ...this.admin, password: '' });
    this.teams.set(seed.teamId, {
      id: seed.teamId,
      name: seed.teamName ?? 'support',
      display_name: 'Support',
      members: new Set([this.admin.id]),
    });
    for (const id of seed.agentIds ?? []) {
      this.users.set(id, { id, username: `agent-${id.slice(0, 4)}`, delete_at: 0, roles: 'system_user', password: '' });
      this.teams.get(seed.teamId)!.members.add(id);
    }
    if (seed.inboxChannelId) {
      this.channels.set(seed.inboxChannelId, {
        id: seed.inboxChannelId,
        name: 'inbox',
        team_id: seed.teamId,
        type: 'P',
        delete_at: 0,
        members: new Set([this.admin.id]),
      });
    }
  }

  private count(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    if (this.failWith) throw this.failWith;
  }

  private publicUser(user: MmUser): MmUser {
    return { id: user.id, username: user.username, delete_at: user.delete_at, roles: user.roles };
  }

  /** @inheritdoc */
  async ping(): Promise<void> {
    this.count('ping');
  }

  /** @inheritdoc */
  async getAdminUser(): Promise<MmUser> {
    this.count('getAdminUser');
    return this.publicUser(this.admin);
  }

  /** @inheritdoc */
  async getUserForToken(token: string): Promise<MmUser | null> {
    this.count('getUserForToken');
    if (token === this.adminToken) return this.publicUser(this.admin);
    const issued = [...this.tokens.values()].find((candidate) => candidate.token === token && candidate.is_active);
    const user = issued && this.users.get(issued.user_id);
    return user && !user.delete_at ? this.publicUser(user) : null;
  }

  /** @inheritdoc */
  async getTeam(teamId: string): Promise<MmTeam | null> {
    this.count('getTeam');
    const team = this.teams.get(teamId);
    return team ? { id: team.id, name: team.name, display_name: team.display_name } : null;
  }

  /** @inheritdoc */
  async getServerLimits(): Promise<MmServerLimits> {
    this.count('getServerLimits');
    const active = [...this.users.values()].filter((user) => !user.delete_at).length;
    return { activeUserCount: active, maxUsersLimit: 200, maxUsersHardLimit: this.hardLimit };
  }

  /** @inheritdoc */
  async getConfig(): Promise<Record<string, unknown>> {
    this.count('getConfig');
    return this.config;
  }

  /** @inheritdoc */
  async getUserByUsername(username: string): Promise<MmUser | null> {
    this.count('getUserByUsername');
    const user = [...this.users.values()].find((candidate) => candidate.username === username);
    return user ? this.publicUser(user) : null;
  }

  /** @inheritdoc */
  async createUser(input: NewMmUser): Promise<MmUser> {
    this.count('createUser');
    if ([...this.users.values()].some((existing) => existing.username === input.username)) {
      throw new MattermostError(400, 'app.user.save.username_exists.app_error', 'An account with that username already exists.');
    }
    const user = {
      id: newId(),
      username: input.username,
      delete_at: 0,
      roles: 'system_user',
      password: input.password,
      first_name: input.first_name,
      nickname: input.nickname,
      create_at: Date.now(),
    };
    this.users.set(user.id, user);
    return this.publicUser(user);
  }

  /** @inheritdoc */
  async setUserActive(userId: string, active: boolean): Promise<void> {
    this.count('setUserActive');
    const user = this.users.get(userId);
    if (!user) throw new MattermostError(404, 'app.user.missing_account.const', 'Unable to find the user.');
    // As Mattermost does (app/user.go UpdateActive): the change also moves update_at.
    user.update_at = Date.now();
    user.delete_at = active ? 0 : user.update_at;
  }

  /** @inheritdoc */
  async listTeamUsers(teamId: string, page: number, perPage: number, byActivity = false): Promise<MmUserActivity[]> {
    this.count('listTeamUsers');
    const members = this.teams.get(teamId)?.members ?? new Set<string>();
    let list = [...this.users.values()].filter((user) => members.has(user.id) && !user.delete_at);
    if (byActivity)
      list = list.filter((user) => user.last_activity_at !== undefined).sort((a, b) => b.last_activity_at! - a.last_activity_at!);
    return list.slice(page * perPage, (page + 1) * perPage).map((user) => ({
      ...this.publicUser(user),
      create_at: user.create_at ?? 0,
      update_at: user.update_at ?? user.create_at ?? 0,
      ...(byActivity ? { last_activity_at: user.last_activity_at } : {}),
    }));
  }

  /** @inheritdoc */
  async addTeamMember(teamId: string, userId: string): Promise<void> {
    this.count('addTeamMember');
    const team = this.teams.get(teamId);
    if (!team) throw new MattermostError(404, 'app.team.get.find.app_error', 'team not found');
    team.members.add(userId);
  }

  /** @inheritdoc */
  async getChannelByName(teamId: string, name: string): Promise<MmChannel | null> {
    this.count('getChannelByName');
    const channel = [...this.channels.values()].find((candidate) => candidate.team_id === teamId && candidate.name === name);
    return channel ? this.publicChannel(channel) : null;
  }

  private publicChannel(channel: MmChannel): MmChannel {
    return { id: channel.id, name: channel.name, team_id: channel.team_id, type: channel.type, delete_at: channel.delete_at };
  }

  /** @inheritdoc */
  async createChannel(input: NewMmChannel): Promise<MmChannel> {
    this.count('createChannel');
    if ([...this.channels.values()].some((existing) => existing.team_id === input.team_id && existing.name === input.name)) {
      throw new MattermostError(
        400,
        'store.sql_channel.save_channel.exists.app_error',
        'A channel with that name already exists on the same team.',
      );
    }
    const channel = {
      id: newId(),
      name: input.name,
      team_id: input.team_id,
      type: input.type,
      delete_at: 0,
      create_at: Date.now(),
      members: new Set([this.admin.id]),
    };
    this.channels.set(channel.id, channel);
    return this.publicChannel(channel);
  }

  /** @inheritdoc */
  async restoreChannel(channelId: string): Promise<void> {
    this.count('restoreChannel');
    const channel = this.channels.get(channelId);
    if (channel) channel.delete_at = 0;
  }

  /** @inheritdoc */
  async addChannelMembers(channelId: string, userIds: string[]): Promise<void> {
    this.count('addChannelMembers');
    const channel = this.channels.get(channelId);
    if (!channel) throw new MattermostError(404, 'app.channel.get.existing.app_error', 'channel not found');
    for (const id of userIds) channel.members.add(id);
  }

  /** @inheritdoc */
  async createPost(channelId: string, message: string): Promise<void> {
    this.count('createPost');
    this.posts.push({ channelId, message, id: newId(), userId: this.admin.id, rootId: '', createAt: Date.now() });
  }

  /** A post by any user (an agent's reply, a visitor's message), optionally with files; returns its id. Test set-up, not counted. */
  post(channelId: string, userId: string, message: string, files: { name: string; size: number; mime_type?: string }[] = []): string {
    const id = newId();
    const fileIds = files.map((f) => {
      const fileId = newId();
      this.files.set(fileId, { postId: id, userId, name: f.name, size: f.size, mime_type: f.mime_type ?? 'application/octet-stream' });
      return fileId;
    });
    const last = this.posts.reduce((t, p) => Math.max(t, p.createAt ?? 0), 0);
    this.posts.push({ channelId, message, id, userId, rootId: '', createAt: Math.max(Date.now(), last + 1), fileIds });
    const channel = this.channels.get(channelId);
    if (channel) channel.last_post_at = this.posts.at(-1)!.createAt;
    return id;
  }

  /** @inheritdoc */
  async listInactiveTeamUsers(teamId: string, page: number, perPage: number): Promise<MmUserActivity[]> {
    this.count('listInactiveTeamUsers');
    const members = this.teams.get(teamId)?.members ?? new Set<string>();
    return [...this.users.values()]
      .filter((user) => members.has(user.id) && user.delete_at)
      .slice(page * perPage, (page + 1) * perPage)
      .map((user) => ({ ...this.publicUser(user), create_at: user.create_at ?? 0, update_at: user.update_at ?? user.create_at ?? 0 }));
  }

  /** @inheritdoc */
  async getChannel(channelId: string): Promise<MmChannelDetail | null> {
    this.count('getChannel');
    const channel = this.channels.get(channelId);
    return channel ? { ...this.publicChannel(channel), create_at: channel.create_at ?? 0, last_post_at: channel.last_post_at ?? 0 } : null;
  }

  /** @inheritdoc */
  async getChannelPosts(channelId: string, page: number, perPage: number, includeDeleted = false): Promise<MmChannelPost[]> {
    this.count('getChannelPosts');
    return this.posts
      .filter((p) => p.channelId === channelId && p.id && (includeDeleted || !p.deleteAt))
      .sort((a, b) => (b.createAt ?? 0) - (a.createAt ?? 0))
      .slice(page * perPage, (page + 1) * perPage)
      .map((p) => ({
        id: p.id!,
        user_id: p.userId ?? this.admin.id,
        channel_id: p.channelId,
        root_id: p.rootId ?? '',
        message: p.deleteAt ? '' : p.message,
        type: '',
        create_at: p.createAt ?? 0,
        edit_at: p.editAt ?? 0,
        delete_at: p.deleteAt ?? 0,
        props: {},
        file_ids: p.fileIds ?? [],
        files: (p.fileIds ?? []).flatMap((id) => {
          const f = this.files.get(id);
          return f ? [{ id, name: f.name, size: f.size, mime_type: f.mime_type }] : [];
        }),
      }));
  }

  /** @inheritdoc */
  async getUsersByIds(userIds: string[]): Promise<MmUserProfile[]> {
    this.count('getUsersByIds');
    return userIds.flatMap((id) => {
      const u = this.users.get(id);
      return u ? [{ ...this.publicUser(u), first_name: u.first_name ?? '', last_name: '', nickname: u.nickname ?? '' }] : [];
    });
  }

  /** @inheritdoc */
  async deletePostPermanently(postId: string): Promise<boolean> {
    this.count('deletePostPermanently');
    if (!this.permanentDeletion.post) throw new MattermostError(501, 'api.post.delete_post.not_enabled.app_error', 'not enabled');
    if (!this.posts.some((p) => p.id === postId)) return false;
    // As app/post.go PermanentDeletePost: this post's files, then the post and the posts of its thread.
    for (const [id, f] of this.files) if (f.postId === postId) this.files.delete(id);
    this.removePosts((p) => p.id === postId || p.rootId === postId);
    return true;
  }

  /** @inheritdoc */
  async deleteChannelPermanently(channelId: string): Promise<boolean> {
    this.count('deleteChannelPermanently');
    if (!this.permanentDeletion.channel)
      throw new MattermostError(401, 'api.user.delete_channel.not_enabled.for_admin.app_error', 'not enabled');
    if (!this.channels.delete(channelId)) return false;
    // As app/channel.go PermanentDeleteChannel: the posts go, their files stay.
    this.removePosts((p) => p.channelId === channelId);
    return true;
  }

  /** @inheritdoc */
  async deleteUserPermanently(userId: string): Promise<boolean> {
    this.count('deleteUserPermanently');
    if (!this.permanentDeletion.user) throw new MattermostError(401, 'api.user.delete_user.not_enabled.for_admin.app_error', 'not enabled');
    if (!this.users.delete(userId)) return false;
    // As app/user.go PermanentDeleteUser: tokens, memberships, posts and files of the user.
    for (const [id, t] of this.tokens) if (t.user_id === userId) this.tokens.delete(id);
    for (const team of this.teams.values()) team.members.delete(userId);
    for (const channel of this.channels.values()) channel.members.delete(userId);
    this.removePosts((p) => p.userId === userId);
    for (const [id, f] of this.files) if (f.userId === userId) this.files.delete(id);
    return true;
  }

  private removePosts(doomed: (p: MemoryPost) => boolean): void {
    for (let i = this.posts.length - 1; i >= 0; i--) if (doomed(this.posts[i]!)) this.posts.splice(i, 1);
  }

  /** @inheritdoc */
  async createUserAccessToken(userId: string, description: string): Promise<MmUserAccessToken & { token: string }> {
    this.count('createUserAccessToken');
    const issued = { id: newId(), user_id: userId, description, is_active: true, token: newId() };
    this.tokens.set(issued.id, issued);
    return { ...issued };
  }

  /** @inheritdoc */
  async getUserAccessTokens(userId: string, page: number, perPage: number): Promise<MmUserAccessToken[]> {
    this.count('getUserAccessTokens');
    return [...this.tokens.values()]
      .filter((issued) => issued.user_id === userId)
      .slice(page * perPage, (page + 1) * perPage)
      .map(({ token: _secret, ...rest }) => rest);
  }

  /** @inheritdoc */
  async getAllUserAccessTokens(page: number, perPage: number): Promise<MmUserAccessToken[]> {
    this.count('getAllUserAccessTokens');
    return [...this.tokens.values()].slice(page * perPage, (page + 1) * perPage).map(({ token: _secret, ...rest }) => rest);
  }

  /** @inheritdoc */
  async revokeUserAccessToken(tokenId: string): Promise<void> {
    this.count('revokeUserAccessToken');
    if (!this.tokens.delete(tokenId)) throw new MattermostError(404, 'app.user_access_token.get_by_user.app_error', 'token not found');
  }
}
