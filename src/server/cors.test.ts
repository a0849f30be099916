import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeEnv, postSession, TEST, testCompanion } from './test-support.js';

describe('CORS', () => {
  it('gives an allowed origin its CORS headers', async () => {
    const { companion } = testCompanion();
    const res = await postSession(companion);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin);
    assert.equal(res.headers.get('Access-Control-Allow-Credentials'), 'true');
    assert.match(res.headers.get('Vary') ?? '', /Origin/);
  });

  it('answers the preflight of an allowed origin', async () => {
    const { companion } = testCompanion();
    const res = await companion.fetch(
      new Request('http://companion.test/v1/session', {
        method: 'OPTIONS',
        headers: {
          Origin: TEST.origin,
          'Access-Control-Request-Method': 'DELETE',
          'Access-Control-Request-Headers': 'authorization, content-type',
        },
      }),
      nodeEnv('203.0.113.9'),
    );
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin);
    assert.equal(res.headers.get('Access-Control-Allow-Credentials'), 'true');
    assert.match(res.headers.get('Access-Control-Allow-Methods') ?? '', /POST.*DELETE/);
    assert.match(res.headers.get('Access-Control-Allow-Headers') ?? '', /Content-Type.*Authorization/);
  });

  it('refuses any other origin with 403 and no CORS header, preflight included', async () => {
    const { companion, mm } = testCompanion();
    for (const origin of ['https://evil.example', 'https://shop.example.com.evil.example', 'http://shop.example.com', 'null']) {
      const res = await postSession(companion, { origin });
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
      assert.equal(res.headers.get('Access-Control-Allow-Credentials'), null);
      assert.equal((await res.json()).error.code, 'origin_not_allowed');
    }
    const pre = await companion.fetch(
      new Request('http://companion.test/v1/session', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } }),
    );
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('Access-Control-Allow-Origin'), null);
    assert.equal(mm.calls.get('createUser'), undefined, 'Mattermost was never touched');
  });

  it('lets requests without an Origin through (server to server)', async () => {
    const { companion } = testCompanion();
    const res = await postSession(companion, { origin: null });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
  });
});
