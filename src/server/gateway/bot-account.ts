// The bot the gateway acts through. With only the admin token, the companion creates (or
// repairs) it on start and keeps its access token in the store, so restarts reuse one token;
// with PORTHOLE_BOT_TOKEN it needs no admin token at all.
import type { Logger } from '../logger.js';
import { MattermostError } from '../mattermost-admin.js';
import type { BotProvisioningApi, GatewayMattermost, MmChannelInfo } from './mattermost-api.js';
import type { GatewayStore } from './store.js';

/** The bot, ready to act. */
export interface BotAccount {
  userId: string;
  username: string;
  /** The bot's access token. Secret. */
  token: string;
  /** The support channel and its team. */
  channelId: string;
  teamId: string;
}

/** Why the gateway cannot start; the message says what to change. */
export class GatewayStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayStartError';
  }
}

/** What {@link ensureBotAccount} needs. */
export interface EnsureBotOptions {
  adminToken: string | undefined;
  botToken: string | undefined;
  botUsername: string;
  botDisplayName: string;
  supportChannelId: string;
  store: GatewayStore;
  /** A REST client acting with `token`. */
  clientFor(token: string): GatewayMattermost & BotProvisioningApi;
  logger: Logger;
  /** This instance's name in the store's locks, so instances starting together mint one token. Default: a random one. */
  instanceId?: string;
}

/** Store name of the bot's token. */
const tokenSecretName = (botUserId: string) => `bot-token:${botUserId}`;

const refused = (e: unknown, status: number) => e instanceof MattermostError && e.status === status;

/** Adds a membership, treating "already a member" races as success. */
async function idempotent(add: Promise<void>): Promise<void> {
  try {
    await add;
  } catch (e) {
    if (e instanceof MattermostError && /save_member\.(conflict|exists)|already/.test(e.mmId ?? '')) return;
    throw e;
  }
}

async function withBotToken(options: EnsureBotOptions, token: string): Promise<BotAccount> {
  const bot = options.clientFor(token);
  let me;
  try {
    me = await bot.getMe();
  } catch (e) {
    if (refused(e, 401))
      throw new GatewayStartError(
        'PORTHOLE_BOT_TOKEN was refused by Mattermost (401): it is revoked, or the bot is disabled. Mint a new token for the bot (System Console → Integrations → Bot Accounts), or unset it and set PORTHOLE_MM_TOKEN so the companion manages the bot.',
        { cause: e },
      );
    throw e;
  }
  if (!me.is_bot)
    options.logger.warn({
      msg: "gateway: PORTHOLE_BOT_TOKEN belongs to a regular user, which takes one of the server's user seats; use a bot account",
      username: me.username,
    });
  const channel = await bot.getChannel(options.supportChannelId);
  const member = channel ? await bot.isChannelMember(options.supportChannelId, me.id) : false;
  if (!channel || !member) {
    throw new GatewayStartError(
      `The bot @${me.username} is not a member of the support channel ${options.supportChannelId} (PORTHOLE_SUPPORT_CHANNEL_ID, or PORTHOLE_INBOX_CHANNEL_ID): add it to the channel's team and the channel (in Mattermost: /invite @${me.username}), or set PORTHOLE_MM_TOKEN instead of PORTHOLE_BOT_TOKEN so the companion adds it.`,
    );
  }
  return { userId: me.id, username: me.username, token, channelId: channel.id, teamId: channel.team_id };
}

async function supportChannel(admin: BotProvisioningApi, channelId: string): Promise<MmChannelInfo> {
  let channel: MmChannelInfo | null;
  try {
    channel = await admin.getChannel(channelId);
  } catch (e) {
    if (refused(e, 401))
      throw new GatewayStartError(
        'PORTHOLE_MM_TOKEN was refused by Mattermost (401): it is revoked or mistyped. Use the access token of a system admin.',
        { cause: e },
      );
    throw e;
  }
  if (!channel)
    throw new GatewayStartError(
      `The support channel ${channelId} (PORTHOLE_SUPPORT_CHANNEL_ID, or PORTHOLE_INBOX_CHANNEL_ID) does not exist or the admin token cannot see it.`,
    );
  if (channel.delete_at !== 0)
    throw new GatewayStartError(
      `The support channel ${channel.name} (${channelId}) is archived: unarchive it or choose another PORTHOLE_SUPPORT_CHANNEL_ID.`,
    );
  return channel;
}

