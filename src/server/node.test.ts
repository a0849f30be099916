import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRouteHandlers } from './next.js';
import { serve } from './node.js';
import { TEST, testCompanion } from './test-support.js';

describe('adapters', () => {
  it('serve() runs the companion on Node and the socket address feeds the rate limit', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 1 });
    const running = await serve(companion, { port: 0, host: '127.0.0.1' });
    try {
      const health = await fetch(`${running.url}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const post = () => fetch(`${running.url}/v1/session`, { method: 'POST', headers: { Origin: TEST.origin } });
      assert.equal((await post()).status, 200);
      assert.equal((await post()).status, 429);
    } finally {
      await running.close();
    }
  });

  it('toRouteHandlers strips the base path (Next.js route handlers)', async () => {
    const { companion } = testCompanion({ trustProxy: true });
    const { POST, GET } = toRouteHandlers(companion, { basePath: '/api/porthole' });
    assert.equal((await GET(new Request('http://site.test/api/porthole/healthz'))).status, 200);
    const res = await POST(
      new Request('http://site.test/api/porthole/v1/session', {
        method: 'POST',
        headers: { Origin: TEST.origin, 'Content-Type': 'application/json', 'X-Forwarded-For': '192.0.2.1' },
        body: JSON.stringify({ name: 'Grace' }),
      }),
    );
    assert.equal(res.status, 200);
    assert.ok((await res.json()).token);
  });
});
