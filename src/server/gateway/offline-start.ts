// Starting while Mattermost is down (store and forward): the bot's account, once ensured, is kept in
// the store, so a companion restarted during an outage starts from it and accepts (queues) messages.
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { BotAccount } from './bot-account.js';
import { mattermostUnreachable } from './forwarder.js';
import type { GatewayStore } from './store.js';

/** Store name of the last ensured bot account (JSON; holds the bot's token, like `bot-token:<id>`). */
export const BOT_ACCOUNT_SECRET = 'gateway-bot-account';

const accountSchema = z.object({
  userId: z.string().min(1),
  username: z.string(),
  token: z.string().min(1),
  channelId: z.string().min(1),
  teamId: z.string(),
});

/**
 * Runs `ensure` (ensureBotAccount) and keeps its answer in the store. When Mattermost is
 * unreachable, answers the kept account instead if it is for the same support channel (and the same
 * `PORTHOLE_BOT_TOKEN` when one is set); otherwise the failure stands.
 */
export async function ensureBotOrKept(
  ensure: () => Promise<BotAccount>,
  options: { store: GatewayStore; logger: Logger; supportChannelId: string; botToken: string | undefined },
): Promise<BotAccount> {
  try {
    const account = await ensure();
    await options.store.setSecret(BOT_ACCOUNT_SECRET, JSON.stringify(account));
    return account;
  } catch (e) {
    if (!mattermostUnreachable(e)) throw e;
    const raw = await options.store.getSecret(BOT_ACCOUNT_SECRET);
    let kept: BotAccount | undefined;
    try {
      kept = raw === undefined ? undefined : accountSchema.parse(JSON.parse(raw));
    } catch {
      kept = undefined;
    }
    if (!kept || kept.channelId !== options.supportChannelId || (options.botToken !== undefined && kept.token !== options.botToken))
      throw e;
    options.logger.warn({
      msg: 'gateway: Mattermost is unreachable; starting with the bot account kept in the store (messages are queued until it is back)',
      botUserId: kept.userId,
      error: e instanceof Error ? e.message : String(e),
    });
    return kept;
  }
}
