import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { OpenApiChecker, type OpenApiDocumentLike } from './openapi-checker.js';
import { createCompanion, type Companion } from './app.js';
import type { GatewayCompanionConfig } from './companion-config.js';
import { MemoryGatewayStore } from './gateway/memory-store.js';
import { MemoryMattermost, testGatewayConfig } from './gateway/test-support.js';
import { silentLogger } from './logger.js';
import { createOpenApiDocument, OPENAPI_PATH } from './openapi.js';
import { cookieOf, nodeEnv, postSession, TEST, testCompanion, testConfig } from './test-support.js';

const METRICS_TOKEN = 'metrics-token-metrics-token-0123';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** A gateway-mode companion over an in-memory Mattermost and store (not started unless asked). */
function gatewayCompanion(overrides: Partial<GatewayCompanionConfig> = {}) {
  const mm = new MemoryMattermost();
  const config = {
    ...testConfig(),
    ...testGatewayConfig({ adminToken: mm.adminToken, supportChannelId: mm.channelId }),
    mode: 'gateway',
    ...overrides,
  } as GatewayCompanionConfig;
  const companion = createCompanion(config, {
    logger: silentLogger,
    gateway: {
      store: new MemoryGatewayStore(),
      mattermost: (token) => mm.clientFor(token),
      connectWaitMs: 0,
      botSocket: { minBackoffMs: 60_000 },
    },
  });
  return { companion, mm };
}

/** `METHOD /path` of every route the app answers (Hono's `app.routes`, without middleware-only entries). */
function servedRoutes(companion: Companion): Set<string> {
  const routes = new Set<string>();
  for (const r of companion.app.routes) {
    if (r.method === 'ALL' || r.method === 'OPTIONS' || r.path.includes('*')) continue;
    routes.add(`${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}')}`);
  }
  return routes;
}

/** `METHOD /path` of every operation in the document. */
function documentedRoutes(doc: OpenApiDocumentLike): Set<string> {
  const routes = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const method of METHODS) if (item?.[method]) routes.add(`${method.toUpperCase()} ${path}`);
  return routes;
}

async function served(companion: Companion): Promise<OpenApiDocumentLike> {
  const res = await companion.fetch(new Request(`http://companion.test${OPENAPI_PATH}`));
  assert.equal(res.status, 200);
  return (await res.json()) as OpenApiDocumentLike;
}

const configurations = [
  { name: 'gateway', make: () => gatewayCompanion().companion },
  { name: 'gateway with /metrics', make: () => gatewayCompanion({ metricsToken: METRICS_TOKEN }).companion },
  { name: 'direct', make: () => testCompanion().companion },
  { name: 'direct with /metrics', make: () => testCompanion({ metricsToken: METRICS_TOKEN }).companion },
];

describe('GET /openapi.json covers every HTTP route, in both modes', () => {
  for (const { name, make } of configurations) {
    it(`${name}: every route the app serves is in the document, and the document lists nothing else`, async () => {
      const companion = make();
      try {
        const doc = await served(companion);
        const app = servedRoutes(companion);
        const documented = documentedRoutes(doc);
        const missing = [...app].filter((r) => !documented.has(r));
        const extra = [...documented].filter((r) => !app.has(r));
        assert.deepEqual(missing, [], `served but not in /openapi.json: ${missing.join(', ')} (add them to src/server/openapi.ts)`);
        assert.deepEqual(extra, [], `in /openapi.json but not served: ${extra.join(', ')}`);
        assert.ok(app.has('GET /openapi.json') && app.has('GET /healthz') && app.has('POST /v1/session'), [...app].join(', '));
        assert.equal(app.has('GET /metrics'), name.endsWith('/metrics'), 'GET /metrics only when PORTHOLE_METRICS_TOKEN is set');
      } finally {
        await companion.stop();
      }
    });
  }

  it('the route walk sees what it must: a route added to the app alone is reported missing', async () => {
    const companion = testCompanion().companion;
    companion.app.get('/v1/extra/:id', (c) => c.text('x'));
    const documented = documentedRoutes(await served(companion));
    const missing = [...servedRoutes(companion)].filter((r) => !documented.has(r));
    assert.deepEqual(missing, ['GET /v1/extra/{id}']);
  });
});

