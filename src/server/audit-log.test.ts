import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { auditLine, configLoadedEvent, createAuditLog, noAuditLog, type AuditEvent } from './audit-log.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-audit-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const AT = new Date('2026-01-02T03:04:05.678Z');
const event: AuditEvent = {
  action: 'session.identified',
  actor: 'visitor:abc',
  subject: 'conv123',
  requestId: 'req-12345678',
  outcome: 'ok',
  detail: { mode: 'gateway', returning: false },
};

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('auditLine', () => {
  it('is one JSON line: at first, then action, actor, subject, requestId, outcome, detail', () => {
    const line = auditLine(event, AT);
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line');
    const parsed = JSON.parse(line);
    assert.deepEqual(Object.keys(parsed), ['at', 'action', 'actor', 'subject', 'requestId', 'outcome', 'detail']);
    assert.deepEqual(parsed, { at: '2026-01-02T03:04:05.678Z', ...event });
  });

  it('leaves out subject, requestId and detail when absent', () => {
    const parsed = JSON.parse(auditLine({ action: 'doctor.run', actor: 'operator:cli', outcome: 'failed' }, AT));
    assert.deepEqual(Object.keys(parsed), ['at', 'action', 'actor', 'outcome']);
  });

  it('drops secret-looking and text-carrying detail keys, keeps ids and counts', () => {
    const parsed = JSON.parse(
      auditLine(
        {
          ...event,
          detail: {
            token: 'tok-value',
            accessToken: 'x',
            cookieSecret: 'y',
            password: 'p',
            Authorization: 'Bearer z',
            identity: 'jwt',
            text: 'hello',
            message: 'hi',
            email: 'a@example.com',
            tokenIds: ['id1', 'id2'],
            revoked: 2,
            reason: 'expired',
          },
        },
        AT,
      ),
    );
    assert.deepEqual(parsed.detail, { tokenIds: ['id1', 'id2'], revoked: 2, reason: 'expired' });
    const raw = auditLine({ ...event, detail: { token: 'tok-value', email: 'a@example.com', text: 'hello' } }, AT);
    for (const leaked of ['tok-value', 'a@example.com', 'hello']) assert.ok(!raw.includes(leaked), `${leaked} is not written`);
  });
});

describe('createAuditLog (file)', () => {
  it('creates the file (and its directory) with mode 0600 and appends one line per event', async () => {
    const file = path.join(tempDir(), 'nested', 'audit.jsonl');
    const audit = createAuditLog(file, { now: () => AT });
    audit.record(event);
    audit.record({ action: 'doctor.run', actor: 'operator:cli', outcome: 'ok', detail: { failed: 0 } });
    await audit.close();
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      lines(file).map((l) => l.action),
      ['session.identified', 'doctor.run'],
    );

    // A second sink (another process, a restart) appends; it never truncates.
    const again = createAuditLog(file, () => AT);
    again.record({ ...event, outcome: 'failed' });
    await again.close();
    assert.deepEqual(
      lines(file).map((l) => l.outcome),
      ['ok', 'ok', 'failed'],
    );
  });

  it('keeps writing at the start of a file truncated under it (logrotate copytruncate)', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const audit = createAuditLog(file, { now: () => AT });
    audit.record(event);
    audit.record(event);
    fs.copyFileSync(file, `${file}.1`);
    fs.truncateSync(file, 0);
    audit.record({ ...event, subject: 'after-rotation' });
    await audit.close();
    const content = fs.readFileSync(file, 'utf8');
    assert.ok(!content.includes('\u0000'), 'no hole of NUL bytes before the new line');
    assert.deepEqual(
      lines(file).map((l) => l.subject),
      ['after-rotation'],
    );
    assert.equal(lines(`${file}.1`).length, 2);
  });

  it('close is idempotent, and records after close are dropped', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const audit = createAuditLog(file);
    audit.record(event);
    await audit.close();
    await audit.close();
    audit.record(event);
    assert.equal(lines(file).length, 1);
  });

  it('reports a failed write and goes on (the action is not undone by its audit line)', { skip: !fs.existsSync('/dev/full') }, async () => {
    const errors: unknown[] = [];
    // Every write to /dev/full fails with ENOSPC, like a full disk.
    const audit = createAuditLog('/dev/full', { onError: (err) => errors.push(err) });
    assert.doesNotThrow(() => audit.record(event));
    await audit.close();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
  });

  it('throws at creation when the file cannot be opened, naming the path', () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    fs.writeFileSync(file, '');
    assert.throws(() => createAuditLog(path.join(file, 'below-a-file', 'audit.jsonl')), /ENOTDIR|EEXIST/);
  });
});

