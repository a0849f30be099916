// The file routes of gateway mode over the in-memory Mattermost: upload limits checked before
// Mattermost sees a byte, files scoped to their conversation, and erasure taking them along.
// Run: node --import tsx --test src/server/gateway/file-routes.test.ts
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusCompanionMetrics } from '../metrics.js';
import { startTestGateway } from './test-support.js';

const png = (n = 64) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);

async function fixture(config: Parameters<typeof startTestGateway>[0] = {}) {
  const t = await startTestGateway({ ...config });
  /** A raw upload; `headers` override the defaults (set one to `null` to leave it out). */
  const upload = async (token: string, bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string | null> = {}) => {
    const h: Record<string, string> = {};
    const all: Record<string, string | null> = {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'image/png',
      'Content-Length': String(bytes.length),
      'X-Porthole-File-Name': encodeURIComponent('photo.png'),
      ...headers,
    };
    for (const [k, v] of Object.entries(all)) if (v !== null) h[k] = v;
    const res = await t.app.request('/v1/files', { method: 'POST', headers: h, body: bytes });
    const text = await res.text();
    return { res, status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const read = async (token: string, fileId: string) => {
    const res = await t.app.request(`/v1/files/${fileId}`, { headers: { Authorization: `Bearer ${token}` } });
    return { res, status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const uploads = () => t.mm.calls.filter((c) => c === 'uploadFile').length;
  return { ...t, upload, read, uploads };
}

describe('gateway files', () => {
  it('tells the upload limits in the session response', async () => {
    const t = await fixture({ config: { uploads: { maxBytes: 1234, types: ['image/*'] } } });
    const s = await t.session();
    assert.deepEqual(s.uploads, { maxBytes: 1234, types: ['image/*'] });
    const d = await fixture();
    assert.deepEqual((await d.session()).uploads, {
      maxBytes: 10_485_760,
      types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
    });
  });

  it('uploads, posts the file with a message, and serves the same bytes to this conversation only', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const bytes = png(300);
    const up = await t.upload(s.token, bytes, { 'X-Porthole-File-Name': encodeURIComponent('ça va.png') });
    assert.equal(up.status, 201, JSON.stringify(up.json));
    assert.deepEqual(up.json.file, { id: up.json.file.id, name: 'ça va.png', size: 300, type: 'image/png' });
    const fileId: string = up.json.file.id;
    assert.deepEqual(t.mm.files.get(fileId)!.bytes, bytes);

    // A message with only a file (empty text) carries it, in the answer and in the history.
    const sent = await t.call('POST', '/v1/messages', {
      token: s.token,
      body: { clientId: crypto.randomUUID(), text: '', fileIds: [fileId] },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.json));
    assert.deepEqual(sent.json.message.files, [{ id: fileId, name: 'ça va.png', size: 300, type: 'image/png' }]);
    const post = t.mm.posts.get(sent.json.message.id)!;
    assert.deepEqual(post.file_ids, [fileId]);
    const history = await t.call('GET', '/v1/messages', { token: s.token });
    assert.deepEqual(history.json.messages.at(-1).files, sent.json.message.files);

    const got = await t.read(s.token, fileId);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, bytes);
    assert.equal(got.res.headers.get('Content-Type'), 'image/png');
    assert.equal(got.res.headers.get('Content-Length'), '300');
    assert.equal(got.res.headers.get('X-Content-Type-Options'), 'nosniff');
    // Depends on the Authorization header: never kept by the browser (logout, erasure).
    assert.equal(got.res.headers.get('Cache-Control'), 'no-store');
    assert.equal(got.res.headers.get('Content-Disposition'), `attachment; filename="_a va.png"; filename*=UTF-8''%C3%A7a%20va.png`);

    // Another visitor: 404 for the file, 400 for attaching it.
    const other = await t.session({ name: 'Eve' });
    assert.equal((await t.read(other.token, fileId)).status, 404);
    const stolen = await t.call('POST', '/v1/messages', {
      token: other.token,
      body: { clientId: crypto.randomUUID(), text: 'mine', fileIds: [fileId] },
    });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.json.error.code, 'invalid_request');
    // Nor can the owner attach it a second time (Mattermost would drop it silently).
    const again = await t.call('POST', '/v1/messages', {
      token: s.token,
      body: { clientId: crypto.randomUUID(), text: 'again', fileIds: [fileId] },
    });
    assert.equal(again.status, 400);
    assert.match(again.json.error.message, /already attached/);
  });

  it("serves an agent's file of the thread, with its type made safe, and no other thread's", async () => {
    const t = await fixture();
    const agent = t.mm.addAgent('grace');
    const s = await t.session({ name: 'Ada' });
    const first = await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: crypto.randomUUID(), text: 'hi' } });
    const root = t.mm.posts.get(first.json.message.id)!.root_id;
    const html = new TextEncoder().encode('<script>alert(1)</script>');
    const { fileId } = t.mm.replyWithFile(agent, root, 'page.html', html, 'text/html');
    const history = await t.call('GET', '/v1/messages', { token: s.token });
    assert.deepEqual(history.json.messages.at(-1).files, [{ id: fileId, name: 'page.html', size: html.length, type: 'text/html' }]);
    const got = await t.read(s.token, fileId);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, html);
    assert.equal(got.res.headers.get('Content-Type'), 'application/octet-stream');
    assert.match(got.res.headers.get('Content-Disposition')!, /^attachment;/);

    // Another visitor's thread, and a visitor without a thread: 404.
    const other = await t.session({ name: 'Eve' });
    assert.equal((await t.read(other.token, fileId)).status, 404);
    await t.call('POST', '/v1/messages', { token: other.token, body: { clientId: crypto.randomUUID(), text: 'hello' } });
    assert.equal((await t.read(other.token, fileId)).status, 404);
    // Unknown and malformed ids: 404 too.
    assert.equal((await t.read(s.token, 'a'.repeat(26))).status, 404);
    assert.equal((await t.read(s.token, '..%2Fetc')).status, 404);
  });

  it('refuses too large, unlisted and disguised files before Mattermost sees a byte', async () => {
    const t = await fixture({ config: { uploads: { maxBytes: 100, types: ['image/png', 'text/plain'] } } });
    const s = await t.session();
    const big = await t.upload(s.token, png(101));
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'file_too_large');
    assert.match(big.json.error.message, /at most 100 bytes.*received Content-Length 101/);
    const pdf = await t.upload(s.token, png(10), { 'Content-Type': 'application/pdf', 'X-Porthole-File-Name': 'a.pdf' });
    assert.equal(pdf.status, 415);
    assert.equal(pdf.json.error.code, 'file_type_not_allowed');
    assert.match(pdf.json.error.message, /application\/pdf.*expected one of image\/png, text\/plain/);
    const disguised = await t.upload(s.token, png(10), { 'X-Porthole-File-Name': 'page.html' });
    assert.equal(disguised.status, 415);
    assert.match(disguised.json.error.message, /extension stands for text\/html/);
    // An extension Mattermost would type otherwise than declared, unknown to the companion, or none.
    for (const name of ['invoice.exe', 'a.hta', 'a.xht', 'a.shtml', 'noext']) {
      const unknown = await t.upload(s.token, png(10), { 'X-Porthole-File-Name': name });
      assert.equal(unknown.status, 415, name);
      assert.equal(unknown.json.error.code, 'file_type_not_allowed');
      assert.match(unknown.json.error.message, /extension must be one of \.png, \.txt, \.log \(received .*declared: image\/png\)/);
    }
    const none = await t.upload(s.token, png(10), { 'Content-Type': null });
    assert.equal(none.status, 415);
    assert.equal((await t.upload(s.token, png(10), { 'Content-Length': null })).status, 411);
    assert.equal((await t.upload(s.token, new Uint8Array(0))).status, 400);
    for (const name of [
      '',
      '..',
      'a/b.png',
      'a\\b.png',
      encodeURIComponent('a\u0000.png'),
      '%E0%A4%A',
      encodeURIComponent('x'.repeat(256)),
    ]) {
      const bad = await t.upload(s.token, png(10), { 'X-Porthole-File-Name': name });
      assert.equal(bad.status, 400, `name ${JSON.stringify(name)}`);
      assert.equal(bad.json.error.code, 'invalid_request');
    }
    assert.equal((await t.upload('not-a-token', png(10))).status, 401);
    assert.equal(t.uploads(), 0, 'Mattermost was asked to store a refused file');
    assert.equal(t.mm.files.size, 0);
  });

  it('cuts off a body longer than its Content-Length says', async () => {
    const t = await fixture({ config: { uploads: { maxBytes: 1000, types: ['image/png'] } } });
    const s = await t.session();
    const lying = await t.upload(s.token, png(5000), { 'Content-Length': '100' });
    assert.equal(lying.status, 413);
    assert.match(lying.json.error.message, /more than the announced 100 bytes/);
    assert.equal(t.mm.files.size, 0);
  });

  it('limits uploads per conversation and minute', async () => {
    const t = await fixture({ config: { uploadsPerMinute: 2 } });
    const s = await t.session();
    assert.equal((await t.upload(s.token, png())).status, 201);
    assert.equal((await t.upload(s.token, png())).status, 201);
    const third = await t.upload(s.token, png());
    assert.equal(third.status, 429);
    assert.ok(Number(third.res.headers.get('Retry-After')) >= 1);
    // Another conversation has its own budget.
    assert.equal((await t.upload((await t.session()).token, png())).status, 201);
  });

  it('counts uploads and their bytes in the metrics', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'gateway', redis: false, defaultMetrics: false });
    const t = await fixture({ deps: { metrics } });
    const s = await t.session();
    await t.upload(s.token, png(100));
    await t.upload(s.token, png(50));
    await t.upload(s.token, png(10), { 'Content-Type': 'application/zip', 'X-Porthole-File-Name': 'a.zip' });
    const text = await metrics.scrape();
    assert.match(text, /^porthole_files_uploaded_total 2$/m);
    assert.match(text, /^porthole_file_upload_bytes_total 150$/m);
  });

  it("passes on Mattermost's own lower limit as 413", async () => {
    const t = await fixture();
    t.mm.maxFileSize = 50;
    const s = await t.session();
    const up = await t.upload(s.token, png(60));
    assert.equal(up.status, 413);
    assert.equal(up.json.error.code, 'file_too_large');
  });

  it('validates fileIds on sends', async () => {
    const t = await fixture();
    const s = await t.session();
    const send = (body: unknown) => t.call('POST', '/v1/messages', { token: s.token, body });
    assert.equal((await send({ clientId: crypto.randomUUID(), text: '' })).status, 400);
    assert.equal((await send({ clientId: crypto.randomUUID(), text: ' ', fileIds: [] })).status, 400);
    const ids = Array.from({ length: 11 }, (_, i) => `${'f'.repeat(24)}${String(i).padStart(2, '0')}`);
    const tooMany = await send({ clientId: crypto.randomUUID(), text: 'x', fileIds: ids });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.json.error.message, /at most 10/);
    assert.equal((await send({ clientId: crypto.randomUUID(), text: 'x', fileIds: ['nope'] })).status, 400);
    const up = await t.upload(s.token, png());
    const twice = await send({ clientId: crypto.randomUUID(), text: 'x', fileIds: [up.json.file.id, up.json.file.id] });
    assert.equal(twice.status, 400);
    // A repeat of the same client id answers the first message, files included.
    const clientId = crypto.randomUUID();
    const first = await send({ clientId, text: 'x', fileIds: [up.json.file.id] });
    const repeat = await send({ clientId, text: 'x', fileIds: [up.json.file.id] });
    assert.equal(first.status, 201);
    assert.equal(repeat.status, 200);
    assert.deepEqual(repeat.json.message, first.json.message);
  });

  it('starts the thread at the first upload, and erasure deletes posted and never-posted files', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const posted = await t.upload(s.token, png());
    assert.ok(await t.store.getConversation(s.channelId), 'the upload did not start the conversation');
    const leftover = await t.upload(s.token, png());
    await t.call('POST', '/v1/messages', {
      token: s.token,
      body: { clientId: crypto.randomUUID(), text: 'see', fileIds: [posted.json.file.id] },
    });
    assert.equal(t.mm.files.size, 2);
    const erased = await t.call('DELETE', '/v1/conversation', { token: s.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    assert.equal(t.mm.files.has(posted.json.file.id), false);
    assert.equal(t.mm.files.has(leftover.json.file.id), false, 'a file uploaded but never posted survived the erasure');
    assert.deepEqual(await t.store.conversationFiles(s.channelId), []);
  });

  it('marks the files of a send found again in the thread (lost answer) as posted', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const up = await t.upload(s.token, png());
    const fileId: string = up.json.file.id;
    const clientId = crypto.randomUUID();
    // The send reached Mattermost (with the file) but its answer never reached the store.
    await t.store.markClientPostPending(s.channelId, clientId, Date.now());
    const conversation = (await t.store.getConversation(s.channelId))!;
    const bot = [...t.mm.users.values()].find((u) => u.is_bot)!;
    const asBot = t.mm.clientFor([...t.mm.tokens].find(([, id]) => id === bot.id)![0]);
    const saved = await asBot.createPost({
      channel_id: t.mm.channelId,
      root_id: conversation.rootPostId,
      message: 'see',
      props: { porthole_client_id: clientId },
      file_ids: [fileId],
    });
    const retry = await t.call('POST', '/v1/messages', { token: s.token, body: { clientId, text: 'see', fileIds: [fileId] } });
    assert.equal(retry.status, 200, JSON.stringify(retry.json));
    assert.equal(retry.json.message.id, saved.id);
    assert.equal((await t.store.getConversationFile(s.channelId, fileId))?.postId, saved.id, 'the file stayed unattached');
  });

  /** Starts an upload whose body is held after its first half until `finish()`; `uploading()` once Mattermost reads it. */
  async function heldUpload(t: Awaited<ReturnType<typeof fixture>>, token: string, bytes: Uint8Array<ArrayBuffer>) {
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
    ctrl.enqueue(bytes.slice(0, bytes.length / 2));
    const response = t.app.request('/v1/files', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'image/png',
        'Content-Length': String(bytes.length),
        'X-Porthole-File-Name': 'photo.png',
      },
      body,
      duplex: 'half',
    } as RequestInit);
    for (let i = 0; i < 200 && !t.mm.calls.includes('uploadFile'); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(t.mm.calls.includes('uploadFile'), 'the upload did not reach Mattermost');
    return {
      finish: async () => {
        ctrl.enqueue(bytes.slice(bytes.length / 2));
        ctrl.close();
        const res = await response;
        return { res, status: res.status, json: await res.json() };
      },
    };
  }

  it('deletes an upload that finishes after an erasure of its conversation (503 erasure_in_progress)', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const held = await heldUpload(t, s.token, png(100));
    // The erasure runs while the upload is under way: it finds no file to delete yet.
    const erased = await t.call('DELETE', '/v1/conversation', { token: s.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    const up = await held.finish();
    assert.equal(up.status, 503, JSON.stringify(up.json));
    assert.equal(up.json.error.code, 'erasure_in_progress');
    assert.equal(up.res.headers.get('Retry-After'), '5');
    assert.equal(t.mm.files.size, 0, 'the upload survived the erasure');
    assert.equal(
      [...t.mm.posts.values()].some((p) => p.props.porthole_erasure),
      false,
      'the post that took the file stayed',
    );
    assert.deepEqual(await t.store.conversationFiles(s.channelId), [], 'the erased conversation got a file record back');
  });

  it('deletes an upload that finishes while an erasure of its conversation is under way', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const held = await heldUpload(t, s.token, png(100));
    await t.store.markErasing(s.channelId, { startedAt: 1, revokedAt: 1 });
    const up = await held.finish();
    assert.equal(up.status, 503, JSON.stringify(up.json));
    assert.equal(up.res.headers.get('Retry-After'), '5');
    assert.equal(t.mm.files.size, 0, 'the upload survived the erasure');
    assert.equal(t.mm.calls.includes('deletePostPermanently'), true);
  });

  it('erasure deletes never-posted files also when agents deleted the thread', async () => {
    const t = await fixture();
    const s = await t.session({ name: 'Ada' });
    const leftover = await t.upload(s.token, png());
    const root = (await t.store.getConversation(s.channelId))!.rootPostId;
    t.mm.remove(root);
    const erased = await t.call('DELETE', '/v1/conversation', { token: s.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    assert.equal(t.mm.files.has(leftover.json.file.id), false, 'a file uploaded but never posted survived the erasure');
    assert.equal(
      [...t.mm.posts.values()].some((p) => p.props.porthole_erasure),
      false,
      'the gathering post stayed',
    );
  });
});
