import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDoctor } from '../doctor.js';
import { runGatewayDoctor, type GatewayDoctorConfig } from './gateway-doctor.js';

const CHANNEL = 'support0000000000000000000';
const TEAM = 'team000000000000000000000a';
const BOT_TOKEN = 'b'.repeat(26);
const ADMIN_TOKEN = 'a'.repeat(26);

interface FakeUser {
  id: string;
  username: string;
  is_bot?: boolean;
  delete_at?: number;
  roles: string;
}

/**
 * A small Mattermost: users (by token), one team, the support channel, memberships, roles and the
 * config. Only the GETs and lookups the doctor makes; anything else answers 404.
 */
function fakeMattermost(world: {
  users: FakeUser[];
  tokens: Record<string, string>;
  teamMembers: string[];
  channelMembers: string[];
  channelUserPermissions?: string[];
  config?: Record<string, unknown>;
  companion?: (request: Request) => Response;
}): typeof fetch {
  const roles: Record<string, string[]> = {
    system_user: ['create_team'],
    system_admin: ['manage_system'],
    team_user: ['view_team', 'create_post_public_disabled'],
    channel_user: world.channelUserPermissions ?? ['read_channel', 'create_post'],
  };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.origin === 'https://companion.test') return world.companion!(new Request(url, init));
    const token = /^Bearer (.+)$/.exec(new Headers(init?.headers).get('Authorization') ?? '')?.[1] ?? '';
    const me = world.users.find((u) => u.id === world.tokens[token]);
    if (!me) return json(401, { id: 'api.context.session_expired.app_error' });
    const path = url.pathname.replace('/api/v4', '');
    const user = (id: string) => world.users.find((u) => u.id === id);
    let m: RegExpExecArray | null;
    if (path === '/users/me') return json(200, me);
    if ((m = /^\/users\/username\/(.+)$/.exec(path))) {
      const found = world.users.find((u) => u.username === m![1]);
      return found ? json(200, found) : json(404, {});
    }
    if (path === '/users/ids') return json(200, (JSON.parse(String(init?.body)) as string[]).map(user).filter(Boolean));
    if (path === `/channels/${CHANNEL}`) return json(200, { id: CHANNEL, name: 'support', team_id: TEAM, type: 'O', delete_at: 0 });
    if (path === `/channels/${CHANNEL}/members`)
      return json(
        200,
        world.channelMembers.map((user_id) => ({ user_id })),
      );
    if ((m = /^\/channels\/[^/]+\/members\/(.+)$/.exec(path)))
      return world.channelMembers.includes(m[1]!) ? json(200, { roles: 'channel_user' }) : json(404, {});
    if ((m = /^\/teams\/[^/]+\/members\/(.+)$/.exec(path)))
      return world.teamMembers.includes(m[1]!) ? json(200, { roles: 'team_user', delete_at: 0 }) : json(404, {});
    if (path === '/roles/names')
      return json(
        200,
        (JSON.parse(String(init?.body)) as string[]).map((name) => ({ name, permissions: roles[name] ?? [] })),
      );
    if (path === '/config') return me.roles.includes('system_admin') ? json(200, world.config ?? {}) : json(403, {});
    return json(404, {});
  }) as typeof fetch;
}

const bot: FakeUser = { id: 'bot', username: 'porthole', is_bot: true, roles: 'system_user' };
const agent: FakeUser = { id: 'agent', username: 'alice', roles: 'system_user' };
const admin: FakeUser = { id: 'admin', username: 'root', roles: 'system_user system_admin' };
const botOnly: GatewayDoctorConfig = {
  mattermostUrl: 'http://mm.test',
  adminToken: undefined,
  botToken: BOT_TOKEN,
  botUsername: 'porthole',
  supportChannelId: CHANNEL,
};
const withAdmin: GatewayDoctorConfig = { ...botOnly, adminToken: ADMIN_TOKEN, botToken: undefined };
const hardened = {
  ServiceSettings: {
    EnablePostUsernameOverride: true,
    EnablePostIconOverride: true,
    EnableBotAccountCreation: true,
    EnableAPIPostDeletion: true,
  },
};
const byName = (checks: Awaited<ReturnType<typeof runGatewayDoctor>>, name: string) => checks.find((c) => c.name === name);