describe('createAuditLog (stdout)', () => {
  it('writes JSON lines on stdout', async () => {
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const audit = createAuditLog('stdout', { now: () => AT });
      audit.record({ action: 'doctor.run', actor: 'operator:cli', outcome: 'ok', detail: { failed: 0, token: 'nope' } });
      await audit.close();
    } finally {
      process.stdout.write = write;
    }
    assert.equal(written.length, 1);
    assert.ok(written[0]!.endsWith('\n'), 'one line');
    assert.deepEqual(JSON.parse(written[0]!), {
      at: AT.toISOString(),
      action: 'doctor.run',
      actor: 'operator:cli',
      outcome: 'ok',
      detail: { failed: 0 },
    });
  });

  it('noAuditLog records nothing and closes', async () => {
    noAuditLog.record(event);
    await noAuditLog.close();
  });
});

describe('configLoadedEvent', () => {
  it('lists the PORTHOLE_* variables set, secrets redacted, unknown ones by name only', () => {
    const recorded = configLoadedEvent(
      {
        PORTHOLE_MODE: 'gateway',
        PORTHOLE_MM_URL: 'https://admin:hunter2@chat.example.com',
        PORTHOLE_MM_TOKEN: 'mm-token-value-000000000000',
        PORTHOLE_BOT_TOKEN: 'bot-token-value-00000000000',
        PORTHOLE_TOKEN_SECRET: 'token-secret-value-0000000000000000',
        PORTHOLE_COOKIE_SECRET: 'cookie-secret-value-000000000000000',
        PORTHOLE_REDIS_URL: 'redis://:redispass@redis:6379',
        PORTHOLE_METRICS_TOKEN: 'metrics-token-value-00000000',
        PORTHOLE_ALLOWED_ORIGINS: 'https://www.example.com',
        PORTHOLE_TEAM_ID: 'team',
        PORTHOLE_TOKN_SECRET: 'typo-value',
        PORTHOLE_PORT: '',
        HOME: '/root',
      },
      { mode: 'gateway', production: true },
    );
    assert.equal(recorded.action, 'config.loaded');
    assert.equal(recorded.outcome, 'ok');
    assert.deepEqual(recorded.detail, {
      mode: 'gateway',
      production: true,
      variables: [
        'PORTHOLE_ALLOWED_ORIGINS=https://www.example.com',
        'PORTHOLE_BOT_TOKEN=[redacted]',
        'PORTHOLE_COOKIE_SECRET=[redacted]',
        'PORTHOLE_METRICS_TOKEN=[redacted]',
        'PORTHOLE_MM_TOKEN=[redacted]',
        'PORTHOLE_MM_URL=https://[redacted]@chat.example.com',
        'PORTHOLE_MODE=gateway',
        'PORTHOLE_REDIS_URL=[redacted]',
        'PORTHOLE_TEAM_ID=team',
        'PORTHOLE_TOKEN_SECRET=[redacted]',
      ],
      unknown: ['PORTHOLE_TOKN_SECRET'],
    });
    const line = auditLine(recorded, AT);
    for (const secret of [
      'hunter2',
      'mm-token-value',
      'bot-token-value',
      'token-secret-value',
      'cookie-secret',
      'redispass',
      'metrics-token',
      'typo-value',
    ])
      assert.ok(!line.includes(secret), `${secret} is not written`);
  });
});
