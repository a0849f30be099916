// toRouteHandlers given a function: the companion is created on the first request, once, and a
// creation that throws (missing variables at runtime) is tried again on the next request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, createCompanion, loadConfig } from './index.js';
import { toRouteHandlers } from './next.js';
import { TEST, testCompanion } from './test-support.js';

const health = () => new Request('http://site.test/api/porthole/healthz');

describe('toRouteHandlers(() => companion)', () => {
  it('creates nothing until the first request, then one companion for every method', async () => {
    let calls = 0;
    const handlers = toRouteHandlers(
      () => {
        calls++;
        return testCompanion().companion;
      },
      { basePath: '/api/porthole' },
    );
    assert.equal(calls, 0, 'nothing is created at import (what `next build` evaluates)');
    assert.equal((await handlers.GET(health())).status, 200);
    const preflight = await handlers.OPTIONS(
      new Request('http://site.test/api/porthole/v1/session', {
        method: 'OPTIONS',
        headers: { Origin: TEST.origin, 'Access-Control-Request-Method': 'POST' },
      }),
    );
    assert.equal(preflight.headers.get('access-control-allow-origin'), TEST.origin);
    assert.equal((await handlers.GET(health())).status, 200);
    assert.equal(calls, 1, 'the companion is kept after the first request');
  });

  it('keeps no failure: a request without the variables rejects, and the next one creates the companion', async () => {
    let configured = false;
    let calls = 0;
    const { GET } = toRouteHandlers(() => {
      calls++;
      return configured ? testCompanion().companion : createCompanion(loadConfig({}));
    });
    await assert.rejects(GET(new Request('http://site.test/healthz')), ConfigError);
    configured = true;
    assert.equal((await GET(new Request('http://site.test/healthz'))).status, 200);
    assert.equal((await GET(new Request('http://site.test/healthz'))).status, 200);
    assert.equal(calls, 2, 'the failed creation was tried again once, then kept');
  });
});
