// Export and erasure in direct mode. A visitor is a Mattermost user `visitor-…` with a private
// channel of the same name; the inbox channel holds the notice that announced them. Export reads
// the channel; erasure deletes, with the admin token: the posts that carry files one by one
// (app/channel.go PermanentDeleteChannel removes posts, not their files), the inbox notice, the
// channel, then the user (app/user.go PermanentDeleteUser: posts, files, sessions, tokens,
// memberships, preferences) — the user last, so a retry still finds what is left by name.
import { Hono, type Context } from 'hono';
import { requestIdOf, type AuditLog } from './audit-log.js';
import type { CredentialIssuer } from './credentials.js';
import { HttpError } from './errors.js';
import type { Logger } from './logger.js';
import type { MattermostAdmin, MmChannelDetail, MmChannelPost, MmUser, MmUserProfile } from './mattermost-admin.js';
import {
  auditedErasure,
  auditExport,
  conversationNotFound,
  deletionRefusal,
  erasureIncomplete,
  defaultSleep,
  isoTime,
  MAX_PAGES,
  PAGE,
  parseVisitorRef,
  withRetries,
  type ErasureReport,
  type PrivacyActor,
  type PrivacyService,
} from './privacy.js';
import type { CompanionMetrics, RateLimitName } from './metrics.js';
import { enforceRateLimit, type RateLimitStore } from './rate-limit.js';
import { clearVisitorCookie } from './visitor-cookie.js';
import { isVisitorAccount, visitorHandle, VISITOR_PREFIX } from './visitor-provisioner.js';
import { TRANSCRIPT_FORMAT, transcriptFileName, type Transcript } from '../protocol/transcript.js';

/** Settings of {@link DirectPrivacy}. */
export interface DirectPrivacyOptions {
  admin: MattermostAdmin;
  credentials: CredentialIssuer;
  teamId: string;
  inboxChannelId: string;
  audit: AuditLog;
  logger: Logger;
  now: () => number;
  /** Waits between retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

/** A visitor's Mattermost objects, as far as they still exist. */
interface VisitorObjects {
  handle: string;
  user: MmUser | null;
  channel: MmChannelDetail | null;
}

/** The inbox notice is posted right after the channel is created; it is looked for from this long before. */
const NOTICE_SLACK_MS = 10 * 60_000;

/** A profile's name as Mattermost clients show it by default: full name, else nickname, else username. */
function profileName(user: MmUserProfile): string {
  return `${user.first_name} ${user.last_name}`.trim() || user.nickname.trim() || user.username;
}

/**
 * Export and erasure of direct-mode visitors, for the routes (the visitor's own Mattermost token),
 * the CLI and the retention job. Only accounts the companion made (`visitor-…`, never an admin) are touched.
 *
 * @example
 * ```ts
 * const privacy = new DirectPrivacy({ admin, credentials, teamId, inboxChannelId, audit, logger, now: Date.now });
 * await privacy.eraseConversation('sub:user-42', { actor: 'operator:cli' });
 * ```
 */
export class DirectPrivacy implements PrivacyService {
  private readonly o: DirectPrivacyOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly erasing = new Map<string, Promise<ErasureReport>>();