describe('a served path asked with a method it does not take', () => {
  it('answers 405 with Allow (schemathesis checks it: unsupported_method, allow_header_conformance); an unknown path stays 404', async () => {
    const { companion } = testCompanion();
    const put = await companion.fetch(new Request('http://companion.test/v1/session', { method: 'PUT' }));
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('Allow'), 'DELETE, POST');
    assert.deepEqual(((await put.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
    const post = await companion.fetch(new Request('http://companion.test/healthz', { method: 'POST' }));
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('Allow'), 'GET, HEAD');
    assert.equal((await companion.fetch(new Request('http://companion.test/nope', { method: 'PUT' }))).status, 404);
    assert.equal((await companion.fetch(new Request('http://companion.test/healthz', { method: 'HEAD' }))).status, 200);
  });
});

describe('the document', () => {
  it('is OpenAPI 3.1 with a bearer scheme per mode, the visitor cookie, and the /v1/live frames beside the paths (gateway)', () => {
    const gateway = createOpenApiDocument({ mode: 'gateway', metrics: true });
    assert.equal(gateway.openapi, '3.1.0');
    assert.deepEqual(Object.keys(gateway.components?.securitySchemes ?? {}).sort(), ['metricsToken', 'portholeToken', 'visitorCookie']);
    assert.deepEqual(gateway.paths?.['/v1/agents']?.get?.security, [{ portholeToken: [] }]);
    const live = gateway['x-porthole-live'] as { path: string; closeCodes: Record<string, number> };
    assert.equal(live.path, '/v1/live');
    assert.equal(live.closeCodes.unauthorized, 4401);
    assert.ok(gateway.components?.schemas?.LiveClientFrame && gateway.components.schemas.LiveServerFrame);

    const direct = createOpenApiDocument({ mode: 'direct', metrics: false });
    assert.deepEqual(Object.keys(direct.components?.securitySchemes ?? {}).sort(), ['visitorCookie', 'visitorToken']);
    assert.equal(direct['x-porthole-live'], undefined, 'direct mode has no socket of its own');
    assert.equal(direct.paths?.['/v1/messages'], undefined);
  });

  it("is generated from the routes' own schemas: the request body forbids unknown fields and limits what the route limits", () => {
    const doc = createOpenApiDocument({ mode: 'gateway', metrics: false });
    const body = doc.paths?.['/v1/session']?.post?.requestBody as { content: Record<string, { schema: any }> };
    const schema = body.content['application/json']!.schema;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['identity', 'name', 'page']);
    assert.equal(schema.properties.page.maxLength, 2048);
    const query = (doc.paths?.['/v1/messages']?.get?.parameters ?? []) as { name: string; in: string }[];
    assert.deepEqual(
      query.map((p) => `${p.in}:${p.name}`),
      ['query:per_page', 'query:before', 'query:since'],
    );
  });

  it('every 429 requires Retry-After; every response documents X-Request-Id', () => {
    for (const mode of ['gateway', 'direct'] as const) {
      const doc = createOpenApiDocument({ mode, metrics: true });
      for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const method of METHODS) {
          const op = item?.[method];
          if (!op) continue;
          for (const [status, response] of Object.entries(op.responses ?? {})) {
            const headers = (response as { headers?: Record<string, { required?: boolean }> }).headers ?? {};
            assert.equal(headers['X-Request-Id']?.required, true, `${mode} ${method} ${path} ${status}: X-Request-Id`);
            if (status === '429') assert.equal(headers['Retry-After']?.required, true, `${mode} ${method} ${path} 429: Retry-After`);
          }
        }
    }
  });
});

