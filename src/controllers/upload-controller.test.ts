import { expect } from '@open-wc/testing';
import { settle } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { checkFile, MAX_FILES, typeAllowed, UploadController, type Attachment, type UploadLimits } from './upload-controller.js';

const LIMITS: UploadLimits = { maxBytes: 1000, types: ['image/*', 'application/pdf', 'text/plain'] };
const file = (name: string, size = 100, type = 'image/png') => new File([new Uint8Array(size)], name, { type });

function setup(server: MemoryTransport | null = new MemoryTransport(), limits: UploadLimits | null = LIMITS) {
  const host = new TestHost();
  const errors: Attachment[] = [];
  const uploads = new UploadController(host, {
    transport: () => server ?? undefined,
    limits: () => limits ?? undefined,
    onError: (a) => errors.push(a),
  });
  host.connect();
  return { host, uploads, server: server!, errors };
}

/** Waits until `ok()` (the memory transport's uploads step on macrotasks). */
async function until(ok: () => boolean, tries = 100): Promise<void> {
  for (let i = 0; i < tries && !ok(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(ok(), 'condition not reached').to.equal(true);
}

describe('UploadController', () => {
  it('matches types exactly or by major/*, case-insensitively, and never an empty type', () => {
    expect(typeAllowed('image/PNG', ['image/*'])).to.equal(true);
    expect(typeAllowed('application/pdf', ['Application/PDF'])).to.equal(true);
    expect(typeAllowed('text/plain;charset=utf-8', ['text/plain'])).to.equal(true);
    expect(typeAllowed('image/svg+xml', ['image/png', 'text/plain'])).to.equal(false);
    expect(typeAllowed('imagex/png', ['image/*'])).to.equal(false);
    expect(typeAllowed('', ['image/*'])).to.equal(false);
    expect(checkFile(file('a.png', 1001), LIMITS)).to.equal('too_large');
    expect(checkFile(file('a.png', 0), LIMITS)).to.equal('empty');
    expect(checkFile(file('a.heic', 10, 'image/heic'), { ...LIMITS, types: ['image/png'] })).to.equal('type');
    expect(checkFile(file('a.png', 1000), LIMITS)).to.equal(undefined);
  });

  it('refuses before sending a byte: a disallowed type, too large, empty — not retryable', async () => {
    const { uploads, server, errors } = setup();
    uploads.add([file('photo.heic', 10, 'application/x-heic'), file('big.png', 5000), file('empty.txt', 0, 'text/plain')]);
    await settle();
    expect(uploads.items.map((a) => [a.state, a.failure, a.retryable])).to.deep.equal([
      ['failed', 'type', false],
      ['failed', 'too_large', false],
      ['failed', 'empty', false],
    ]);
    expect(server.calls.filter((c) => c.startsWith('upload'))).to.deep.equal([]);
    expect(errors).to.have.length(3);
    expect(uploads.take()).to.equal(undefined);
  });

  it('uploads with progress, then hands the files over once and empties the list', async () => {
    const { uploads, server, host } = setup();
    const seen: number[] = [];
    uploads.add([file('a.png', 400)]);
    expect(uploads.busy).to.equal(true);
    expect(uploads.take(), 'nothing goes while uploading').to.equal(undefined);
    const before = host.updates;
    await until(() => {
      seen.push(uploads.items[0].sent);
      return uploads.items[0].state === 'done';
    });
    expect(host.updates - before).to.be.greaterThan(2);
    expect(new Set(seen).size, 'progress in steps').to.be.greaterThan(2);
    expect(uploads.items[0].sent).to.equal(400);
    const files = uploads.take()!;
    expect(files.map((f) => [f.name, f.size, f.type])).to.deep.equal([['a.png', 400, 'image/png']]);
    expect(server.files.has(files[0].id)).to.equal(true);
    expect(uploads.items).to.deep.equal([]);
  });

  it('uploads several files at once, at most MAX_FILES per message', async () => {
    const { uploads } = setup();
    uploads.add(Array.from({ length: MAX_FILES + 2 }, (_, i) => file(`f${i}.png`)));
    const many = uploads.items.filter((a) => a.failure === 'too_many');
    expect(many.map((a) => a.file.name)).to.deep.equal([`f${MAX_FILES}.png`, `f${MAX_FILES + 1}.png`]);
    await until(() => uploads.items.filter((a) => a.state === 'done').length === MAX_FILES);
    expect(uploads.take(), 'refused ones must be removed first').to.equal(undefined);
    for (const a of many) uploads.remove(a.key);
    expect(uploads.take()).to.have.length(MAX_FILES);
  });

  it('cancels an upload in flight: aborted, removed, its late result dropped', async () => {
    const server = new MemoryTransport();
    server.uploadPause = 0.5;
    const { uploads } = setup(server);
    uploads.add([file('a.png', 400)]);
    await until(() => uploads.items[0].sent === 200);
    uploads.cancel(uploads.items[0].key);
    server.releaseUpload();
    await settle();
    await new Promise((r) => setTimeout(r, 10));
    expect(uploads.items).to.deep.equal([]);
    expect(server.files.size, 'the aborted upload never completed').to.equal(0);
  });

  it('offers a retry for network trouble and a rate limit, not for a refusal', async () => {
    const server = new MemoryTransport();
    const { uploads } = setup(server);
    server.failNext('upload', 'network');
    server.failNext('upload', 'rate_limited');
    server.failNext('upload', 'rejected');
    uploads.add([file('a.png'), file('b.png'), file('c.png')]);
    await until(() => !uploads.busy);
    expect(uploads.items.map((a) => [a.file.name, a.failure, a.retryable])).to.deep.equal([
      ['a.png', 'network', true],
      ['b.png', 'rate_limited', true],
      ['c.png', 'refused', false],
    ]);
    uploads.retry(uploads.items[2].key); // not retryable: ignored
    expect(uploads.items[2].state).to.equal('failed');
    uploads.retry(uploads.items[0].key);
    expect(uploads.items[0].state).to.equal('uploading');
    await until(() => uploads.items[0].state === 'done');
  });

  it('offers nothing without limits (an older companion), and fails retryably without a transport', async () => {
    const none = setup(new MemoryTransport(), null);
    none.uploads.add([file('a.png')]);
    expect(none.uploads.items[0].failure).to.equal('refused');
    const noTransport = setup(null);
    noTransport.uploads.add([file('a.png')]);
    await until(() => !noTransport.uploads.busy);
    expect(noTransport.uploads.items[0].retryable).to.equal(true);
  });

  it('sends names with path separators or control characters with `_` in their place', async () => {
    const { uploads, server } = setup();
    uploads.add([file('a/b\\c\u0007.png')]);
    await until(() => uploads.items[0].state === 'done');
    expect([...server.files.values()].map((f) => f.file.name)).to.deep.equal(['a_b_c_.png']);
    expect(uploads.items[0].file.name, 'the visitor still sees the name as it was').to.equal('a/b\\c\u0007.png');
  });

  it('aborts every upload when the host goes away', async () => {
    const server = new MemoryTransport();
    server.uploadPause = 0.25;
    const { uploads, host } = setup(server);
    uploads.add([file('a.png'), file('b.png')]);
    await until(() => uploads.items.every((a) => a.sent > 0));
    host.disconnect();
    server.releaseUpload();
    await new Promise((r) => setTimeout(r, 20));
    expect(uploads.items).to.deep.equal([]);
    expect(server.files.size).to.equal(0);
  });
});
