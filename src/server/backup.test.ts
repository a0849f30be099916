import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BackupError, backupStore, formatBytes, parseBackupArgs, runBackupCommand } from './backup.js';
import { SQLITE_FILE, SqliteGatewayStore } from './gateway/sqlite-store.js';
import type { ConversationRecord } from './gateway/store.js';

const record = (n: number): ConversationRecord => ({
  conversationId: `conv-${n}`,
  visitorUserId: `anon:${n}`,
  rootPostId: `root${String(n).padStart(22, '0')}`,
  channelId: 'c'.repeat(26),
  createdAt: 1_700_000_000_000 + n,
  name: `Visitor ${n}`,
});

describe('backupStore', () => {
  let tmp: string;
  let dataDir: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-backup-'));
    dataDir = path.join(tmp, 'data');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('copies a store that is open while another connection writes, into one self-contained 0600 file a store opens again', async () => {
    const store = SqliteGatewayStore.open(dataDir);
    try {
      for (let n = 0; n < 50; n++) await store.insertConversation(record(n));
      await store.setSecret('bot-token:abc', 'the-bots-token');
      await store.revokeTokens('conv-3', 1234);
      // A second connection (another companion on the host) writes while the backup runs.
      const writer = new Database(path.join(dataDir, SQLITE_FILE));
      const insert = writer.prepare(
        'INSERT INTO conversations (conversation_id, visitor_user_id, root_post_id, channel_id, created_at, name) VALUES (?, ?, ?, ?, ?, ?)',
      );
      let n = 50;
      const busy = setInterval(() => {
        const r = record(n++);
        insert.run(r.conversationId, r.visitorUserId, r.rootPostId, r.channelId, r.createdAt, r.name);
      }, 1);
      const file = path.join(tmp, 'backup.sqlite');
      let result;
      try {
        result = await backupStore({ dataDir, file });
      } finally {
        clearInterval(busy);
        writer.close();
      }
      assert.equal(result.file, file);
      assert.equal(result.source, path.join(dataDir, SQLITE_FILE));
      assert.equal(result.bytes, fs.statSync(file).size);
      assert.ok(
        result.conversations >= 50 && result.conversations <= n,
        `between the 50 written before and all ${n}: ${result.conversations}`,
      );
      const live = new Database(path.join(dataDir, SQLITE_FILE));
      assert.equal(result.schemaVersion, live.pragma('user_version', { simple: true }), 'the schema version of the store');
      live.close();
      assert.ok(result.schemaVersion >= 1);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the copy holds the bot token: 0600');
      assert.deepEqual(fs.readdirSync(tmp).sort(), ['backup.sqlite', 'data'], 'no -wal, -shm or partial file next to the copy');

      // Restore: the copy, alone, as the store of a new data directory.
      const restoredDir = path.join(tmp, 'restored');
      fs.mkdirSync(restoredDir, { mode: 0o700 });
      fs.copyFileSync(file, path.join(restoredDir, SQLITE_FILE));
      const restored = SqliteGatewayStore.open(restoredDir);
      try {
        assert.deepEqual(await restored.getConversation('conv-7'), record(7));
        assert.deepEqual(await restored.findConversationByRoot(record(49).rootPostId), record(49));
        assert.equal(await restored.getSecret('bot-token:abc'), 'the-bots-token');
        assert.equal(await restored.getRevokedBefore('conv-3'), 1234);
        // One snapshot: exactly the conversations written before it, none torn or missing.
        for (let k = 0; k < result.conversations; k++) assert.ok(await restored.getConversation(`conv-${k}`), `conv-${k} is in the copy`);
        assert.equal(await restored.getConversation(`conv-${result.conversations}`), undefined);
      } finally {
        await restored.close();
      }
    } finally {
      await store.close();
    }
  });

  it('leaves no -wal or -shm file in the data directory when no companion has the store open', async () => {
    const store = SqliteGatewayStore.open(dataDir);
    await store.insertConversation(record(1));
    await store.close();
    assert.deepEqual(fs.readdirSync(dataDir), [SQLITE_FILE]);
    await backupStore({ dataDir, file: path.join(tmp, 'b.sqlite') });
    assert.deepEqual(fs.readdirSync(dataDir), [SQLITE_FILE], 'files owned by whoever ran the backup would lock the companion out');
  });

  it('refuses to overwrite a file without force, and replaces it with force', async () => {
    const store = SqliteGatewayStore.open(dataDir);
    await store.insertConversation(record(1));
    const file = path.join(tmp, 'b.sqlite');
    fs.writeFileSync(file, 'precious');
    await assert.rejects(backupStore({ dataDir, file }), (err: Error) => {
      assert.ok(err instanceof BackupError);
      assert.match(err.message, /already exists: choose another file, or pass --force/);
      return true;
    });
    assert.equal(fs.readFileSync(file, 'utf8'), 'precious');
    const result = await backupStore({ dataDir, file, force: true });
    assert.equal(result.conversations, 1);
    assert.equal(fs.readFileSync(file).subarray(0, 15).toString(), 'SQLite format 3');
    await store.close();
  });

  it('says what is missing: no store, no directory for the copy, the store itself as the target', async () => {
    await assert.rejects(
      backupStore({ dataDir, file: path.join(tmp, 'b.sqlite') }),
      /There is no gateway store at .*porthole-gateway\.sqlite/,
    );
    const store = SqliteGatewayStore.open(dataDir);
    await store.close();
    await assert.rejects(
      backupStore({ dataDir, file: path.join(tmp, 'nowhere', 'b.sqlite') }),
      /expected its directory .*nowhere to exist/,
    );
    await assert.rejects(backupStore({ dataDir, file: path.join(dataDir, SQLITE_FILE), force: true }), /is the store itself/);
  });

  it('refuses a SQLite file that is not a Porthole store, and leaves no partial file', async () => {
    fs.mkdirSync(dataDir);
    const other = new Database(path.join(dataDir, SQLITE_FILE));
    other.exec('CREATE TABLE t (x)');
    other.close();
    await assert.rejects(
      backupStore({ dataDir, file: path.join(tmp, 'b.sqlite') }),
      /not a Porthole gateway store: expected a "conversations" table/,
    );
    assert.deepEqual(fs.readdirSync(tmp), ['data']);
  });
});

