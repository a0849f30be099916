// Files in gateway mode against the REAL Mattermost: a visitor's upload goes through the companion
// to Mattermost (as the bot), is posted in the thread, comes back over REST and /v1/live with an
// agent's file; files stay in their conversation; refused uploads never reach Mattermost; a body
// longer than its Content-Length is cut off; erasure deletes never-posted uploads too.
// Run: PORTHOLE_MM_READY=1 flock -s /tmp/mm.lock node --import tsx --test test/integration/gateway-files.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { runGatewayDoctor } from '../../src/server/gateway/gateway-doctor.ts';
import { MattermostRestClient } from '../../src/server/gateway/mattermost-api.ts';
import { GatewayFixture, LiveTestClient, type ServedGateway } from '../../src/server/gateway/test-support.ts';

let mm: MattermostInfo;
let origin: string;
let fixture: GatewayFixture;
let companion: ServedGateway;
/** Uploads the companion asked Mattermost to store. */
let uploadsSent = 0;

const MAX = 64 * 1024;

function bytesOf(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = x = (x * 1103515245 + 12345) & 0xff;
  return out;
}

async function upload(token: string, body: Uint8Array<ArrayBuffer>, name: string, type = 'text/plain', url = companion.url) {
  const res = await fetch(`${url}/v1/files`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': type, 'X-Porthole-File-Name': encodeURIComponent(name), Origin: origin },
    body,
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function download(token: string, fileId: string) {
  const res = await fetch(`${companion.url}/v1/files/${fileId}`, { headers: { Authorization: `Bearer ${token}`, Origin: origin } });
  return { res, status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** One HTTP/1.1 request written by hand (a client that lies about its body), `tail` sent `delayMs` later; the raw answer. */
function rawRequest(url: string, head: string, body: Uint8Array, tail?: Uint8Array, delayMs = 0): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head);
      socket.write(body);
      if (tail) setTimeout(() => socket.writable && socket.write(tail), delayMs);
    });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    setTimeout(() => (socket.destroy(), answer ? resolve(answer) : reject(new Error('no answer'))), 5000);
  });
}

/** Whether Mattermost has a file of this exact name in the support team (the admin's search). */
async function mattermostHasFileNamed(name: string): Promise<boolean> {
  const found = await adminApi('POST', `/teams/${mm.teamId}/files/search`, { terms: `"${name}"`, is_or_search: false });
  return Object.values(found.file_infos ?? {}).some((f: any) => f.name === name);
}

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
  fixture = new GatewayFixture(mm);
  companion = await fixture.serve(
    { uploads: { maxBytes: MAX, types: ['text/plain', 'image/png'] }, uploadsPerMinute: 100 },
    {
      mattermost: (token) => {
        const client = new MattermostRestClient({ url: mm.url, token });
        const uploadFile = client.uploadFile.bind(client);
        client.uploadFile = (u) => {
          uploadsSent++;
          return uploadFile(u);
        };
        return client;
      },
    },
  );
});

after(() => fixture?.dispose());

