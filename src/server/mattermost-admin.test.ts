import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpMattermostAdmin, MattermostError } from './mattermost-admin.js';

/** An admin client whose Mattermost answers every call with `status` and `body`. */
function answering(status: number, body: unknown) {
  const calls: string[] = [];
  const admin = new HttpMattermostAdmin({
    url: 'http://mm.test',
    token: 'x'.repeat(26),
    fetch: (async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }) as typeof fetch,
  });
  return { admin, calls };
}

describe('HttpMattermostAdmin memberships', () => {
  test('a membership that a racing request already created counts as added', async () => {
    const team = answering(400, { id: 'app.team.join_user_to_team.save_member.conflict.app_error', message: 'exists', status_code: 400 });
    await team.admin.addTeamMember('t'.repeat(26), 'u'.repeat(26));
    const channel = answering(400, { id: 'store.sql_channel.save_member.exists.app_error', message: 'exists', status_code: 400 });
    await channel.admin.addChannelMembers('c'.repeat(26), ['u'.repeat(26)]);
    assert.equal(team.calls.length + channel.calls.length, 2);
  });

  test('a channel insert that lost a race (500 add_user.to.channel.failed) is asked again', async () => {
    let calls = 0;
    const admin = new HttpMattermostAdmin({
      url: 'http://mm.test',
      token: 'x'.repeat(26),
      fetch: (async () => {
        calls++;
        return calls === 1
          ? new Response(
              JSON.stringify({
                id: 'api.channel.add_user.to.channel.failed.app_error',
                message: 'Failed to add user to channel.',
                status_code: 500,
              }),
              { status: 500 },
            )
          : new Response('[]', { status: 201, headers: { 'Content-Type': 'application/json' } });
      }) as typeof fetch,
    });
    await admin.addChannelMembers('c'.repeat(26), ['u'.repeat(26)]);
    assert.equal(calls, 2);
  });

  test('any other refusal still fails', async () => {
    const { admin } = answering(403, { id: 'api.context.permissions.app_error', message: 'no', status_code: 403 });
    await assert.rejects(admin.addTeamMember('t'.repeat(26), 'u'.repeat(26)), (e) => e instanceof MattermostError && e.status === 403);
  });
});