  constructor(options: DirectPrivacyOptions) {
    this.o = options;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The visitor objects a `<visitor>` argument names: a channel id, or `sub:<sub>`. */
  private async objectsOf(ref: string): Promise<VisitorObjects> {
    const parsed = parseVisitorRef(ref);
    let handle: string;
    let channel: MmChannelDetail | null = null;
    if (parsed.kind === 'sub') handle = await visitorHandle(`id:${parsed.sub}`);
    else {
      channel = await this.o.admin.getChannel(parsed.id);
      if (!channel) return { handle: '', user: null, channel: null };
      if (channel.team_id !== this.o.teamId || !channel.name.startsWith(VISITOR_PREFIX))
        throw new HttpError(
          400,
          'not_a_visitor',
          `Channel ${parsed.id} is not a visitor's conversation channel (its name does not start with "${VISITOR_PREFIX}").`,
        );
      handle = channel.name;
    }
    return this.objectsByHandle(handle, channel);
  }

  private async objectsByHandle(handle: string, known?: MmChannelDetail | null): Promise<VisitorObjects> {
    const { admin, teamId } = this.o;
    const [user, byName] = await Promise.all([
      admin.getUserByUsername(handle),
      known ? Promise.resolve(known) : admin.getChannelByName(teamId, handle).then((c) => (c ? admin.getChannel(c.id) : null)),
    ]);
    if (user && !isVisitorAccount(user)) throw new HttpError(400, 'not_a_visitor', `User ${user.id} is not a visitor account.`);
    return { handle, user, channel: byName };
  }

  /** {@inheritDoc PrivacyService.exportConversation} */
  async exportConversation(ref: string, by: PrivacyActor): Promise<Transcript> {
    const objects = await this.objectsOf(ref);
    if (!objects.channel) throw conversationNotFound(ref);
    return this.transcript(objects, by);
  }

  /** {@inheritDoc PrivacyService.eraseConversation} */
  async eraseConversation(ref: string, by: PrivacyActor): Promise<ErasureReport> {
    const objects = await this.objectsOf(ref);
    const report = await this.erase(objects, by);
    return report.conversationId ? report : { ...report, conversationId: ref };
  }

  /**
   * The visitor a Mattermost token belongs to (`GET /users/me` with it), if it is a visitor account
   * the companion made; else 401.
   */
  async visitorForToken(token: string): Promise<MmUser> {
    const user = await this.o.admin.getUserForToken(token);
    if (!user || !isVisitorAccount(user))
      throw new HttpError(
        401,
        'invalid_token',
        "Expected the visitor's Mattermost access token (from POST /v1/session); this one is not a visitor's.",
        {
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        },
      );
    return user;
  }

  /** The transcript of the visitor owning `user` (their channel's posts; none before the channel exists). */
  async transcriptFor(user: MmUser, by: PrivacyActor): Promise<Transcript> {
    return this.transcript(await this.objectsByHandle(user.username), by);
  }

  /** Erases the visitor owning `user` (see {@link erase}). */
  async eraseFor(user: MmUser, by: PrivacyActor): Promise<ErasureReport> {
    return this.erase(await this.objectsByHandle(user.username), by);
  }

  /**
   * Erases the visitor owning `user` if nothing was posted in their channel since `idleSince`
   * (retention: an agent's late reply keeps the conversation); true when it was erased.
   */
  async eraseIfIdle(user: MmUser, idleSince: number, by: PrivacyActor): Promise<boolean> {
    // Read now, not at the start of the pass: a message since keeps the conversation.
    const objects = await this.objectsByHandle(user.username);
    if (objects.channel && Math.max(objects.channel.last_post_at, objects.channel.create_at) >= idleSince) return false;
    return (await this.erase(objects, by)).found;
  }

  /** Every post of a channel, newest first. */
  private async channelPosts(channelId: string, includeDeleted: boolean): Promise<MmChannelPost[]> {
    const out: MmChannelPost[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await this.o.admin.getChannelPosts(channelId, page, PAGE, includeDeleted);
      out.push(...batch);
      if (batch.length < PAGE) return out;
    }
    throw erasureIncomplete(`the channel has more than ${PAGE * MAX_PAGES} posts`);
  }

  private async transcript(objects: VisitorObjects, by: PrivacyActor): Promise<Transcript> {
    const { user, channel } = objects;
    const ids = new Set<string>();
    const posts = channel
      ? (await this.channelPosts(channel.id, false)).filter((p) => !p.type.startsWith('system_') && p.delete_at === 0)
      : [];
    for (const p of posts) ids.add(p.user_id);
    if (user) ids.add(user.id);
    const profiles = new Map((await this.o.admin.getUsersByIds([...ids])).map((u) => [u.id, u]));
    const visitorProfile = user ? profiles.get(user.id) : undefined;
    const visitorName = visitorProfile
      ? profileName(visitorProfile)
      : `Visitor ${objects.handle.slice(VISITOR_PREFIX.length, VISITOR_PREFIX.length + 4)}`;
    const transcript: Transcript = {
      format: TRANSCRIPT_FORMAT,
      exportedAt: isoTime(this.o.now()),
      conversation: { id: channel?.id ?? '', createdAt: channel ? isoTime(channel.create_at) : null, visitorName },
      messages: posts
        .sort((a, b) => a.create_at - b.create_at || (a.id < b.id ? -1 : 1))
        .map((p) => {
          const profile = profiles.get(p.user_id);
          return {
            id: p.id,
            author: user && p.user_id === user.id ? ('visitor' as const) : ('agent' as const),
            authorName: user && p.user_id === user.id ? visitorName : profile ? profileName(profile) : 'Agent',
            text: p.message,
            createdAt: isoTime(p.create_at),
            ...(p.edit_at > 0 ? { editedAt: isoTime(p.edit_at) } : {}),
            files: p.files.map((f) => ({ name: f.name, size: f.size, mimeType: f.mime_type })),
          };
        }),
    };
    auditExport(this.o.audit, by, channel?.id ?? user?.id ?? objects.handle, transcript, 'direct');
    return transcript;
  }

  /**
   * Erases a visitor for good: revokes their credentials, deletes their channel's posts that carry
   * files, the inbox notice, the channel and the user. Idempotent: nothing left reports
   * `found: false`. Concurrent calls for one visitor share one run.
   *
   * @throws {HttpError} 503 `erasure_unavailable` when Mattermost refuses permanent deletion
   *   (settings, permissions), or 503 `erasure_incomplete` when it stopped part-way.
   */
  private erase(objects: VisitorObjects, by: PrivacyActor): Promise<ErasureReport> {
    const key = objects.handle || 'none';
    let running = this.erasing.get(key);
    if (!running) {
      running = auditedErasure(
        this.o.audit,
        by,
        () => objects.channel?.id ?? objects.user?.id ?? objects.handle,
        'direct',
        () => this.eraseOnce(objects),
      ).finally(() => this.erasing.delete(key));
      this.erasing.set(key, running);
    }
    return running;
  }

  private async eraseOnce({ handle, user, channel }: VisitorObjects): Promise<ErasureReport> {
    const { admin, logger } = this.o;
    const report: ErasureReport = { conversationId: channel?.id ?? '', found: false, posts: 0, files: 0, user: false, channel: false };
    if (!user && !channel) return report;
    report.found = true;
    const step = async <T>(what: 'post' | 'channel' | 'user', done: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await withRetries(fn, this.sleep);
      } catch (e) {
        throw deletionRefusal(e, what) ?? erasureIncomplete(done, e);
      }
    };
    // The visitor's credentials keep working until the last step, so an erasure that stopped
    // part-way can be finished with the same token (DELETE /v1/conversation again).
    if (channel) {
      const posts = await step('post', 'nothing deleted yet', () => this.channelPosts(channel.id, true));
      report.posts = posts.length;
      for (const post of posts.filter((p) => p.file_ids.length > 0 || p.files.length > 0)) {
        const files = Math.max(post.file_ids.length, post.files.length);
        await step('post', `${report.files} files deleted`, () => admin.deletePostPermanently(post.id));
        report.files += files;
      }
      if (await this.deleteNotice(handle, channel, step)) report.posts++;
      report.channel = await step('channel', `${report.files} files deleted, the channel not yet`, () =>
        admin.deleteChannelPermanently(channel.id),
      );
    }
    if (user) {
      // Last, the user with its credentials: app/user.go PermanentDeleteUser deactivates it (which
      // revokes its sessions), then deletes its sessions and access tokens for good.
      try {
        report.user = await withRetries(() => admin.deleteUserPermanently(user.id), this.sleep);
      } catch (e) {
        const refused = deletionRefusal(e, 'user');
        // Mattermost keeps the user: its credentials at least stop working (a retry needs the CLI).
        if (refused) await withRetries(() => this.o.credentials.revokeAll(user.id), this.sleep).catch(() => {});
        throw refused ?? erasureIncomplete('the channel is deleted, the user not yet', e);
      }
    }
    logger.info({ msg: 'direct visitor erased', channelId: channel?.id, userId: user?.id, posts: report.posts, files: report.files });
    return report;
  }

