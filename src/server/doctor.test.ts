import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doctorRunEvent, formatDoctor, runDoctor, type MattermostReader } from './doctor.js';
import { MemoryMattermostAdmin } from './memory-mattermost-admin.js';
import type { CorsPreflightAnswer, OriginProber, WebSocketUpgradeAnswer } from './origin-prober.js';
import { TEST } from './test-support.js';

const hardened = {
  ServiceSettings: {
    EnableUserAccessTokens: true,
    AllowCorsFrom: 'https://a.example https://b.example',
    EnablePostUsernameOverride: true,
    EnablePostIconOverride: true,
  },
  TeamSettings: { EnableOpenServer: false, RestrictDirectMessage: 'team', MaxUsersPerTeam: 100000 },
  PrivacySettings: { ShowEmailAddress: false },
};

const config = (allowedOrigins: string[]) => ({ teamId: TEST.teamId, allowedOrigins, mattermostUrl: 'http://mm.internal:8065' });

/** What a Mattermost whose CORS handler was built with `applied` answers (rs/cors, gorilla/websocket). */
function fakeProber(applied: string[], websocketAllowed = applied): OriginProber & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    async corsPreflight(origin): Promise<CorsPreflightAnswer> {
      probed.push(origin);
      return applied.includes(origin)
        ? { status: 204, allowOrigin: origin, allowHeaders: 'authorization,content-type' }
        : { status: 204, allowOrigin: null, allowHeaders: null };
    },
    async webSocketUpgrade(origin): Promise<WebSocketUpgradeAnswer> {
      return websocketAllowed.includes(origin)
        ? { status: 101, statusText: 'Switching Protocols' }
        : { status: 403, statusText: 'Forbidden' };
    },
  };
}

function memoryMattermost(settings: Record<string, unknown>) {
  const mm = new MemoryMattermostAdmin({ teamId: TEST.teamId });
  mm.config = settings;
  return mm;
}

