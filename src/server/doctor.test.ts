import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDoctor, runDoctor } from './doctor.js';
import { MemoryMattermostAdmin } from './memory-mattermost-admin.js';
import { TEST } from './test-support.js';

const hardened = {
  ServiceSettings: { EnableUserAccessTokens: true, AllowCorsFrom: 'https://a.example https://b.example' },
  TeamSettings: { EnableOpenServer: false, RestrictDirectMessage: 'team', MaxUsersPerTeam: 100000 },
  PrivacySettings: { ShowEmailAddress: false },
};

describe('doctor', () => {
  it('passes every check on a hardened server, one line per check', async () => {
    const mm = new MemoryMattermostAdmin({ teamId: TEST.teamId });
    mm.config = hardened;
    const checks = await runDoctor(mm, { teamId: TEST.teamId, allowedOrigins: ['https://a.example', 'https://b.example'] });
    assert.ok(checks.every((c) => c.ok), formatDoctor(checks).join('\n'));
    assert.equal(formatDoctor(checks).length, checks.length);
    assert.equal(checks.length, 8);
  });

  it('flags each weak setting and missing origins', async () => {
    const mm = new MemoryMattermostAdmin({ teamId: TEST.teamId });
    mm.config = {
      ServiceSettings: { EnableUserAccessTokens: false, AllowCorsFrom: 'https://a.example' },
      TeamSettings: { EnableOpenServer: true, RestrictDirectMessage: 'any', MaxUsersPerTeam: 50 },
      PrivacySettings: { ShowEmailAddress: true },
    };
    const lines = formatDoctor(await runDoctor(mm, { teamId: TEST.teamId, allowedOrigins: ['https://a.example', 'https://c.example'] }));
    const failed = lines.filter((l) => l.startsWith('FAIL'));
    assert.equal(failed.length, 6, lines.join('\n'));
    assert.ok(failed.some((l) => l.includes('email addresses hidden')));
    assert.ok(failed.some((l) => l.includes('user access tokens')));
    assert.ok(failed.some((l) => l.includes('https://c.example')));
    assert.ok(failed.some((l) => l.includes('open server')));
    assert.ok(failed.some((l) => l.includes('direct messages')));
  });
});
