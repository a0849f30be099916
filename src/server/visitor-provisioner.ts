// Finds or creates a visitor's Mattermost user and private conversation channel, idempotently.
import { sha256Hex } from './crypto-utils.js';
import type { Logger } from './logger.js';
import type { MattermostAdmin, MmChannel, MmUser } from './mattermost-admin.js';
import type { CompanionMetrics } from './metrics.js';

/** Who is asking for a session. */
export interface VisitorProfile {
  /** Stable key: `anon:<visitor id>` or `id:<identity sub>`. Never shown; only its hash is. */
  key: string;
  /** Display name (from the identity, or the unverified name an anonymous visitor typed). */
  name?: string;
  /** Email from a verified identity, shown to agents in the inbox notice. */
  email?: string;
  /** True when the profile comes from a verified host identity. */
  identified: boolean;
}

/** The Mattermost objects of a visitor. */
export interface ProvisionedVisitor {
  userId: string;
  username: string;
  channelId: string;
  channelName: string;
  /** True when this call created the conversation channel (and posted the inbox notice). */
  created: boolean;
}

/** Settings of {@link VisitorProvisioner}. */
export interface VisitorProvisionerOptions {
  teamId: string;
  agentIds: readonly string[];
  inboxChannelId: string;
  /** Base URL agents open links with (the public Mattermost URL). */
  publicUrl: string;
  /** Counts each visitor channel created (`porthole_conversations_started_total`). Default: none. */
  metrics?: Pick<CompanionMetrics, 'conversationStarted'>;
}

/** Prefix of every visitor username and channel name. */
export const VISITOR_PREFIX = 'visitor-';

/** Email domain of visitor accounts (`.invalid` is reserved: nothing is ever delivered). */
export const VISITOR_EMAIL_DOMAIN = 'visitors.porthole.invalid';

/**
 * The deterministic handle (username and channel name) of a visitor key: `visitor-` and 14 hex
 * characters of SHA-256 — 22 characters, Mattermost's username maximum.
 */
export async function visitorHandle(key: string): Promise<string> {
  return VISITOR_PREFIX + (await sha256Hex(`porthole:visitor:v1:${key}`)).slice(0, 14);
}

/** Removes control characters and Markdown syntax so a visitor-chosen name cannot inject links. */
function plainName(name: string | undefined, max: number): string | undefined {
  if (!name) return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = name
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
  return clean || undefined;
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>~@:])/g, '\\$1');
}

function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `Pv-${btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, 'x')}9!`;
}

/** Whether an account is one the companion made for a visitor (never staff, never an admin). */
export function isVisitorAccount(account: Pick<MmUser, 'username' | 'roles'>): boolean {
  return account.username.startsWith(VISITOR_PREFIX) && !account.roles.includes('system_admin');
}

/**
 * Finds or creates, for a visitor profile: the Mattermost user (reactivated if it was
 * deactivated), its team membership, its private channel with the configured agents, and — the
 * first time only — a notice with a link in the inbox channel.
 *
 * Safe under concurrency: calls for the same key in this process share one promise, and a
 * creation that loses a race against another instance ("already exists") looks the object up again.
 */
export class VisitorProvisioner {
  private readonly admin: MattermostAdmin;
  private readonly options: VisitorProvisionerOptions;
  private readonly logger: Logger;
  private readonly inFlight = new Map<string, Promise<ProvisionedVisitor>>();
  private teamName: Promise<string> | undefined;

  constructor(admin: MattermostAdmin, options: VisitorProvisionerOptions, logger: Logger) {
    this.admin = admin;
    this.options = options;
    this.logger = logger;
  }

  /** Finds or creates everything the visitor needs. */
  provision(profile: VisitorProfile): Promise<ProvisionedVisitor> {
    let pending = this.inFlight.get(profile.key);
    if (!pending) {
      pending = this.provisionOnce(profile).finally(() => this.inFlight.delete(profile.key));
      this.inFlight.set(profile.key, pending);
    }
    return pending;
  }

