import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE, SqliteGatewayStore, StoreOpenError } from './sqlite-store.js';
import { describeGatewayStoreContract } from './store-contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-store-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describeGatewayStoreContract('SqliteGatewayStore', async () => SqliteGatewayStore.open(path.join(tempDir(), 'data')));

describe('SqliteGatewayStore on disk', () => {
  it('keeps its state across a reopen (a companion restart), in a private file', async () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const first = SqliteGatewayStore.open(dir);
    await first.insertConversation({ conversationId: 'a', visitorUserId: 'u', rootPostId: 'r', channelId: 'c', createdAt: 1, name: 'Ada' });
    await first.setClientPost('a', 'k', 'p', 2);
    await first.setSecret('bot-token', 'secret');
    await first.close();

    const second = SqliteGatewayStore.open(dir);
    assert.equal((await second.findConversationByRoot('r'))?.name, 'Ada');
    assert.equal((await second.getClientPost('a', 'k'))?.postId, 'p');
    assert.equal(await second.getSecret('bot-token'), 'secret');
    await second.close();
    assert.equal(fs.statSync(path.join(dir, SQLITE_FILE)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  });

  it('says which path it could not open', () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, 'not a directory');
    assert.throws(
      () => SqliteGatewayStore.open(path.join(file, 'data')),
      (err: unknown) => err instanceof StoreOpenError && err.message.includes(file) && /PORTHOLE_DATA_DIR/.test(err.message),
    );
  });

  it('migrates a version 1 file: its conversations enter the activity index from their creation', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, SQLITE_FILE));
    db.exec(`CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, visitor_user_id TEXT NOT NULL,
      root_post_id TEXT NOT NULL UNIQUE, channel_id TEXT NOT NULL, created_at INTEGER NOT NULL, name TEXT NOT NULL)`);
    db.prepare('INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?)').run('old', 'u', 'r', 'c', 500, 'Ada');
    db.pragma('user_version = 1');
    db.close();
    const store = SqliteGatewayStore.open(dir);
    try {
      assert.deepEqual(await store.idleConversations(501, 10), ['old']);
      assert.deepEqual(await store.idleConversations(500, 10), []);
      assert.equal(await store.deleteConversation('old'), 'deleted');
    } finally {
      await store.close();
    }
  });
});
