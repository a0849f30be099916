// The one contract every GatewayStore meets, run by each implementation's test file
// (memory-store.test.ts, sqlite-store.test.ts; a Redis store adds its own line). Tests only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationRecord, GatewayStore } from './store.js';

/** A conversation record for tests: id `id`, thread `root`. */
export const conversation = (id: string, root: string): ConversationRecord => ({
  conversationId: id,
  visitorUserId: `u-${id}`,
  rootPostId: root,
  channelId: 'c'.repeat(26),
  createdAt: 1000,
  name: `Visitor ${id}`,
});

/** Registers the contract's tests for a store made fresh for each test by `open`. */
export function describeGatewayStoreContract(name: string, open: () => Promise<GatewayStore>): void {
  describe(`${name} meets the GatewayStore contract`, () => {
    const withStore = (fn: (store: GatewayStore) => Promise<void>) => async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    it(
      'maps a conversation both ways and keeps the first writer',
      withStore(async (store) => {
        assert.equal(await store.getConversation('a'), undefined);
        assert.deepEqual(await store.insertConversation(conversation('a', 'root-a')), conversation('a', 'root-a'));
        // A second writer (another request, another instance) gets the stored conversation back.
        assert.deepEqual(await store.insertConversation(conversation('a', 'root-b')), conversation('a', 'root-a'));
        assert.deepEqual(await store.getConversation('a'), conversation('a', 'root-a'));
        assert.deepEqual(await store.findConversationByRoot('root-a'), conversation('a', 'root-a'));
        assert.equal(await store.findConversationByRoot('root-b'), undefined);
      }),
    );

    it(
      'moves a conversation to a new root only from the expected one',
      withStore(async (store) => {
        await store.insertConversation(conversation('a', 'root-1'));
        const moved = await store.replaceConversationRoot(conversation('a', 'root-2'), 'root-1');
        assert.equal(moved.rootPostId, 'root-2');
        assert.equal(await store.findConversationByRoot('root-1'), undefined);
        assert.equal((await store.findConversationByRoot('root-2'))?.conversationId, 'a');
        // A stale writer that still thinks the root is root-1 changes nothing.
        assert.equal((await store.replaceConversationRoot(conversation('a', 'root-3'), 'root-1')).rootPostId, 'root-2');
      }),
    );

    it(
      'remembers client ids per conversation, pending first',
      withStore(async (store) => {
        assert.equal(await store.getClientPost('a', 'k1'), undefined);
        await store.markClientPostPending('a', 'k1', 10);
        assert.deepEqual(await store.getClientPost('a', 'k1'), { postId: undefined, at: 10 });
        await store.markClientPostPending('a', 'k1', 20);
        assert.deepEqual(await store.getClientPost('a', 'k1'), { postId: undefined, at: 10 });
        await store.setClientPost('a', 'k1', 'post-1', 30);
        assert.deepEqual(await store.getClientPost('a', 'k1'), { postId: 'post-1', at: 10 });
        await store.setClientPost('a', 'k2', 'post-2', 40);
        assert.deepEqual(await store.getClientPost('a', 'k2'), { postId: 'post-2', at: 40 });
        // Another conversation with the same client id sees nothing.
        assert.equal(await store.getClientPost('b', 'k1'), undefined);
      }),
    );

    it(
      'revocation times only move forward',
      withStore(async (store) => {
        assert.equal(await store.getRevokedBefore('a'), undefined);
        await store.revokeTokens('a', 500);
        await store.revokeTokens('a', 400);
        assert.equal(await store.getRevokedBefore('a'), 500);
        await store.revokeTokens('a', 600);
        assert.equal(await store.getRevokedBefore('a'), 600);
        assert.equal(await store.getRevokedBefore('b'), undefined);
      }),
    );

    it(
      'lists deletions of one thread after a time, oldest first, once each',
      withStore(async (store) => {
        const d = (postId: string, deletedAt: number) => ({ postId, userId: 'u', createAt: 5, deletedAt });
        await store.recordDeletion('root-a', d('p2', 200));
        await store.recordDeletion('root-a', d('p1', 100));
        await store.recordDeletion('root-a', d('p1', 300));
        await store.recordDeletion('root-b', d('p3', 150));
        assert.deepEqual(await store.deletionsSince('root-a', 0), [d('p1', 100), d('p2', 200)]);
        assert.deepEqual(await store.deletionsSince('root-a', 100), [d('p2', 200)]);
      }),
    );

    it(
      'indexes conversations by last activity, which only moves forward',
      withStore(async (store) => {
        await store.insertConversation(conversation('a', 'root-a'));
        await store.insertConversation(conversation('b', 'root-b'));
        assert.deepEqual(await store.idleConversations(1001, 10), ['a', 'b'], 'a new conversation is active at its creation');
        assert.deepEqual(await store.idleConversations(1000, 10), []);
        await store.touchConversation('a', 5000);
        await store.touchConversation('b', 3000);
        await store.touchConversation('a', 2000);
        await store.touchConversation('ghost', 100);
        assert.equal(await store.getActivity('a'), 5000);
        assert.equal(await store.getActivity('ghost'), undefined);
        assert.deepEqual(await store.idleConversations(4000, 10), ['b']);
        assert.deepEqual(await store.idleConversations(6000, 10), ['b', 'a'], 'least recently active first');
        assert.deepEqual(await store.idleConversations(6000, 1), ['b']);
        assert.equal(await store.getConversation('ghost'), undefined, 'touching creates nothing');
      }),
    );

    it(
      'forgets an erased conversation but keeps its revocation',
      withStore(async (store) => {
        await store.insertConversation(conversation('a', 'root-a'));
        await store.insertConversation(conversation('b', 'root-b'));
        await store.setClientPost('a', 'k1', 'post-1', 10);
        await store.markClientPostPending('a', 'k2', 11);
        await store.setClientPost('b', 'k1', 'post-9', 12);
        await store.recordDeletion('root-a', { postId: 'p1', userId: 'u', createAt: 5, deletedAt: 50 });
        await store.recordDeletion('root-b', { postId: 'p2', userId: 'u', createAt: 5, deletedAt: 60 });
        await store.revokeTokens('a', 700);
        await store.touchConversation('a', 2000);

        await store.markErasing('a', { startedAt: 690, revokedAt: 700 });
        assert.equal(await store.deleteConversation('a', 'root-a'), 'deleted');
        assert.equal(await store.getErasure('a'), undefined, 'the erasure marker goes with it');
        assert.equal(await store.getActivity('a'), undefined);
        assert.equal(await store.getConversation('a'), undefined);
        assert.equal(await store.findConversationByRoot('root-a'), undefined);
        assert.equal(await store.getClientPost('a', 'k1'), undefined);
        assert.equal(await store.getClientPost('a', 'k2'), undefined);
        assert.deepEqual(await store.deletionsSince('root-a', 0), []);
        assert.deepEqual(await store.idleConversations(10_000, 10), ['b']);
        assert.equal(await store.getRevokedBefore('a'), 700, 'old tokens stay revoked');
        // The other conversation is untouched.
        assert.deepEqual(await store.getConversation('b'), conversation('b', 'root-b'));
        assert.deepEqual(await store.getClientPost('b', 'k1'), { postId: 'post-9', at: 12 });
        assert.equal((await store.deletionsSince('root-b', 0)).length, 1);
        // Idempotent; and the same visitor can start again.
        assert.equal(await store.deleteConversation('a'), 'absent');
        assert.equal(await store.deleteConversation('never'), 'absent');
        assert.deepEqual(await store.insertConversation(conversation('a', 'root-new')), conversation('a', 'root-new'));
        assert.equal(await store.getClientPost('a', 'k1'), undefined);
      }),
    );

    it(
      'deletes a conversation only from the root it expects',
      withStore(async (store) => {
        await store.insertConversation(conversation('a', 'root-1'));
        await store.replaceConversationRoot(conversation('a', 'root-2'), 'root-1');
        await store.markErasing('a', { startedAt: 10, revokedAt: 11 });
        // The erasure deleted root-1, but a new thread started meanwhile: nothing is forgotten.
        assert.equal(await store.deleteConversation('a', 'root-1'), 'moved');
        assert.equal((await store.getConversation('a'))?.rootPostId, 'root-2');
        assert.equal((await store.findConversationByRoot('root-2'))?.conversationId, 'a');
        assert.equal(await store.getActivity('a'), 1000);
        assert.deepEqual(await store.getErasure('a'), { startedAt: 10, revokedAt: 11 });
        assert.equal(await store.deleteConversation('a', 'root-2'), 'deleted');
        assert.equal(await store.getConversation('a'), undefined);
        assert.equal(await store.getErasure('a'), undefined);
      }),
    );

    it(
      'keeps the first erasure marker until it is cleared',
      withStore(async (store) => {
        assert.equal(await store.getErasure('a'), undefined);
        assert.deepEqual(await store.markErasing('a', { startedAt: 100, revokedAt: 101 }), { startedAt: 100, revokedAt: 101 });
        // A resumed erasure keeps the first one's revocation time: the tokens it revoked may finish it.
        assert.deepEqual(await store.markErasing('a', { startedAt: 200, revokedAt: 201 }), { startedAt: 100, revokedAt: 101 });
        assert.deepEqual(await store.getErasure('a'), { startedAt: 100, revokedAt: 101 });
        assert.equal(await store.getErasure('b'), undefined);
        await store.clearErasure('a');
        assert.equal(await store.getErasure('a'), undefined);
        // With no conversation stored, deleting still removes the marker.
        await store.markErasing('a', { startedAt: 300, revokedAt: 301 });
        assert.equal(await store.deleteConversation('a', 'root-x'), 'absent');
        assert.equal(await store.getErasure('a'), undefined);
      }),
    );

    it(
      'queues messages per conversation in order, once per client id, and forgets them on dequeue and erasure',
      withStore(async (store) => {
        const m = (clientId: string, createAt: number) => ({ clientId, createAt, payload: JSON.stringify({ text: clientId }) });
        assert.deepEqual(await store.queuedConversations(10), []);
        assert.deepEqual(await store.queuedMessages('a', 10), []);
        assert.deepEqual(await store.enqueueMessage('a', m('k2', 20)), m('k2', 20));
        await store.enqueueMessage('a', m('k1', 10));
        await store.enqueueMessage('b', m('k1', 15));
        await store.enqueueMessage('a', m('k3', 5));
        // A repeat of a queued client id keeps the first (its place and its content).
        assert.deepEqual(await store.enqueueMessage('a', { ...m('k2', 99), payload: 'other' }), m('k2', 20));
        // The order is the order queued, not the times given.
        assert.deepEqual(await store.queuedMessages('a', 10), [m('k2', 20), m('k1', 10), m('k3', 5)]);
        assert.deepEqual(await store.queuedMessages('a', 2), [m('k2', 20), m('k1', 10)]);
        assert.deepEqual(await store.getQueuedMessage('a', 'k1'), m('k1', 10));
        assert.equal(await store.getQueuedMessage('a', 'k9'), undefined);
        assert.deepEqual(await store.queuedConversations(10), ['a', 'b']);
        assert.deepEqual(await store.queuedConversations(1), ['a']);
        assert.deepEqual(await store.queuedConversations(1, 1), ['b'], 'the next page');
        assert.deepEqual(await store.queuedConversations(10, 2), []);
        await store.dequeueMessage('a', 'k2');
        await store.dequeueMessage('a', 'k2');
        assert.deepEqual(await store.queuedMessages('a', 10), [m('k1', 10), m('k3', 5)]);
        await store.dequeueMessage('b', 'k1');
        assert.deepEqual(await store.queuedConversations(10), ['a']);
        // Erasure forgets the queue, also of a conversation whose thread was never created.
        assert.equal(await store.deleteConversation('a'), 'absent');
        assert.deepEqual(await store.queuedMessages('a', 10), []);
        assert.deepEqual(await store.queuedConversations(10), []);
        // A moved conversation keeps its queue.
        await store.insertConversation(conversation('c', 'root-c'));
        await store.enqueueMessage('c', m('k1', 1));
        assert.equal(await store.deleteConversation('c', 'root-other'), 'moved');
        assert.equal((await store.queuedMessages('c', 10)).length, 1);
        assert.equal(await store.deleteConversation('c', 'root-c'), 'deleted');
        assert.deepEqual(await store.queuedMessages('c', 10), []);
      }),
    );

    it(
      'keeps the files uploaded per conversation, scoped to it, and forgets them with it (files)',
      withStore(async (store) => {
        const f = (fileId: string, uploadedAt: number) => ({ fileId, name: `${fileId}.png`, size: 10, type: 'image/png', uploadedAt });
        assert.equal(await store.getConversationFile('a', 'f1'), undefined);
        assert.deepEqual(await store.conversationFiles('a'), []);
        await store.addConversationFile('a', f('f2', 20));
        await store.addConversationFile('a', f('f1', 10));
        await store.addConversationFile('b', f('f3', 15));
        // The first record of an id stays.
        await store.addConversationFile('a', { ...f('f1', 99), name: 'other.png' });
        assert.deepEqual(await store.getConversationFile('a', 'f1'), f('f1', 10));
        // Another conversation's file is not this one's.
        assert.equal(await store.getConversationFile('a', 'f3'), undefined);
        assert.equal(await store.getConversationFile('b', 'f1'), undefined);
        assert.deepEqual(await store.conversationFiles('a'), [f('f1', 10), f('f2', 20)]);
        await store.setConversationFilesPost('a', ['f1', 'f3', 'unknown'], 'post-1');
        assert.deepEqual(await store.getConversationFile('a', 'f1'), { ...f('f1', 10), postId: 'post-1' });
        assert.equal(await store.getConversationFile('a', 'f3'), undefined);
        assert.equal((await store.getConversationFile('b', 'f3'))!.postId, undefined);
        // A moved conversation keeps its files; erasure forgets them, posted or not.
        await store.insertConversation(conversation('a', 'root-a'));
        assert.equal(await store.deleteConversation('a', 'root-other'), 'moved');
        assert.equal((await store.conversationFiles('a')).length, 2);
        assert.equal(await store.deleteConversation('a', 'root-a'), 'deleted');
        assert.deepEqual(await store.conversationFiles('a'), []);
        assert.equal(await store.getConversationFile('a', 'f2'), undefined);
        assert.equal(await store.deleteConversation('b'), 'absent');
        assert.deepEqual(await store.conversationFiles('b'), []);
      }),
    );

    it(
      'keeps secrets by name',
      withStore(async (store) => {
        assert.equal(await store.getSecret('bot'), undefined);
        await store.setSecret('bot', 'one');
        await store.setSecret('bot', 'two');
        assert.equal(await store.getSecret('bot'), 'two');
      }),
    );

    it(
      'gives a lock to one owner until it is released or expires',
      withStore(async (store) => {
        assert.equal(await store.acquireLock('conv:a', 'i1', 1000, 0), true);
        assert.equal(await store.acquireLock('conv:a', 'i2', 1000, 500), false);
        assert.equal(await store.acquireLock('conv:a', 'i1', 1000, 500), true, 'the owner may renew');
        await store.releaseLock('conv:a', 'i2');
        assert.equal(await store.acquireLock('conv:a', 'i2', 1000, 600), false, 'only the owner releases');
        await store.releaseLock('conv:a', 'i1');
        assert.equal(await store.acquireLock('conv:a', 'i2', 1000, 600), true);
        assert.equal(await store.acquireLock('conv:a', 'i3', 1000, 1600), true, 'an expired lock is taken over');
      }),
    );
  });
}
