import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { createErrorHandler } from './errors.js';
import { silentLogger } from './logger.js';
import { MemoryRateLimitStore } from './rate-limit.js';
import { directAvailabilityRoute, DIRECT_AVAILABILITY_PER_ADDRESS } from './availability-route.js';

const ADA = 'a'.repeat(26);
const GRACE = 'g'.repeat(26);

function serve(statuses: Record<string, string>, agents?: string[]) {
  const asked: string[] = [];
  let down = false;
  const fetch = (async (url: string, init?: RequestInit) => {
    asked.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${init?.body ?? ''}`);
    if (down) throw new TypeError('fetch failed');
    if (url.endsWith('/users/usernames'))
      return Response.json([
        { id: GRACE, username: 'grace' },
        { id: 'b'.repeat(26), username: 'bot', is_bot: true },
      ]);
    const ids = JSON.parse(String(init?.body)) as string[];
    return Response.json(ids.map((id) => ({ user_id: id, status: statuses[id] ?? 'offline' })));
  }) as typeof globalThis.fetch;
  const app = new Hono();
  app.onError(createErrorHandler({ production: true, logger: silentLogger }));
  app.route(
    '/',
    directAvailabilityRoute({
      settings: agents && { agents, officeHours: undefined, expectedReply: 'Soon', fields: ['email'], emailReplies: false },
      mattermostUrl: 'http://mm.invalid',
      token: 't'.repeat(26),
      agentIds: [ADA],
      rateLimitStore: new MemoryRateLimitStore(),
      clientIp: () => '192.0.2.1',
      logger: silentLogger,
      now: Date.now,
      fetch,
    }),
  );
  return { app, asked, setDown: (v: boolean) => (down = v) };
}

describe('GET /v1/availability (direct)', () => {
  it('answers from PORTHOLE_AGENT_IDS’ statuses, without a token', async () => {
    const t = serve({ [ADA]: 'online' });
    const r = await t.app.request('/v1/availability');
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { state: 'online', fields: [], emailReplies: false });
    assert.deepEqual(t.asked, [`POST /api/v4/users/status/ids ["${ADA}"]`]);
  });

  it('resolves PORTHOLE_AGENTS (bots left out) and says unreachable with a 200 when Mattermost is down', async () => {
    const t = serve({ [GRACE]: 'away' }, ['grace', 'bot']);
    assert.deepEqual(await (await t.app.request('/v1/availability')).json(), {
      state: 'away',
      expectedReply: 'Soon',
      fields: ['email'],
      emailReplies: false,
    });
    assert.ok(t.asked.at(-1)!.includes(`["${GRACE}"]`));
    const down = serve({}, ['grace']);
    down.setDown(true);
    const r = await down.app.request('/v1/availability');
    assert.equal(r.status, 200);
    assert.equal((await r.json()).state, 'unreachable');
  });

  it(`limits each address to ${DIRECT_AVAILABILITY_PER_ADDRESS} a minute`, async () => {
    const t = serve({});
    for (let i = 0; i < DIRECT_AVAILABILITY_PER_ADDRESS; i++) assert.equal((await t.app.request('/v1/availability')).status, 200);
    const r = await t.app.request('/v1/availability');
    assert.equal(r.status, 429);
    assert.equal(t.asked.length, 1, 'Mattermost was asked once (cached 30 s)');
  });
});
