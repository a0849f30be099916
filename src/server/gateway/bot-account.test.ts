import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../logger.js';
import { ensureBotAccount, GatewayStartError, type EnsureBotOptions } from './bot-account.js';
import { MemoryGatewayStore } from './memory-store.js';
import { MemoryMattermost } from './test-support.js';

function options(mm: MemoryMattermost, over: Partial<EnsureBotOptions> = {}): EnsureBotOptions {
  return {
    adminToken: mm.adminToken,
    botToken: undefined,
    botUsername: 'porthole-bot',
    botDisplayName: 'Porthole',
    supportChannelId: mm.channelId,
    store: new MemoryGatewayStore(),
    clientFor: (token) => mm.clientFor(token),
    logger: silentLogger,
    ...over,
  };
}
const startError = (pattern: RegExp) => (e: unknown) => e instanceof GatewayStartError && pattern.test(e.message);

describe('ensureBotAccount', () => {
  it('creates the bot, adds it to the team and channel, and reuses its stored token on restart', async () => {
    const mm = new MemoryMattermost();
    const o = options(mm);
    const bot = await ensureBotAccount(o);
    const user = mm.users.get(bot.userId)!;
    assert.equal(user.is_bot, true);
    assert.equal(user.username, 'porthole-bot');
    assert.equal(bot.teamId, mm.teamId);
    assert.ok(mm.channels.get(mm.channelId)!.members.has(bot.userId));
    assert.ok(mm.teams.get(mm.teamId)!.has(bot.userId));
    const tokensBefore = mm.tokens.size;
    const again = await ensureBotAccount(o);
    assert.equal(again.token, bot.token, 'the stored token is reused');
    assert.equal(mm.tokens.size, tokensBefore, 'no new token minted');
    // The stored token was revoked in Mattermost: a new one is minted and stored.
    mm.tokens.delete(bot.token);
    const third = await ensureBotAccount(o);
    assert.notEqual(third.token, bot.token);
    assert.equal(await o.store.getSecret(`bot-token:${bot.userId}`), third.token);
  });

  it('mints one token when instances start together on one store', async () => {
    const mm = new MemoryMattermost();
    const store = new MemoryGatewayStore();
    const accounts = await Promise.all(['a', 'b', 'c'].map((instanceId) => ensureBotAccount(options(mm, { store, instanceId }))));
    assert.equal(new Set(accounts.map((a) => a.token)).size, 1, 'every instance uses the one stored token');
    const bot = accounts[0]!.userId;
    assert.equal([...mm.tokens.values()].filter((userId) => userId === bot).length, 1, 'one token minted');
  });

  it('re-enables a disabled bot and refuses a username taken by a regular user', async () => {
    const mm = new MemoryMattermost();
    const bot = await ensureBotAccount(options(mm));
    mm.users.get(bot.userId)!.delete_at = 123;
    assert.equal((await ensureBotAccount(options(mm))).userId, bot.userId);
    assert.equal(mm.users.get(bot.userId)!.delete_at, 0);
    mm.addAgent('taken');
    await assert.rejects(
      ensureBotAccount(options(mm, { botUsername: 'taken' })),
      startError(/@taken belongs to a regular user.*PORTHOLE_BOT_USERNAME/),
    );
  });

  it('says what to change when bots cannot be created, the admin token is refused or the channel is missing', async () => {
    const mm = new MemoryMattermost();
    mm.botCreationEnabled = false;
    await assert.rejects(ensureBotAccount(options(mm)), startError(/EnableBotAccountCreation/));
    await assert.rejects(ensureBotAccount(options(mm, { adminToken: 'z'.repeat(26) })), startError(/PORTHOLE_MM_TOKEN was refused/));
    await assert.rejects(ensureBotAccount(options(mm, { supportChannelId: 'n'.repeat(26) })), startError(/does not exist/));
  });

  it('with PORTHOLE_BOT_TOKEN needs no admin token, but the bot must be in the channel', async () => {
    const mm = new MemoryMattermost();
    const made = await ensureBotAccount(options(mm));
    const calls = mm.calls.length;
    const bot = await ensureBotAccount(options(mm, { adminToken: undefined, botToken: made.token }));
    assert.equal(bot.userId, made.userId);
    assert.ok(mm.calls.slice(calls).every((c) => ['getMe', 'getChannel', 'isChannelMember'].includes(c)));
    mm.channels.get(mm.channelId)!.members.delete(made.userId);
    await assert.rejects(
      ensureBotAccount(options(mm, { adminToken: undefined, botToken: made.token })),
      startError(/not a member of the support channel.*\/invite @porthole-bot/),
    );
    await assert.rejects(
      ensureBotAccount(options(mm, { adminToken: undefined, botToken: 'q'.repeat(26) })),
      startError(/PORTHOLE_BOT_TOKEN was refused/),
    );
  });
});
