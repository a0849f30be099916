// Upload settings (both modes), the type matcher and the file-name rules.
// Run: node --import tsx --test src/server/uploads.test.ts
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './companion-config.js';
import { ConfigError } from './config.js';
import { fileSizeCheck, gatewayFileCheck } from './doctor.js';
import { postSession, testCompanion } from './test-support.js';
import { attachmentDisposition, DEFAULT_UPLOAD_LIMITS, mediaType, parseFileName, refusedType, servedType, typeAllowed } from './uploads.js';

const gatewayEnv = {
  PORTHOLE_MM_URL: 'http://mm:8065',
  PORTHOLE_MM_TOKEN: 'a'.repeat(26),
  PORTHOLE_SUPPORT_CHANNEL_ID: 'b'.repeat(26),
  PORTHOLE_TOKEN_SECRET: 't'.repeat(32),
  PORTHOLE_COOKIE_SECRET: 'c'.repeat(32),
  PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com',
};
const directEnv = {
  PORTHOLE_MODE: 'direct',
  PORTHOLE_MM_URL: 'http://mm:8065',
  PORTHOLE_MM_TOKEN: 'a'.repeat(26),
  PORTHOLE_TEAM_ID: 'd'.repeat(26),
  PORTHOLE_AGENT_IDS: 'e'.repeat(26),
  PORTHOLE_INBOX_CHANNEL_ID: 'f'.repeat(26),
  PORTHOLE_COOKIE_SECRET: 'c'.repeat(32),
  PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('upload settings', () => {
  it('default to 10 MiB of common images, PDF and plain text (no SVG), in both modes', () => {
    for (const env of [gatewayEnv, directEnv]) {
      const config = loadConfig(env);
      assert.deepEqual(config.uploads, DEFAULT_UPLOAD_LIMITS);
      assert.equal(config.uploads!.maxBytes, 10_485_760);
      assert.equal(typeAllowed('image/svg+xml', config.uploads!.types), false);
    }
    const gateway = loadConfig(gatewayEnv);
    assert.equal(gateway.mode === 'gateway' && gateway.uploadsPerMinute, 10);
  });

  it('read PORTHOLE_MAX_UPLOAD_BYTES, PORTHOLE_UPLOAD_TYPES and PORTHOLE_UPLOADS_PER_MINUTE', () => {
    const config = loadConfig({
      ...gatewayEnv,
      PORTHOLE_MAX_UPLOAD_BYTES: '2048',
      PORTHOLE_UPLOAD_TYPES: ' Image/*, application/pdf ,image/png,',
      PORTHOLE_UPLOADS_PER_MINUTE: '3',
    });
    assert.deepEqual(config.uploads, { maxBytes: 2048, types: ['image/*', 'application/pdf', 'image/png'] });
    assert.equal(config.mode === 'gateway' && config.uploadsPerMinute, 3);
    assert.deepEqual(loadConfig({ ...directEnv, PORTHOLE_UPLOAD_TYPES: 'text/plain' }).uploads!.types, ['text/plain']);
  });

  it('say what was expected and what was received', () => {
    for (const env of [gatewayEnv, directEnv]) {
      assert.deepEqual(
        problems({ ...env, PORTHOLE_MAX_UPLOAD_BYTES: '0' }).filter((p) => p.startsWith('PORTHOLE_MAX_UPLOAD_BYTES')),
        ['PORTHOLE_MAX_UPLOAD_BYTES: must be at least 1 (received "0")'],
      );
      assert.deepEqual(
        problems({ ...env, PORTHOLE_MAX_UPLOAD_BYTES: '104857601' }).filter((p) => p.startsWith('PORTHOLE_MAX_UPLOAD_BYTES')),
        ['PORTHOLE_MAX_UPLOAD_BYTES: must be at most 104857600 (100 MiB) (received "104857601")'],
      );
      assert.deepEqual(
        problems({ ...env, PORTHOLE_MAX_UPLOAD_BYTES: '10MB' }).filter((p) => p.startsWith('PORTHOLE_MAX_UPLOAD_BYTES')),
        ['PORTHOLE_MAX_UPLOAD_BYTES: must be a whole number of bytes (received "10MB")'],
      );
      assert.deepEqual(
        problems({ ...env, PORTHOLE_UPLOAD_TYPES: 'image/png,pdf' }).filter((p) => p.startsWith('PORTHOLE_UPLOAD_TYPES')),
        [
          'PORTHOLE_UPLOAD_TYPES: every entry must be a MIME type such as image/png, or a whole type such as image/* (received "image/png,pdf")',
        ],
      );
      assert.deepEqual(
        problems({ ...env, PORTHOLE_UPLOAD_TYPES: ',' }).filter((p) => p.startsWith('PORTHOLE_UPLOAD_TYPES')),
        ['PORTHOLE_UPLOAD_TYPES: must list at least one MIME type, e.g. image/png,application/pdf (received ",")'],
      );
    }
  });
});

describe('type matching', () => {
  it('matches exact types and whole top-level types, case-insensitively, without parameters', () => {
    assert.equal(typeAllowed('image/png', ['image/*']), true);
    assert.equal(typeAllowed('IMAGE/PNG', ['image/png']), true);
    assert.equal(typeAllowed('image/png', ['image/jpeg']), false);
    assert.equal(typeAllowed('imagex/png', ['image/*']), false);
    assert.equal(mediaType('text/plain; charset=utf-8'), 'text/plain');
    assert.equal(mediaType('nonsense'), undefined);
    assert.equal(mediaType(undefined), undefined);
  });

  it('refuses a name whose extension stands for a type that is not allowed', () => {
    const limits = { maxBytes: 10, types: ['image/*', 'text/plain'] };
    assert.equal(refusedType('image/png', 'a.png', limits), undefined);
    // An extension the table does not know, or none: Mattermost would not store it as the declared type.
    for (const name of ['invoice.exe', 'a.hta', 'a.xht', 'a.shtml', 'noext', 'trailing.'])
      assert.match(refusedType('image/png', name, limits)!, /extension must be one of \.png.*\(received .*declared: image\/png\)/, name);
    assert.match(refusedType('image/png', 'noext', limits)!, /received a name without an extension/);
    assert.match(refusedType('image/png', 'a.exe', limits)!, /received the extension "\.exe"/);
    // Only an explicitly listed application/octet-stream takes them (application/* does not).
    const octet = { maxBytes: 10, types: ['image/png', 'application/octet-stream'] };
    assert.equal(refusedType('image/png', 'noext', octet), undefined);
    assert.equal(refusedType('application/octet-stream', 'invoice.exe', octet), undefined);
    assert.match(refusedType('application/zip', 'a.bin', { maxBytes: 10, types: ['application/*'] })!, /extension must be/);
    assert.match(refusedType('image/png', 'a.html', octet)!, /extension stands for text\/html/);
    assert.equal(refusedType('text/plain', 'notes.log', limits), undefined);
    assert.match(refusedType('image/png', 'page.HTML', limits)!, /extension stands for text\/html/);
    // image/* would take SVG by its extension: a declared PNG named .svg is refused only when SVG is not listed.
    assert.equal(refusedType('image/png', 'x.svg', limits), undefined);
    assert.match(refusedType('image/png', 'x.svg', DEFAULT_UPLOAD_LIMITS)!, /image\/svg\+xml/);
    assert.match(refusedType(undefined, 'a.png', limits)!, /Expected a "Content-Type"/);
  });

  it('serves only inert types as they are', () => {
    assert.equal(servedType('image/png'), 'image/png');
    assert.equal(servedType('text/plain'), 'text/plain; charset=utf-8');
    assert.equal(servedType('text/html'), 'application/octet-stream');
    assert.equal(servedType('image/svg+xml'), 'application/octet-stream');
  });
});

describe('file names', () => {
  it('decodes names and refuses separators, control characters and bad lengths', () => {
    assert.deepEqual(parseFileName(encodeURIComponent('Relevé n°1.pdf')), { ok: true, name: 'Relevé n°1.pdf' });
    for (const bad of [
      undefined,
      '',
      '%E0%A4%A',
      encodeURIComponent('a/b'),
      encodeURIComponent('a\\b'),
      encodeURIComponent('a\nb'),
      '..',
      encodeURIComponent('x'.repeat(256)),
    ])
      assert.equal(parseFileName(bad).ok, false, `accepted ${JSON.stringify(bad)}`);
    // 255 characters, but 1,020 bytes: Mattermost's URL limit and the disk refuse it (414 / 500).
    assert.match(
      (parseFileName(encodeURIComponent('😀'.repeat(255))) as { problem: string }).problem,
      /at most 255 bytes in UTF-8 \(received 255 characters, 1020 bytes\)/,
    );
    assert.equal(parseFileName(encodeURIComponent('é'.repeat(127))).ok, true);
  });

  it('writes Content-Disposition with an ASCII fallback and the UTF-8 name', () => {
    assert.equal(attachmentDisposition('a "b";c.txt'), `attachment; filename="a _b__c.txt"; filename*=UTF-8''a%20%22b%22%3Bc.txt`);
    assert.equal(attachmentDisposition("l'été.png"), `attachment; filename="l'_t_.png"; filename*=UTF-8''l%27%C3%A9t%C3%A9.png`);
  });
});

describe('doctor (direct): file size', () => {
  it("WARNs when Mattermost's MaxFileSize is above PORTHOLE_MAX_UPLOAD_BYTES", () => {
    const above = fileSizeCheck(104_857_600, DEFAULT_UPLOAD_LIMITS);
    assert.equal(above.ok, true);
    assert.equal(above.warning, true);
    assert.match(above.detail, /MaxFileSize=104857600 is more than PORTHOLE_MAX_UPLOAD_BYTES=10485760/);
    assert.equal(fileSizeCheck(10_485_760, DEFAULT_UPLOAD_LIMITS).warning, undefined);
    assert.equal(fileSizeCheck(undefined, DEFAULT_UPLOAD_LIMITS).warning, true);
  });

  it('gateway: WARNs when Mattermost takes no attachments or smaller files than the companion', () => {
    assert.match(
      gatewayFileCheck({ EnableFileAttachments: false, MaxFileSize: 1e9 }, DEFAULT_UPLOAD_LIMITS).detail,
      /EnableFileAttachments=false/,
    );
    const small = gatewayFileCheck({ EnableFileAttachments: true, MaxFileSize: 1000 }, DEFAULT_UPLOAD_LIMITS);
    assert.equal(small.warning, true);
    assert.match(small.detail, /MaxFileSize=1000 is less than PORTHOLE_MAX_UPLOAD_BYTES=10485760/);
    assert.equal(gatewayFileCheck({ EnableFileAttachments: true, MaxFileSize: 10_485_760 }, DEFAULT_UPLOAD_LIMITS).warning, undefined);
  });
});

describe('direct mode: the session answer', () => {
  it('tells the upload limits, so the widget refuses early', async () => {
    const { companion } = testCompanion({ uploads: { maxBytes: 4096, types: ['image/*'] } });
    const body = await (await postSession(companion)).json();
    assert.deepEqual(body.uploads, { maxBytes: 4096, types: ['image/*'] });
  });
});