describe('gateway files against the real Mattermost', () => {
  it("a visitor's upload and an agent's file travel both ways, and stay in their conversation", async () => {
    const { session, root, agent } = await fixture.conversation(companion, 0, 'Ada', 'I will send the invoice');
    const live = await LiveTestClient.ready(companion.url, session.token, origin);
    const mine = bytesOf(5000, 7);
    const up = await upload(session.token, mine, 'invoice ünïcode.txt');
    assert.equal(up.status, 201, JSON.stringify(up.json));
    const fileId: string = up.json.file.id;
    assert.deepEqual(up.json.file, { id: fileId, name: 'invoice ünïcode.txt', size: 5000, type: 'text/plain' });

    // Posted with a message (text may be empty): the post in Mattermost has the file.
    const sent = await fixture.visitor(companion).call('POST', '/v1/messages', {
      token: session.token,
      body: { clientId: randomUUID(), text: '', fileIds: [fileId] },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.json));
    assert.deepEqual(sent.json.message.files, [up.json.file]);
    const post = await adminApi('GET', `/posts/${sent.json.message.id}`);
    assert.deepEqual(post.file_ids, [fileId]);
    assert.equal(post.root_id, root);
    const info = await adminApi('GET', `/files/${fileId}/info`);
    assert.equal(info.post_id, post.id);
    assert.equal(info.size, 5000);

    // An agent posts a file in the thread from Mattermost.
    const theirs = bytesOf(3000, 9);
    const res = await fetch(`${mm.url}/api/v4/files?channel_id=${mm.inboxChannelId}&filename=answer.txt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${agent}` },
      body: theirs,
    });
    assert.equal(res.status, 201);
    const agentFile = ((await res.json()) as any).file_infos[0];
    const agentPost = await (
      await fetch(`${mm.url}/api/v4/posts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${agent}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel_id: mm.inboxChannelId, root_id: root, message: 'here you go', file_ids: [agentFile.id] }),
      })
    ).json();

    // Live: the frame of the agent's post carries the file (the bot's socket gets it with metadata).
    const frame = await live.next((f) => f.type === 'posted' && f.message.id === (agentPost as any).id);
    assert.equal(frame.type, 'posted');
    assert.deepEqual((frame as any).message.files, [{ id: agentFile.id, name: 'answer.txt', size: 3000, type: 'text/plain' }]);
    // And the visitor's own post with its file.
    const own = await live.next((f) => f.type === 'posted' && f.message.id === sent.json.message.id);
    assert.deepEqual((own as any).message.files, [up.json.file]);
    live.close();

    // REST: both files in the history.
    const history = await fixture.visitor(companion).call('GET', '/v1/messages', { token: session.token });
    const withFiles = history.json.messages.filter((m: any) => m.files);
    assert.deepEqual(
      withFiles.map((m: any) => m.files[0].id),
      [fileId, agentFile.id],
    );

    // The same bytes back, both files.
    const back = await download(session.token, fileId);
    assert.equal(back.status, 200);
    assert.deepEqual(back.bytes, mine);
    assert.equal(back.res.headers.get('Content-Type'), 'text/plain; charset=utf-8');
    assert.equal(back.res.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.match(back.res.headers.get('Content-Disposition')!, /^attachment; .*filename\*=UTF-8''invoice%20%C3%BCn%C3%AFcode\.txt$/);
    const agents = await download(session.token, agentFile.id);
    assert.equal(agents.status, 200);
    assert.deepEqual(agents.bytes, theirs);

    // Another visitor (with a thread of their own): 404 for both, and cannot attach them.
    const other = await fixture.visitor(companion).session({ name: 'Eve' });
    await fixture.visitor(companion).send(other.token, 'hello');
    assert.equal((await download(other.token, fileId)).status, 404);
    assert.equal((await download(other.token, agentFile.id)).status, 404);
    for (const id of [fileId, agentFile.id]) {
      const stolen = await fixture.visitor(companion).call('POST', '/v1/messages', {
        token: other.token,
        body: { clientId: randomUUID(), text: 'mine now', fileIds: [id] },
      });
      assert.equal(stolen.status, 400);
      assert.equal(stolen.json.error.code, 'invalid_request');
    }
  });

  it('refuses too large and unlisted files before Mattermost sees a byte', async () => {
    const s = await fixture.visitor(companion).session({ name: 'Big' });
    const before = uploadsSent;
    const bigName = `big-${randomUUID()}.txt`;
    const big = await upload(s.token, bytesOf(MAX + 1), bigName);
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'file_too_large');
    const pdfName = `doc-${randomUUID()}.pdf`;
    const pdf = await upload(s.token, bytesOf(100), pdfName, 'application/pdf');
    assert.equal(pdf.status, 415);
    assert.equal(pdf.json.error.code, 'file_type_not_allowed');
    // A header that announces 20 MB, and no body at all: answered at once.
    const answer = await rawRequest(
      companion.url,
      `POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: text/plain\r\nX-Porthole-File-Name: huge.txt\r\nContent-Length: 20000000\r\n\r\n`,
      new Uint8Array(0),
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    // A name of 255 characters but 1,020 bytes: Mattermost would answer 414 (MaximumURLLength).
    const emoji = await upload(s.token, bytesOf(10), '😀'.repeat(255));
    assert.equal(emoji.status, 400);
    assert.equal(uploadsSent, before, 'the companion sent a refused file to Mattermost');
    // The longest name accepted goes through.
    const longest = await upload(s.token, bytesOf(10), `${'é'.repeat(125)}.txt`);
    assert.equal(longest.status, 201, JSON.stringify(longest.json));
    assert.equal(longest.json.file.name, `${'é'.repeat(125)}.txt`);
    assert.equal(await mattermostHasFileNamed(bigName), false);
    assert.equal(await mattermostHasFileNamed(pdfName), false);
  });

  it('a file over the limit sent with a lying Content-Length is cut off at the announced length', async () => {
    const s = await fixture.visitor(companion).session({ name: 'Liar' });
    await fixture.visitor(companion).send(s.token, 'watch this');
    const head = (name: string) =>
      `POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: text/plain\r\nX-Porthole-File-Name: ${name}\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n`;
    const body = bytesOf(MAX * 3, 3);
    // All at once: Node's parser takes the bytes past Content-Length for a next request, refuses it
    // (400) and destroys the socket: whatever Mattermost got, never more than the announced 1000 bytes.
    const atOnceName = `lying-${randomUUID()}.txt`;
    const atOnce = await rawRequest(companion.url, head(atOnceName), body);
    assert.match(atOnce, /^HTTP\/1\.1 (201|400) /);
    const found = await adminApi('POST', `/teams/${mm.teamId}/files/search`, { terms: `"${atOnceName}"` });
    for (const f of Object.values(found.file_infos ?? {}) as any[]) assert.ok(f.size <= 1000, `Mattermost stored ${f.size} bytes`);
    // The excess a moment later: the upload is the announced 1000 bytes, the rest is refused.
    const name = `lying-${randomUUID()}.txt`;
    const answer = await rawRequest(companion.url, head(name), body.slice(0, 1000), body.slice(1000), 1500);
    assert.match(answer, /^HTTP\/1\.1 201 /);
    const fileId = /"id":"([a-z0-9]{26})"/.exec(answer)![1]!;
    const info = await adminApi('GET', `/files/${fileId}/info`);
    assert.equal(info.size, 1000, 'Mattermost stored more than the announced length');
    const back = await download(s.token, fileId);
    assert.deepEqual(back.bytes, body.slice(0, 1000));
  });

  it('doctor (gateway) reads FileSettings live: WARN when Mattermost takes smaller files than PORTHOLE_MAX_UPLOAD_BYTES', async () => {
    const maxFileSize = (await adminApi('GET', '/config')).FileSettings.MaxFileSize as number;
    const check = async (maxBytes: number) =>
      (await runGatewayDoctor(fixture.config({ uploads: { maxBytes, types: ['text/plain'] } }))).find((c) => c.name === 'file uploads');
    const over = await check(maxFileSize + 1);
    assert.equal(over?.warning, true);
    assert.match(over!.detail, new RegExp(`MaxFileSize=${maxFileSize} is less than PORTHOLE_MAX_UPLOAD_BYTES=${maxFileSize + 1}`));
    const within = await check(maxFileSize);
    assert.equal(within?.ok, true);
    assert.equal(within?.warning, undefined);
  });

  it("erasure deletes the conversation's files in Mattermost, the never-posted ones too", async () => {
    const s = await fixture.visitor(companion).session({ name: 'Forget me' });
    // The first upload, before any message, starts the thread.
    const leftover = await upload(s.token, bytesOf(200, 5), 'draft.txt');
    assert.equal(leftover.status, 201);
    const posted = await upload(s.token, bytesOf(300, 6), 'sent.txt');
    await fixture.visitor(companion).call('POST', '/v1/messages', {
      token: s.token,
      body: { clientId: randomUUID(), text: 'one file', fileIds: [posted.json.file.id] },
    });
    const erased = await fixture.visitor(companion).call('DELETE', '/v1/conversation', { token: s.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    for (const id of [leftover.json.file.id, posted.json.file.id]) {
      await assert.rejects(adminApi('GET', `/files/${id}/info`), /→ 404/, `file ${id} survived the erasure`);
    }
  });
});