describe('doctor', () => {
  it('passes every check on a hardened server that applies its settings, one line per check', async () => {
    const origins = ['https://a.example', 'https://b.example'];
    const checks = await runDoctor(memoryMattermost(hardened), config(origins), { prober: fakeProber(origins) });
    assert.ok(
      checks.every((c) => c.ok),
      formatDoctor(checks).join('\n'),
    );
    assert.equal(formatDoctor(checks).length, checks.length);
    assert.equal(checks.length, 14, '10 settings and a preflight and a WebSocket check per origin');
    assert.ok(checks.some((c) => c.name === 'CORS preflight from https://b.example'));
    assert.ok(checks.some((c) => c.name === 'WebSocket from https://a.example'));
  });

  it('flags each weak setting and missing origins', async () => {
    const mm = memoryMattermost({
      ServiceSettings: { EnableUserAccessTokens: false, AllowCorsFrom: 'https://a.example', EnablePostUsernameOverride: false },
      TeamSettings: { EnableOpenServer: true, RestrictDirectMessage: 'any', MaxUsersPerTeam: 50 },
      PrivacySettings: { ShowEmailAddress: true },
    });
    const lines = formatDoctor(
      await runDoctor(mm, config(['https://a.example', 'https://c.example']), { prober: fakeProber(['https://a.example']) }),
    );
    const failed = lines.filter((l) => l.startsWith('FAIL'));
    assert.equal(failed.length, 10, lines.join('\n'));
    assert.ok(failed.some((l) => l.includes('email addresses hidden')));
    assert.ok(failed.some((l) => l.includes('user access tokens')));
    assert.ok(failed.some((l) => l.startsWith('FAIL allowed origins') && l.includes('https://c.example')));
    assert.ok(failed.some((l) => l.includes('open server')));
    assert.ok(failed.some((l) => l.includes('direct messages')));
    assert.ok(failed.some((l) => l.startsWith('FAIL room in the support team')));
    assert.ok(
      failed.some((l) =>
        /^FAIL post username override enabled: ServiceSettings\.EnablePostUsernameOverride=false \(want true: gateway mode/.test(l),
      ),
    );
    assert.ok(
      failed.some((l) => /^FAIL post icon override enabled: ServiceSettings\.EnablePostIconOverride=undefined \(want true/.test(l)),
    );
    const preflight = failed.find((l) => l.startsWith('FAIL CORS preflight from https://c.example'))!;
    assert.match(preflight, /Add the origin to ServiceSettings\.AllowCorsFrom, then restart Mattermost/);
    assert.doesNotMatch(preflight, /saved/, 'an origin that is not in the config is not "saved"');
    assert.match(
      failed.find((l) => l.startsWith('FAIL WebSocket from https://c.example'))!,
      /Add the origin to ServiceSettings\.AllowCorsFrom\./,
    );
  });

  it('tells a saved origin that Mattermost does not apply yet: expected, answered, restart', async () => {
    const mm = memoryMattermost({
      ...hardened,
      ServiceSettings: { ...hardened.ServiceSettings, AllowCorsFrom: 'https://a.example https://new.example' },
    });
    // The CORS handler was built before new.example was patched in; the WebSocket check reads the config live.
    const prober = fakeProber(['https://a.example'], ['https://a.example', 'https://new.example']);
    const checks = await runDoctor(mm, config(['https://a.example', 'https://new.example']), { prober });
    const failed = checks.filter((c) => !c.ok);
    assert.deepEqual(
      failed.map((c) => c.name),
      ['CORS preflight from https://new.example'],
      formatDoctor(checks).join('\n'),
    );
    const detail = failed[0]!.detail;
    assert.match(detail, /expected OPTIONS \/api\/v4\/users\/me to answer 2xx with Access-Control-Allow-Origin: https:\/\/new\.example/);
    assert.match(detail, /Mattermost answered 204 without Access-Control-Allow-Origin/);
    assert.match(detail, /saved in ServiceSettings\.AllowCorsFrom but not applied.*restart Mattermost/);
  });

  it('reports a refused WebSocket upgrade with what was expected and what Mattermost answered', async () => {
    const checks = await runDoctor(memoryMattermost(hardened), config(['https://a.example']), {
      prober: fakeProber(['https://a.example'], []),
    });
    const failed = checks.filter((c) => !c.ok);
    assert.equal(failed.length, 1, formatDoctor(checks).join('\n'));
    assert.equal(failed[0]!.name, 'WebSocket from https://a.example');
    assert.match(failed[0]!.detail, /expected 101 Switching Protocols .*Mattermost answered 403 Forbidden \(origin refused\)/);
    assert.match(failed[0]!.detail, /saved in ServiceSettings\.AllowCorsFrom but not applied.*restart Mattermost/);
  });

  it('rejects a preflight that does not allow the Authorization header, and reports an unreachable server', async () => {
    const prober: OriginProber = {
      corsPreflight: async (origin) =>
        origin === 'https://a.example'
          ? { status: 204, allowOrigin: '*', allowHeaders: '*' }
          : { status: 0, allowOrigin: null, allowHeaders: null, error: 'connect ECONNREFUSED' },
      webSocketUpgrade: async () => {
        throw new Error('socket hang up');
      },
    };
    const checks = await runDoctor(memoryMattermost(hardened), config(['https://a.example', 'https://b.example']), { prober });
    const detailOf = (name: string) => checks.find((c) => c.name === name)!;
    assert.equal(
      detailOf('CORS preflight from https://a.example').ok,
      false,
      'Access-Control-Allow-Headers: * does not cover Authorization',
    );
    assert.match(detailOf('CORS preflight from https://b.example').detail, /could not be reached \(connect ECONNREFUSED\)/);
    assert.match(detailOf('WebSocket from https://a.example').detail, /could not be reached \(socket hang up\)/);
  });

  it('probes only the first origins and says so', async () => {
    const origins = ['https://a.example', 'https://b.example', 'https://c.example'];
    const mm = memoryMattermost({ ...hardened, ServiceSettings: { ...hardened.ServiceSettings, AllowCorsFrom: origins.join(' ') } });
    const prober = fakeProber(origins);
    const checks = await runDoctor(mm, config(origins), { prober, maxProbedOrigins: 2 });
    assert.deepEqual(prober.probed, origins.slice(0, 2));
    assert.ok(checks.some((c) => c.ok && c.name === 'live origin checks' && c.detail === 'probed the first 2 of 3 allowed origins'));
  });

  it('stops after the admin check when the token is not a system admin', async () => {
    const mm = memoryMattermost(hardened);
    mm.admin.roles = 'system_user';
    const prober = fakeProber([]);
    const checks = await runDoctor(mm, config(['https://a.example']), { prober });
    assert.equal(checks.length, 1);
    assert.equal(prober.probed.length, 0, 'nothing is probed');
  });
});

/** A reader over a few users, one team's members, channels and roles (what the by-id checks ask). */
function fakeReader(world: {
  users: Record<string, { username: string; delete_at?: number; is_bot?: boolean; roles?: string }>;
  teamMembers: Record<string, number>;
  channels: Record<string, { name: string; team_id: string; type?: string; delete_at?: number }>;
  me?: string;
}): MattermostReader {
  const answer = (status: number, body: unknown) => ({ status, body });
  return {
    async get(path) {
      let m: RegExpExecArray | null;
      if (path === '/users/me' && world.me) return answer(200, { id: world.me, ...world.users[world.me] });
      if ((m = /^\/users\/([^/]+)$/.exec(path)))
        return world.users[m[1]!] ? answer(200, { id: m[1], ...world.users[m[1]!] }) : answer(404, {});
      if ((m = /^\/teams\/[^/]+\/members\/([^/]+)$/.exec(path)))
        return m[1]! in world.teamMembers ? answer(200, { roles: 'team_user', delete_at: world.teamMembers[m[1]!] }) : answer(404, {});
      if ((m = /^\/channels\/([^/]+)\/members\/([^/]+)$/.exec(path))) return answer(404, {});
      if ((m = /^\/channels\/([^/]+)$/.exec(path)))
        return world.channels[m[1]!] ? answer(200, { id: m[1], type: 'P', delete_at: 0, ...world.channels[m[1]!] }) : answer(404, {});
      return answer(404, {});
    },
    async post(path, body) {
      if (path !== '/roles/names') return answer(404, {});
      const permissions: Record<string, string[]> = { system_admin: ['manage_system'], system_user: [], team_user: [] };
      return answer(
        200,
        (body as string[]).map((name) => ({ name, permissions: permissions[name] ?? [] })),
      );
    },
  };
}

describe('doctor: agents, inbox and erasure by id', () => {
  const AGENT = 'agent00000000000000000000a';
  const INBOX = 'inbox00000000000000000000a';
  const world = {
    me: 'admin',
    users: {
      admin: { username: 'root', roles: 'system_user system_admin' },
      [AGENT]: { username: 'ada' },
      gone0000000000000000000000: { username: 'gone', delete_at: 5 },
      bot00000000000000000000000: { username: 'helper', is_bot: true },
      left000000000000000000000a: { username: 'left' },
    },
    teamMembers: { admin: 0, [AGENT]: 0, left000000000000000000000a: 7 },
    channels: {
      [INBOX]: { name: 'inbox', team_id: TEST.teamId },
      other0000000000000000000aa: { name: 'elsewhere', team_id: 'someoneelsesteam0000000000' },
      archived000000000000000000: { name: 'old', team_id: TEST.teamId, delete_at: 9 },
    },
  };
  const run = (agentIds: string[], inboxChannelId: string, retentionDays = 0, settings: Record<string, unknown> = {}) =>
    runDoctor(
      memoryMattermost({
        ...hardened,
        ServiceSettings: {
          ...hardened.ServiceSettings,
          EnableAPIPostDeletion: true,
          EnableAPIChannelDeletion: true,
          EnableAPIUserDeletion: true,
          ...settings,
        },
      }),
      { ...config(['https://a.example']), agentIds, inboxChannelId, retentionDays },
      { prober: fakeProber(['https://a.example']), reader: fakeReader(world) },
    );

  it('passes real agents and an inbox of the team the admin may post in', async () => {
    const checks = await run([AGENT], INBOX);
    assert.ok(
      checks.every((c) => c.ok && !c.warning),
      formatDoctor(checks).join('\n'),
    );
    assert.match(checks.find((c) => c.name === 'inbox channel')!.detail, /a system admin may post in any channel/);
  });

  it('fails made-up, deactivated, bot and departed agents, each with what to change', async () => {
    const checks = await run(
      ['nobody00000000000000000000', 'gone0000000000000000000000', 'bot00000000000000000000000', 'left000000000000000000000a'],
      INBOX,
    );
    const detail = (id: string) => checks.find((c) => c.name === `agent ${id}`)!;
    assert.match(
      detail('nobody00000000000000000000').detail,
      /no such user \(GET \/users\/nobody0+ answered 404\): fix PORTHOLE_AGENT_IDS/,
    );
    assert.match(detail('gone0000000000000000000000').detail, /@gone is deactivated/);
    assert.match(detail('bot00000000000000000000000').detail, /@helper is a bot/);
    assert.match(detail('left000000000000000000000a').detail, /@left is not a member of the support team/);
    assert.equal(checks.filter((c) => c.name.startsWith('agent ') && !c.ok).length, 4);
  });

  it('fails an inbox that is made up, in another team, or archived', async () => {
    for (const [id, pattern] of [
      ['made0000000000000000000000', /not found \(GET \/channels\/made0+ answered 404\): set PORTHOLE_INBOX_CHANNEL_ID/],
      ['other0000000000000000000aa', /is in team someoneelsesteam0+, not the support team/],
      ['archived000000000000000000', /the channel is archived/],
    ] as const) {
      const inbox = (await run([AGENT], id)).find((c) => c.name === 'inbox channel')!;
      assert.equal(inbox.ok, false, id);
      assert.match(inbox.detail, pattern);
    }
  });

  it('erasure off is a warning, and a failure once PORTHOLE_RETENTION_DAYS needs it', async () => {
    const warned = (await run([AGENT], INBOX, 0, { EnableAPIUserDeletion: false })).find((c) => c.name === 'erasure possible')!;
    assert.deepEqual([warned.ok, warned.warning], [true, true]);
    assert.match(formatDoctor([warned])[0]!, /^WARN erasure possible: turn on ServiceSettings\.EnableAPIUserDeletion \(now false\)/);
    const failed = (await run([AGENT], INBOX, 7, { EnableAPIUserDeletion: false })).find((c) => c.name === 'erasure possible')!;
    assert.equal(failed.ok, false);
    assert.match(failed.detail, /PORTHOLE_RETENTION_DAYS=7 needs it/);
  });

  it('throws at once when asked to check ids without a token or a reader', async () => {
    await assert.rejects(
      runDoctor(memoryMattermost(hardened), { ...config([]), agentIds: [AGENT] }),
      /needs config\.token or options\.reader \(received neither\)/,
    );
  });

  it('doctorRunEvent counts passed, warned and failed checks and names the failed ones', () => {
    const event = doctorRunEvent('direct', [
      { ok: true, name: 'a', detail: '' },
      { ok: true, warning: true, name: 'b', detail: '' },
      { ok: false, name: 'c', detail: 'secret-ish detail' },
    ]);
    assert.deepEqual(event, {
      action: 'doctor.run',
      actor: 'operator:cli',
      outcome: 'failed',
      detail: { mode: 'direct', passed: 2, warnings: 1, failed: 1, failedChecks: ['c'] },
    });
  });
});
