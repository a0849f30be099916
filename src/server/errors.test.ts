import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { createErrorHandler, HttpError } from './errors.js';
import { MattermostError } from './mattermost-admin.js';
import { captureLogger } from './test-support.js';

const REQUEST_ID = 'req-0123456789';

/** A bare Hono app with only the request id and the error handler: what routes throw is all that decides the answer. */
function appWith(production: boolean) {
  const app = new Hono<{ Variables: { requestId: string } }>();
  const log = captureLogger();
  app.onError(createErrorHandler({ production, logger: log, maxBodyBytes: 16 }));
  app.use('*', async (c, next) => {
    c.set('requestId', REQUEST_ID);
    await next();
  });
  return { app, log };
}

describe('createErrorHandler', () => {
  it('turns an HTTPException thrown by middleware into the JSON body, keeping its message and headers', async () => {
    const { app } = appWith(false);
    app.use('/private/*', async () => {
      throw new HTTPException(401, {
        message: 'Expected a bearer token.',
        res: new Response('Unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="porthole"', 'Content-Type': 'text/plain' } }),
      });
    });
    app.get('/private/x', (c) => c.text('never'));
    const res = await app.request('/private/x');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('WWW-Authenticate'), 'Bearer realm="porthole"');
    assert.match(res.headers.get('Content-Type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('Cache-Control'), 'no-store');
    assert.deepEqual(await res.json(), { error: { code: 'unauthorized', message: 'Expected a bearer token.', requestId: REQUEST_ID } });
  });

  it('gives an HTTPException without a message the message of its status', async () => {
    const { app } = appWith(false);
    app.get('/x', () => {
      throw new HTTPException(405);
    });
    const body = await (await app.request('/x')).json();
    assert.deepEqual(body, {
      error: { code: 'method_not_allowed', message: 'This route does not accept that method.', requestId: REQUEST_ID },
    });
  });

  it("answers the 413 of Hono's bodyLimit with body_too_large, whether the size is declared or streamed", async () => {
    const { app } = appWith(false);
    app.post('/upload', bodyLimit({ maxSize: 16 }), (c) => c.text('never'));
    const expected = { error: { code: 'body_too_large', message: 'The request body must be at most 16 bytes.', requestId: REQUEST_ID } };

    const declared = await app.request('/upload', { method: 'POST', body: 'x'.repeat(17), headers: { 'Content-Length': '17' } });
    assert.equal(declared.status, 413);
    assert.deepEqual(await declared.json(), expected);

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'.repeat(10)));
        controller.enqueue(new TextEncoder().encode('x'.repeat(10)));
        controller.close();
      },
    });
    const streamed = await app.request('/upload', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.deepEqual(await streamed.json(), expected);
  });

  it('names the limit of the route when maxBodyBytes is a function of the request', async () => {
    const app = new Hono();
    app.onError(
      createErrorHandler({ production: false, logger: captureLogger(), maxBodyBytes: (c) => (c.req.path === '/small' ? 8 : undefined) }),
    );
    app.post('/small', bodyLimit({ maxSize: 8 }), (c) => c.text('never'));
    app.post('/other', bodyLimit({ maxSize: 8 }), (c) => c.text('never'));
    const small = await (await app.request('/small', { method: 'POST', body: 'x'.repeat(9), headers: { 'Content-Length': '9' } })).json();
    assert.equal(small.error.message, 'The request body must be at most 8 bytes.');
    const other = await (await app.request('/other', { method: 'POST', body: 'x'.repeat(9), headers: { 'Content-Length': '9' } })).json();
    assert.deepEqual([other.error.code, other.error.message], ['body_too_large', 'The request body is too large.']);
  });

  it('maps a MattermostError thrown from a route without try/catch', async () => {
    const { app, log } = appWith(false);
    let next: MattermostError = new MattermostError(0, undefined, 'connect ECONNREFUSED 10.0.0.5:8065');
    app.get('/mm', () => {
      throw next;
    });
    const cases: [MattermostError, number, string, string | null][] = [
      [new MattermostError(0, undefined, 'connect ECONNREFUSED 10.0.0.5:8065'), 503, 'mattermost_unavailable', '10'],
      [new MattermostError(502, undefined, 'Mattermost GET /users/me → 502'), 503, 'mattermost_unavailable', '10'],
      [new MattermostError(504, undefined, 'Mattermost GET /users/me → 504'), 503, 'mattermost_unavailable', '10'],
      [new MattermostError(400, 'api.user.create_user.user_limits.exceeded', 'limit'), 503, 'capacity_reached', '300'],
      [new MattermostError(500, 'store.sql_user.save.app_error', 'db exploded'), 502, 'mattermost_error', null],
    ];
    for (const [err, status, code, retryAfter] of cases) {
      next = err;
      const res = await app.request('/mm');
      assert.equal(res.status, status, err.message);
      assert.equal(res.headers.get('Retry-After'), retryAfter, err.message);
      const body = await res.json();
      assert.equal(body.error.code, code);
      assert.equal(body.error.requestId, REQUEST_ID);
      assert.equal(body.error.detail, err.message, "Mattermost's text is in detail, outside production");
      assert.ok(!body.error.message.includes(err.message), 'and never in the message');
    }
    assert.equal(log.entries.filter((e) => e.msg === 'request failed').length, cases.length, 'every 5xx is logged');
  });

  it('hides detail and internals in production', async () => {
    const { app, log } = appWith(true);
    app.get('/mm', () => {
      throw new MattermostError(500, 'store.sql_user.save.app_error', 'pq: duplicate key at db.internal:5432');
    });
    app.get('/bug', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app.js:12");
    });
    app.get('/hono', () => {
      throw new HTTPException(500, { message: 'template engine failed at /srv/views' });
    });
    app.get('/ours', () => {
      throw new HttpError(503, 'mattermost_unavailable', 'The chat server is unreachable.', { detail: 'mm.internal:8065 refused' });
    });
    for (const path of ['/mm', '/bug', '/hono', '/ours']) {
      const res = await app.request(path);
      const text = await res.text();
      const body = JSON.parse(text);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'requestId'], path);
      assert.equal(body.error.message, 'The chat service could not complete the request. Try again later.', path);
      for (const leak of ['pq:', 'db.internal', 'store.sql', '/srv/', 'Cannot read', 'mm.internal'])
        assert.ok(!text.includes(leak), `${path} leaked ${leak}: ${text}`);
    }
    assert.ok(log.text().includes('db.internal'), 'the operator still finds the cause in the log');
  });

  it("keeps the companion's own 4xx message in production", async () => {
    const { app } = appWith(true);
    app.get('/x', () => {
      throw new HttpError(400, 'invalid_body', 'Expected a JSON object; received an array.');
    });
    const body = await (await app.request('/x')).json();
    assert.deepEqual(body, {
      error: { code: 'invalid_body', message: 'Expected a JSON object; received an array.', requestId: REQUEST_ID },
    });
  });

  it('HttpError is an HTTPException, so a Hono app without our handler keeps its status', async () => {
    const err = new HttpError(429, 'rate_limited', 'slow down', { headers: { 'Retry-After': '3' } });
    assert.ok(err instanceof HTTPException);
    assert.equal(err.status, 429);
    const bare = new Hono();
    bare.get('/x', () => {
      throw err;
    });
    assert.equal((await bare.request('/x')).status, 429);
  });
});