describe('porthole-server backup (arguments and environment)', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-backup-cli-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = async (args: string[], env: Record<string, string>) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runBackupCommand(args, env, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) });
    return { code, stdout, stderr };
  };

  it('parses <file> [--force] and says what it expected', () => {
    assert.deepEqual(parseBackupArgs(['b.sqlite']), { file: 'b.sqlite', force: false });
    assert.deepEqual(parseBackupArgs(['--force', 'b.sqlite']), { file: 'b.sqlite', force: true });
    assert.throws(() => parseBackupArgs([]), /expected exactly one backup file \(received \[\]\)/);
    assert.throws(() => parseBackupArgs(['a', 'b']), /expected exactly one backup file/);
    assert.throws(() => parseBackupArgs(['a', '--yes']), /the only option is --force \(received \["a","--yes"\]\)/);
  });

  it('needs none of the secrets, reads PORTHOLE_DATA_DIR, and prints one line', async () => {
    const dataDir = path.join(tmp, 'data');
    const store = SqliteGatewayStore.open(dataDir);
    await store.insertConversation(record(1));
    await store.insertConversation(record(2));
    await store.close();
    const r = await run([path.join(tmp, 'b.sqlite')], { PORTHOLE_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.equal(r.stdout.length, 1);
    assert.match(
      r.stdout[0]!,
      /^backup: .*b\.sqlite: \d+\.\d KiB \(\d+ bytes\), 2 conversations, schema \d+, from .*porthole-gateway\.sqlite in \d+ ms$/,
    );
  });

  it('refuses direct mode, a Redis store and a bad mode, with what to do instead', async () => {
    const direct = await run(['b.sqlite'], { PORTHOLE_MODE: 'direct' });
    assert.equal(direct.code, 1);
    assert.match(direct.stderr[0]!, /Direct mode keeps no store/);
    const redis = await run(['b.sqlite'], { PORTHOLE_REDIS_URL: 'redis://:hunter2@redis:6379' });
    assert.equal(redis.code, 1);
    assert.match(redis.stderr[0]!, /the store is Redis, not SQLite: back up Redis's append-only file/);
    assert.ok(!redis.stderr.join('').includes('hunter2'), 'the Redis password is never printed');
    const badUrl = await run(['b.sqlite'], { PORTHOLE_REDIS_URL: 'http://x' });
    assert.equal(badUrl.code, 1);
    assert.match(badUrl.stderr[0]!, /PORTHOLE_REDIS_URL: must be a Redis URL/);
    const badMode = await run(['b.sqlite'], { PORTHOLE_MODE: 'sideways' });
    assert.match(badMode.stderr[0]!, /PORTHOLE_MODE: must be gateway or direct/);
    const noArgs = await run([], {});
    assert.match(noArgs.stderr[0]!, /usage: porthole-server backup <file> \[--force\]/);
  });

  it('is dispatched by the CLI (exit codes, stdout, stderr)', () => {
    const dataDir = path.join(tmp, 'data');
    fs.mkdirSync(dataDir);
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cli.ts'), 'backup', ...args], {
        env: { PATH: process.env.PATH ?? '', PORTHOLE_DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const missing = cli([path.join(tmp, 'b.sqlite')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^porthole-server backup: There is no gateway store at /);
    SqliteGatewayStore.open(dataDir).close();
    const ok = cli([path.join(tmp, 'b.sqlite')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^backup: .*0 conversations, schema \d+,/);
    const again = cli([path.join(tmp, 'b.sqlite')]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
  });

  it('formats sizes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(8192), '8.0 KiB');
    assert.equal(formatBytes(3.5 * 1024 * 1024), '3.5 MiB');
  });
});