describe('gateway doctor', () => {
  it("checks the bot's membership of the support channel, not only that it can read it", async () => {
    const world = { users: [bot, agent], tokens: { [BOT_TOKEN]: 'bot' }, teamMembers: ['bot', 'agent'], channelMembers: ['agent'] };
    const outside = await runGatewayDoctor(botOnly, { fetch: fakeMattermost(world) });
    const check = byName(outside, 'bot in the support channel');
    assert.equal(check?.ok, false, 'a public channel is readable by a bot outside it');
    assert.match(check!.detail, new RegExp(`/channels/${CHANNEL}/members/bot answered 404\\): add the bot`));
    const inside = await runGatewayDoctor(botOnly, { fetch: fakeMattermost({ ...world, channelMembers: ['bot', 'agent'] }) });
    assert.equal(byName(inside, 'bot in the support channel')?.ok, true);
    assert.equal(byName(inside, 'bot may post in the support channel')?.ok, true, formatDoctor(inside).join('\n'));
    assert.equal(byName(inside, 'agents in the support channel')?.ok, true);
    assert.match(byName(inside, 'agents in the support channel')!.detail, /@alice/);
  });

  it('fails a bot whose roles do not grant create_post in the channel (a moderated channel)', async () => {
    const checks = await runGatewayDoctor(botOnly, {
      fetch: fakeMattermost({
        users: [bot, agent],
        tokens: { [BOT_TOKEN]: 'bot' },
        teamMembers: ['bot', 'agent'],
        channelMembers: ['bot', 'agent'],
        channelUserPermissions: ['read_channel'],
      }),
    });
    const posting = byName(checks, 'bot may post in the support channel');
    assert.equal(posting?.ok, false);
    assert.match(posting!.detail, /none of its roles \(channel_user team_user system_user\) grants create_post/);
  });

  it('fails a support channel without any active person in it', async () => {
    const gone: FakeUser = { ...agent, delete_at: 1 };
    const checks = await runGatewayDoctor(botOnly, {
      fetch: fakeMattermost({ users: [bot, gone], tokens: { [BOT_TOKEN]: 'bot' }, teamMembers: ['bot'], channelMembers: ['bot', 'agent'] }),
    });
    const agents = byName(checks, 'agents in the support channel');
    assert.equal(agents?.ok, false);
    assert.match(agents!.detail, /nobody sees the visitors' messages. Add your agents/);
  });

  it('with a bot token alone, erasure is a warning, and a failure once PORTHOLE_RETENTION_DAYS needs it', async () => {
    const world = { users: [bot, agent], tokens: { [BOT_TOKEN]: 'bot' }, teamMembers: ['bot', 'agent'], channelMembers: ['bot', 'agent'] };
    const warned = byName(await runGatewayDoctor(botOnly, { fetch: fakeMattermost(world) }), 'erasure possible')!;
    assert.deepEqual([warned.ok, warned.warning], [true, true]);
    assert.match(formatDoctor([warned])[0]!, /^WARN erasure possible: set PORTHOLE_MM_TOKEN to a system admin's token/);
    const failed = byName(await runGatewayDoctor({ ...botOnly, retentionDays: 30 }, { fetch: fakeMattermost(world) }), 'erasure possible')!;
    assert.equal(failed.ok, false);
    assert.match(failed.detail, /PORTHOLE_RETENTION_DAYS=30 needs it/);
  });

  it('with the admin token: settings, a bot added at start, erasure off', async () => {
    const world = {
      users: [admin, agent],
      tokens: { [ADMIN_TOKEN]: 'admin' },
      teamMembers: ['admin', 'agent'],
      channelMembers: ['admin', 'agent'],
      config: { ServiceSettings: { ...hardened.ServiceSettings, EnableAPIPostDeletion: false } },
    };
    const checks = await runGatewayDoctor(withAdmin, { fetch: fakeMattermost(world) });
    assert.equal(byName(checks, 'admin token')?.ok, true);
    assert.match(byName(checks, 'bot account')!.detail, /will be created at start/);
    assert.match(byName(checks, 'erasure possible')!.detail, /turn on ServiceSettings\.EnableAPIPostDeletion \(now false\)/);
    assert.deepEqual(
      checks.filter((c) => !c.ok).map((c) => c.name),
      [],
      formatDoctor(checks).join('\n'),
    );
    const noCreation = await runGatewayDoctor(withAdmin, {
      fetch: fakeMattermost({ ...world, config: { ServiceSettings: { ...hardened.ServiceSettings, EnableBotAccountCreation: false } } }),
    });
    assert.equal(byName(noCreation, 'bot account')?.ok, false);
  });

  it('a regular user named like the bot fails with what to change', async () => {
    const impostor: FakeUser = { id: 'imp', username: 'porthole', roles: 'system_user' };
    const checks = await runGatewayDoctor(withAdmin, {
      fetch: fakeMattermost({
        users: [admin, impostor, agent],
        tokens: { [ADMIN_TOKEN]: 'admin' },
        teamMembers: [],
        channelMembers: ['agent'],
        config: hardened,
      }),
    });
    assert.match(byName(checks, 'bot account')!.detail, /belongs to a regular user, not a bot: set PORTHOLE_BOT_USERNAME/);
  });

  it("probes the companion's own preflight at PORTHOLE_PUBLIC_URL; a proxy that drops the headers fails", async () => {
    const asked: (string | null)[] = [];
    const world = {
      users: [bot, agent],
      tokens: { [BOT_TOKEN]: 'bot' },
      teamMembers: ['bot', 'agent'],
      channelMembers: ['bot', 'agent'],
      companion: (request: Request) => {
        const origin = request.headers.get('Origin');
        asked.push(request.headers.get('Access-Control-Request-Headers'));
        if (origin === 'https://good.example' || origin === 'https://no-file-name.example')
          return new Response(null, {
            status: 204,
            headers: {
              'Access-Control-Allow-Origin': origin,
              // A proxy that rewrites the list and drops X-Porthole-File-Name breaks uploads.
              'Access-Control-Allow-Headers':
                origin === 'https://good.example' ? 'Content-Type, Authorization, X-Porthole-File-Name' : 'Content-Type, Authorization',
              'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
            },
          });
        return new Response(null, { status: 204 });
      },
    };
    const config = {
      ...botOnly,
      publicUrl: 'https://companion.test',
      allowedOrigins: ['https://good.example', 'https://stripped.example', 'https://no-file-name.example'],
    };
    const checks = await runGatewayDoctor(config, { fetch: fakeMattermost(world) });
    assert.equal(byName(checks, 'companion CORS preflight from https://good.example')?.ok, true);
    const stripped = byName(checks, 'companion CORS preflight from https://stripped.example')!;
    assert.equal(stripped.ok, false);
    assert.match(
      stripped.detail,
      /expected OPTIONS https:\/\/companion\.test\/v1\/messages to answer 2xx .*it answered 204 with Access-Control-Allow-Origin: none/,
    );
    // The preflight asks for every header the widget sends, the upload's file name included.
    assert.deepEqual(asked, Array(3).fill('authorization,content-type,x-porthole-file-name'));
    const noFileName = byName(checks, 'companion CORS preflight from https://no-file-name.example')!;
    assert.equal(noFileName.ok, false);
    assert.match(
      noFileName.detail,
      /covering authorization, content-type, x-porthole-file-name .*Access-Control-Allow-Headers: Content-Type, Authorization\./,
    );

    const unset = await runGatewayDoctor({ ...config, publicUrl: undefined }, { fetch: fakeMattermost(world) });
    assert.match(byName(unset, 'companion CORS preflight')!.detail, /not probed: PORTHOLE_PUBLIC_URL is unset/);
  });
});