describe('the checker (openapi-checker.ts) fails on what breaks the document', () => {
  const checker = new OpenApiChecker(createOpenApiDocument({ mode: 'gateway', metrics: false }) as OpenApiDocumentLike);
  const headers = { 'Content-Type': 'application/json', 'X-Request-Id': randomUUID() };

  it('an undocumented status', async () => {
    await assert.rejects(
      checker.check('GET', '/healthz', new Response('{}', { status: 418, headers })),
      /status 418 is not documented for GET \/healthz \(documented: 200, 403\)/,
    );
  });
  it('a body with a wrong or an extra field, or the wrong content type', async () => {
    await assert.rejects(checker.check('GET', '/healthz', new Response('{"status":"down"}', { headers })), /does not match the schema/);
    await assert.rejects(
      checker.check('GET', '/healthz', new Response('{"status":"ok","extra":1}', { headers })),
      /must NOT have additional properties/,
    );
    await assert.rejects(
      checker.check('GET', '/healthz', new Response('ok', { headers: { ...headers, 'Content-Type': 'text/plain' } })),
      /Content-Type "text\/plain" is not documented/,
    );
  });
  it('a missing required header, and a body where none is documented', async () => {
    await assert.rejects(
      checker.check('GET', '/healthz', new Response('{"status":"ok"}', { headers: { 'Content-Type': 'application/json' } })),
      /required header X-Request-Id is missing/,
    );
    await assert.rejects(
      // A 204 with a body (fetch's Response refuses to build one; a broken proxy may still send it).
      checker.check('POST', '/v1/typing', { status: 204, headers: new Headers(headers), text: async () => '{}' } as Response),
      /documents no body/,
    );
  });
  it('accepts what conforms', async () => {
    assert.deepEqual((await checker.check('GET', '/healthz', new Response('{"status":"ok"}', { headers }))).body, { status: 'ok' });
  });
});

