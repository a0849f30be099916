import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGatewayDoctor } from './gateway-doctor.js';

const CHANNEL = 'support0000000000000000000';
const config = {
  mattermostUrl: 'http://mm.test',
  adminToken: undefined,
  botToken: 'b'.repeat(26),
  botUsername: 'porthole',
  supportChannelId: CHANNEL,
};

/** A Mattermost where the bot can read the (public) support channel; `member` says whether it is in it. */
function fakeMattermost(member: boolean): typeof fetch {
  const answers: Record<string, [number, unknown]> = {
    '/users/me': [200, { id: 'bot', username: 'porthole', roles: 'system_user', is_bot: true }],
    [`/channels/${CHANNEL}`]: [200, { id: CHANNEL, name: 'support', team_id: 'team' }],
    [`/channels/${CHANNEL}/members/me`]: member
      ? [200, { channel_id: CHANNEL, user_id: 'bot' }]
      : [404, { id: 'app.channel.get_member.missing.app_error' }],
  };
  return (async (input: string | URL | Request) => {
    const path = String(input).replace('http://mm.test/api/v4', '');
    const [status, body] = answers[path] ?? [404, {}];
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof fetch;
}

describe('gateway doctor', () => {
  it("checks the bot's membership of the support channel, not only that it can read it", async () => {
    const outside = await runGatewayDoctor(config, { fetch: fakeMattermost(false) });
    const check = outside.find((c) => c.name === 'bot in the support channel');
    assert.equal(check?.ok, false, 'a public channel is readable by a bot outside it');
    assert.match(check!.detail, /members\/me answered 404/);
    const inside = await runGatewayDoctor(config, { fetch: fakeMattermost(true) });
    assert.equal(inside.find((c) => c.name === 'bot in the support channel')?.ok, true);
  });
});