async function ensureBotUser(admin: BotProvisioningApi, options: EnsureBotOptions): Promise<string> {
  const existing = await admin.getUserByUsername(options.botUsername);
  if (existing && !existing.is_bot) {
    throw new GatewayStartError(
      `The username @${options.botUsername} belongs to a regular user, not a bot: set PORTHOLE_BOT_USERNAME to a free name (or to an existing bot).`,
    );
  }
  if (existing) {
    if (existing.delete_at) {
      await admin.enableBot(existing.id);
      options.logger.info({ msg: 'gateway: bot re-enabled', username: options.botUsername });
    }
    return existing.id;
  }
  try {
    const id = await admin.createBot({
      username: options.botUsername,
      display_name: options.botDisplayName,
      description: 'Porthole: website visitors write through this bot; answer in its threads.',
    });
    options.logger.info({ msg: 'gateway: bot created', username: options.botUsername, userId: id });
    return id;
  } catch (e) {
    if (e instanceof MattermostError && e.mmId === 'api.bot.create_disabled') {
      throw new GatewayStartError(
        'Mattermost refuses to create bots: turn on ServiceSettings.EnableBotAccountCreation, or create the bot yourself and set PORTHOLE_BOT_TOKEN.',
        { cause: e },
      );
    }
    if (refused(e, 403))
      throw new GatewayStartError('PORTHOLE_MM_TOKEN may not create bots: use the access token of a system admin.', { cause: e });
    // Another instance starting at the same moment created it (app/bot.go CreateBot: 400 username_exists).
    if (e instanceof MattermostError && e.mmId === 'app.user.save.username_exists.app_error') {
      const raced = await admin.getUserByUsername(options.botUsername);
      if (raced?.is_bot) return raced.id;
    }
    throw e;
  }
}

/**
 * Makes sure the bot exists, is in the support channel's team and the channel, and has a working
 * access token. With `botToken` it only checks (no admin call at all). With `adminToken` it finds
 * or creates `botUsername` (re-enabling it if disabled), adds it to the team and channel, reuses
 * the token kept in the store while Mattermost accepts it, and otherwise mints and stores a new one.
 *
 * @throws {GatewayStartError} with what to change when a token, the channel or a setting is wrong.
 */
export async function ensureBotAccount(options: EnsureBotOptions): Promise<BotAccount> {
  if (options.botToken) return withBotToken(options, options.botToken);
  if (!options.adminToken) throw new GatewayStartError('Set PORTHOLE_MM_TOKEN (a system admin token) or PORTHOLE_BOT_TOKEN.');
  const admin = options.clientFor(options.adminToken);
  const channel = await supportChannel(admin, options.supportChannelId);
  const botUserId = await ensureBotUser(admin, options);
  await idempotent(admin.addTeamMember(channel.team_id, botUserId));
  await idempotent(admin.addChannelMember(channel.id, botUserId));

  // Instances starting together on one shared store: one of them checks and mints, the others
  // wait for it and reuse what it stored.
  const lock = `bot-token:${botUserId}`;
  const owner = options.instanceId ?? `instance:${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + 15_000;
  let locked: boolean;
  while (!(locked = await options.store.acquireLock(lock, owner, 30_000, Date.now())) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (!locked)
    options.logger.warn({
      msg: "gateway: another instance held the bot token's lock for 15 s; going on without it (a second token may be minted)",
    });
  try {
    return await reuseOrMintToken(admin, options, botUserId, channel);
  } finally {
    // Its 30 s expiry frees it anyway: a store blip here must not fail a start that succeeded.
    if (locked) await options.store.releaseLock(lock, owner).catch(() => {});
  }
}

async function reuseOrMintToken(
  admin: BotProvisioningApi,
  options: EnsureBotOptions,
  botUserId: string,
  channel: MmChannelInfo,
): Promise<BotAccount> {
  const stored = await options.store.getSecret(tokenSecretName(botUserId));
  if (stored) {
    try {
      const me = await options.clientFor(stored).getMe();
      if (me.id === botUserId)
        return { userId: botUserId, username: options.botUsername, token: stored, channelId: channel.id, teamId: channel.team_id };
    } catch (e) {
      if (!refused(e, 401)) throw e;
      options.logger.warn({ msg: 'gateway: the stored bot token was refused; minting a new one', username: options.botUsername });
    }
  }
  const minted = await admin.createUserAccessToken(botUserId, 'porthole gateway');
  await options.store.setSecret(tokenSecretName(botUserId), minted.token);
  options.logger.info({ msg: 'gateway: bot token minted', username: options.botUsername, tokenId: minted.id });
  return { userId: botUserId, username: options.botUsername, token: minted.token, channelId: channel.id, teamId: channel.team_id };
}