describe('real responses of the in-memory companion conform (the integration suite does the same on the real Mattermost)', () => {
  it('direct mode: sessions, logout, bad bodies, bad tokens, a refused origin, the document itself', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 1000 });
    const checker = new OpenApiChecker(await served(companion));
    const fetchJson = (method: string, path: string, init: RequestInit = {}) =>
      companion.fetch(new Request(`http://companion.test${path}`, { method, ...init }), nodeEnv('203.0.113.9'));

    const created = await postSession(companion, { body: { name: 'Ada' } });
    const cookie = cookieOf(created);
    const session = (await checker.check('POST', '/v1/session', created)).body as { token: string };
    assert.equal((await checker.check('POST', '/v1/session', await postSession(companion, { cookie }))).status, 200);
    assert.equal((await checker.check('POST', '/v1/session', await postSession(companion, { rawBody: '[1]' }))).status, 400);
    assert.equal((await checker.check('POST', '/v1/session', await postSession(companion, { body: { nope: 1 } }))).status, 400);
    assert.equal(
      (
        await checker.check(
          'POST',
          '/v1/session',
          await postSession(companion, { rawBody: '{}', headers: { 'Content-Type': 'text/plain' } }),
        )
      ).status,
      415,
    );
    assert.equal(
      (await checker.check('POST', '/v1/session', await postSession(companion, { rawBody: `{"name":"${'x'.repeat(5000)}"}` }))).status,
      413,
    );
    assert.equal((await checker.check('POST', '/v1/session', await postSession(companion, { body: { identity: 'a.b.c' } }))).status, 401);
    assert.equal(
      (await checker.check('POST', '/v1/session', await postSession(companion, { origin: 'https://evil.example' }))).status,
      403,
    );
    assert.equal((await checker.check('DELETE', '/v1/session', await fetchJson('DELETE', '/v1/session'))).status, 401);
    assert.equal(
      (
        await checker.check(
          'DELETE',
          '/v1/session',
          await fetchJson('DELETE', '/v1/session', { headers: { Authorization: `Bearer ${session.token}` } }),
        )
      ).status,
      204,
    );
    assert.equal((await checker.check('GET', '/healthz', await fetchJson('GET', '/healthz'))).status, 200);
    assert.equal((await checker.check('GET', '/readyz', await fetchJson('GET', '/readyz'))).status, 200);
    const doc = await fetchJson('GET', OPENAPI_PATH, { headers: { Origin: TEST.origin } });
    assert.equal(doc.headers.get('Access-Control-Allow-Origin'), TEST.origin);
    assert.equal(doc.headers.get('Cache-Control'), 'public, max-age=300');
    assert.equal((await checker.check('GET', OPENAPI_PATH, doc)).status, 200);
    assert.equal(
      (await checker.check('GET', OPENAPI_PATH, await fetchJson('GET', OPENAPI_PATH, { headers: { Origin: 'null' } }))).status,
      403,
    );
    await companion.stop();
  });

  it('gateway mode: the visitor API, before and after start', async () => {
    const { companion } = gatewayCompanion({ rateLimitPerMinute: 1000 });
    try {
      const checker = new OpenApiChecker(await served(companion));
      const call = (method: string, path: string, init: { token?: string; body?: unknown; raw?: string } = {}) =>
        companion.fetch(
          new Request(`http://companion.test${path}`, {
            method,
            headers: {
              Origin: TEST.origin,
              ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
              ...(init.body !== undefined || init.raw !== undefined ? { 'Content-Type': 'application/json' } : {}),
            },
            body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
          }),
          nodeEnv('203.0.113.10'),
        );
      const { token } = (await checker.check('POST', '/v1/session', await call('POST', '/v1/session'))).body as { token: string };
      // Before start(): 503 gateway_starting, with Retry-After.
      assert.equal((await checker.check('GET', '/v1/agents', await call('GET', '/v1/agents', { token }))).status, 503);
      assert.equal((await checker.check('GET', '/readyz', await call('GET', '/readyz'))).status, 503);
      await companion.start();
      const sent = await call('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'hello' } });
      assert.equal((await checker.check('POST', '/v1/messages', sent)).status, 201);
      assert.equal((await checker.check('GET', '/v1/messages', await call('GET', '/v1/messages?per_page=5', { token }))).status, 200);
      assert.equal((await checker.check('GET', '/v1/messages', await call('GET', '/v1/messages?per_page=0', { token }))).status, 400);
      assert.equal((await checker.check('GET', '/v1/messages', await call('GET', '/v1/messages'))).status, 401);
      assert.equal((await checker.check('POST', '/v1/typing', await call('POST', '/v1/typing', { token }))).status, 204);
      assert.equal((await checker.check('GET', '/v1/agents', await call('GET', '/v1/agents', { token }))).status, 200);
      assert.equal((await checker.check('POST', '/v1/messages', await call('POST', '/v1/messages', { token, raw: '{' }))).status, 400);
      // U+0000: Mattermost's database refuses it (POST /posts → 500); refused here, before it is asked.
      const nul = await call('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'a\u0000b' } });
      const refused = (await checker.check('POST', '/v1/messages', nul)).body as { error: { code: string; message: string } };
      assert.equal(refused.error.code, 'invalid_body');
      assert.match(refused.error.message, /U\+0000/);
      assert.equal((await checker.check('POST', '/v1/messages', await call('POST', '/v1/messages', { token: `${token}x` }))).status, 401);
      assert.equal((await checker.check('DELETE', '/v1/session', await call('DELETE', '/v1/session', { token }))).status, 204);
      assert.equal((await checker.check('GET', '/v1/agents', await call('GET', '/v1/agents', { token }))).status, 401);
    } finally {
      await companion.stop();
    }
  });
});