  private async provisionOnce(profile: VisitorProfile): Promise<ProvisionedVisitor> {
    const handle = await visitorHandle(profile.key);
    const user = await this.ensureUser(handle, profile);
    // Independent steps run side by side: every Mattermost round trip here is time the visitor
    // waits before the chat opens.
    const [teamJoin, channelLookup] = await Promise.allSettled([
      this.admin.addTeamMember(this.options.teamId, user.id),
      this.ensureChannel(handle, profile),
    ]);
    if (channelLookup.status === 'rejected') throw channelLookup.reason;
    const { channel, created } = channelLookup.value;
    if (teamJoin.status === 'rejected') {
      // The channel is new now but this request fails: tell the team anyway, since the retry
      // will find the channel and not announce it again.
      if (created) await this.postNotice(handle, profile);
      throw teamJoin.reason;
    }
    await Promise.all([
      // Idempotent: repairs a half-finished earlier attempt, and brings back an agent who left.
      this.admin.addChannelMembers(channel.id, [user.id, ...this.options.agentIds]),
      created ? this.postNotice(handle, profile) : undefined,
    ]);
    return { userId: user.id, username: handle, channelId: channel.id, channelName: channel.name, created };
  }

  private displayName(handle: string, profile: VisitorProfile): string {
    return plainName(profile.name, 64) ?? `Visitor ${handle.slice(VISITOR_PREFIX.length, VISITOR_PREFIX.length + 4)}`;
  }

  private async ensureUser(handle: string, profile: VisitorProfile): Promise<MmUser> {
    let user = await this.admin.getUserByUsername(handle);
    if (!user) {
      try {
        const name = this.displayName(handle, profile);
        user = await this.admin.createUser({
          username: handle,
          email: `${handle}@${VISITOR_EMAIL_DOMAIN}`,
          password: randomPassword(),
          first_name: name,
          nickname: name,
        });
      } catch (err) {
        // Another request (or instance) may have created it in the meantime.
        user = await this.admin.getUserByUsername(handle);
        if (!user) throw err;
      }
    }
    if (user.delete_at) {
      await this.admin.setUserActive(user.id, true);
      user = { ...user, delete_at: 0 };
    }
    return user;
  }

  private async ensureChannel(handle: string, profile: VisitorProfile): Promise<{ channel: MmChannel; created: boolean }> {
    const teamId = this.options.teamId;
    const existing = await this.admin.getChannelByName(teamId, handle);
    if (existing) {
      if (existing.delete_at) await this.admin.restoreChannel(existing.id);
      return { channel: existing, created: false };
    }
    try {
      const channel = await this.admin.createChannel({
        team_id: teamId,
        name: handle,
        display_name: this.displayName(handle, profile),
        type: 'P',
        purpose: profile.identified
          ? 'Porthole conversation with an identified visitor'
          : 'Porthole conversation with an anonymous visitor',
      });
      this.options.metrics?.conversationStarted();
      return { channel, created: true };
    } catch (err) {
      const again = await this.admin.getChannelByName(teamId, handle);
      if (!again) throw err;
      return { channel: again, created: false };
    }
  }

  private async postNotice(handle: string, profile: VisitorProfile): Promise<void> {
    try {
      const team = await this.getTeamName();
      const url = `${this.options.publicUrl}/${team}/channels/${handle}`;
      const who = escapeMarkdown(this.displayName(handle, profile));
      const email = profile.email ? ` (${escapeMarkdown(plainName(profile.email, 254) ?? '')})` : '';
      const kind = profile.identified ? 'identified visitor' : 'visitor';
      await this.admin.createPost(
        this.options.inboxChannelId,
        `:wave: New conversation from ${kind} **${who}**${email}: [open ~${handle}](${url})`,
      );
    } catch (err) {
      // The conversation works without the notice; the operator learns from the log.
      this.logger.warn({ msg: 'inbox notice failed', channel: handle, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private getTeamName(): Promise<string> {
    this.teamName ??= this.admin.getTeam(this.options.teamId).then((team) => {
      if (!team) throw new Error(`team ${this.options.teamId} not found`);
      return team.name;
    });
    this.teamName.catch(() => {
      this.teamName = undefined;
    });
    return this.teamName;
  }
}