  /** Finds the inbox notice announcing `handle` (posted right after its channel) and deletes it; true when there was one. */
  private async deleteNotice(
    handle: string,
    channel: MmChannelDetail,
    step: <T>(what: 'post', done: string, fn: () => Promise<T>) => Promise<T>,
  ): Promise<boolean> {
    const since = channel.create_at - NOTICE_SLACK_MS;
    const mentions = (p: MmChannelPost) => p.message.includes(`~${handle}]`) || p.message.includes(`/channels/${handle})`);
    for (let page = 0; page < MAX_PAGES; page++) {
      const batch = await step('post', 'the inbox notice not found yet', () =>
        this.o.admin.getChannelPosts(this.o.inboxChannelId, page, PAGE),
      );
      const notice = batch.find(mentions);
      if (notice) return step('post', 'the inbox notice not deleted yet', () => this.o.admin.deletePostPermanently(notice.id));
      if (batch.length < PAGE || batch.some((p) => p.create_at < since)) return false;
    }
    return false;
  }
}

/** What {@link directPrivacyRoutes} needs. */
export interface DirectPrivacyRoutesDeps {
  privacy: DirectPrivacy;
  rateLimitStore: RateLimitStore;
  /** The client address of a request, as a rate-limit key (see `addressKey`). */
  clientIp: (c: Context) => string;
  /** Whether the cleared visitor cookie is `Secure` (as the session route sets it). */
  production: boolean;
  /** Counts refusals (`privacy_address`, `transcripts`, `erasures`) in `porthole_rate_limited_total`. */
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  now: () => number;
}

/** Transcripts a visitor may download per minute. */
export const DIRECT_TRANSCRIPTS_PER_MINUTE = 10;
/** Erasures a visitor may ask for per minute. */
export const DIRECT_ERASURES_PER_MINUTE = 3;
/**
 * Privacy requests (both routes together) one client address (IPv6: its /64) may make per minute,
 * counted before the token is checked: each check is a `GET /users/me` on Mattermost.
 */
export const DIRECT_PRIVACY_REQUESTS_PER_ADDRESS = 30;

function bearer(c: Context): string {
  const match = /^Bearer\s+(\S{1,8192})\s*$/i.exec(c.req.header('Authorization') ?? '');
  if (!match)
    throw new HttpError(
      401,
      'missing_token',
      'Expected the header "Authorization: Bearer <the visitor\'s Mattermost token>" (from POST /v1/session).',
      {
        headers: { 'WWW-Authenticate': 'Bearer' },
      },
    );
  return match[1]!;
}

/**
 * Direct mode's privacy routes, authenticated with the visitor's Mattermost access token:
 * `GET /v1/transcript` → 200 the {@link Transcript} as an attachment; `DELETE /v1/conversation` →
 * 204 once the visitor's channel, inbox notice, credentials and user are deleted for good (and
 * the visitor cookie is cleared). The token works until the user is deleted, the last step: a
 * repeat after `erasure_incomplete` finishes the erasure. Limits: per client address first
 * ({@link DIRECT_PRIVACY_REQUESTS_PER_ADDRESS}), then per visitor
 * ({@link DIRECT_TRANSCRIPTS_PER_MINUTE}, {@link DIRECT_ERASURES_PER_MINUTE}).
 */
export function directPrivacyRoutes(deps: DirectPrivacyRoutesDeps): Hono {
  const route = new Hono();
  const limit = (key: string, max: number, what: string, name: RateLimitName) =>
    enforceRateLimit(deps.rateLimitStore, { key, limit: max, what, name, metrics: deps.metrics }, deps.now());
  const perAddress = (c: Context) =>
    limit(
      `direct:privacy:${deps.clientIp(c)}`,
      DIRECT_PRIVACY_REQUESTS_PER_ADDRESS,
      'privacy requests from this address',
      'privacy_address',
    );
  route.get('/v1/transcript', async (c) => {
    const token = bearer(c);
    await perAddress(c);
    const user = await deps.privacy.visitorForToken(token);
    await limit(`direct:reads:${user.id}`, DIRECT_TRANSCRIPTS_PER_MINUTE, 'transcript downloads', 'transcripts');
    const transcript = await deps.privacy.transcriptFor(user, { actor: `visitor:${user.id}`, requestId: requestIdOf(c) });
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', `attachment; filename="${transcriptFileName(new Date(deps.now()))}"`);
    return c.json(transcript, 200);
  });
  route.delete('/v1/conversation', async (c) => {
    const token = bearer(c);
    await perAddress(c);
    const user = await deps.privacy.visitorForToken(token);
    await limit(`direct:erase:${user.id}`, DIRECT_ERASURES_PER_MINUTE, 'erasures', 'erasures');
    await deps.privacy.eraseFor(user, { actor: `visitor:${user.id}`, requestId: requestIdOf(c) });
    c.header('Cache-Control', 'no-store');
    c.header('Set-Cookie', clearVisitorCookie(deps.production), { append: true });
    return c.body(null, 204);
  });
  return route;
}
