import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transcriptSchema } from '../protocol/transcript.js';
import { startTestGateway } from './gateway/test-support.js';
import { silentLogger } from './logger.js';
import { describeErasure, runPrivacyCommand } from './privacy-cli.js';
import { postSession, TEST, testCompanion } from './test-support.js';

const io = () => {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  return { out, io: { stdout: (t: string) => void out.stdout.push(t), stderr: (l: string) => void out.stderr.push(l) } };
};

describe('porthole-server export / erase: arguments', () => {
  it('erase refuses without --yes, before reading any configuration', async () => {
    const { out, io: sink } = io();
    assert.equal(await runPrivacyCommand('erase', ['c'.repeat(26)], {}, sink), 1);
    assert.match(out.stderr.join('\n'), /for good; run "porthole-server erase c{26} --yes"/);
    assert.deepEqual(out.stdout, []);
  });

  it('says what it expected when the arguments are wrong', async () => {
    const { out, io: sink } = io();
    assert.equal(await runPrivacyCommand('export', [], {}, sink), 1);
    assert.equal(await runPrivacyCommand('export', ['a', 'b'], {}, sink), 1);
    assert.equal(await runPrivacyCommand('erase', ['a', '--force'], {}, sink), 1);
    assert.deepEqual(
      out.stderr.map((l) => l.replace(/;.*/, '')),
      [
        'porthole-server: expected "export <visitor>"',
        'porthole-server: expected "export <visitor>"',
        'porthole-server: expected "erase <visitor> --yes"',
      ],
    );
  });

  it('reports an invalid configuration line by line', async () => {
    const { out, io: sink } = io();
    assert.equal(await runPrivacyCommand('export', ['c'.repeat(26)], { PORTHOLE_MODE: 'direct' }, sink), 1);
    assert.match(out.stderr[0]!, /^porthole-server: invalid configuration \(\d+ problems?\):$/);
    assert.ok(out.stderr.length > 1);
  });

  it('describes what an erasure removed', () => {
    assert.equal(describeErasure({ conversationId: 'c1', found: true, posts: 4, files: 1 }), 'erased c1: deleted 4 posts (1 file)');
    assert.equal(
      describeErasure({ conversationId: 'c1', found: true, posts: 1, files: 0, channel: true, user: false }),
      'erased c1: deleted 1 post (0 files), the channel, no user (already gone)',
    );
    assert.match(describeErasure({ conversationId: 'c1', found: false, posts: 0, files: 0 }), /^nothing to erase for c1/);
  });
});

describe('porthole-server export / erase: end to end, in memory', () => {
  const quiet = { logger: silentLogger };

  describe('gateway mode', () => {
    /** A gateway with one conversation, and the CLI's environment and collaborators for the same Mattermost and store. */
    const withConversation = async () => {
      const t = await startTestGateway();
      const s = await t.session({ name: 'Grace' });
      const sent = await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: crypto.randomUUID(), text: 'my order #9' } });
      assert.equal(sent.status, 201);
      const env = {
        PORTHOLE_MODE: 'gateway',
        PORTHOLE_MM_URL: 'http://mattermost.invalid',
        PORTHOLE_MM_TOKEN: t.mm.adminToken,
        PORTHOLE_SUPPORT_CHANNEL_ID: t.mm.channelId,
        PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com',
        PORTHOLE_COOKIE_SECRET: t.config.cookieSecret,
        PORTHOLE_TOKEN_SECRET: t.config.tokenSecret,
      };
      const options = { ...quiet, gateway: { store: t.store, mattermost: (token: string) => t.mm.clientFor(token) } };
      return { ...t, s, env, options, root: t.mm.posts.get(sent.json.message.id)!.root_id };
    };

    it('export prints the transcript as JSON on stdout', async () => {
      const t = await withConversation();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('export', [t.s.channelId], t.env, sink, t.options), 0, out.stderr.join('\n'));
      assert.equal(out.stdout.length, 1);
      const transcript = transcriptSchema.parse(JSON.parse(out.stdout[0]!));
      assert.equal(transcript.conversation.id, t.s.channelId);
      assert.deepEqual(
        transcript.messages.map((m) => [m.author, m.authorName, m.text]),
        [['visitor', 'Grace', 'my order #9']],
      );
    });

    it('erase deletes the thread, says what it deleted, and finds nothing the second time', async () => {
      const t = await withConversation();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('erase', [t.s.channelId, '--yes'], t.env, sink, t.options), 0, out.stderr.join('\n'));
      assert.deepEqual(out.stdout, [`erased ${t.s.channelId}: deleted 2 posts (0 files)\n`]);
      assert.equal(t.mm.posts.has(t.root), false);
      assert.equal(await t.store.getConversation(t.s.channelId), undefined);
      assert.equal(await runPrivacyCommand('erase', [t.s.channelId, '--yes'], t.env, sink, t.options), 0);
      assert.match(out.stdout[1]!, new RegExp(`^nothing to erase for ${t.s.channelId}: never started, or erased before`));
    });

    it('export of an unknown visitor exits 1 and says so; erase of one has nothing to erase', async () => {
      const t = await withConversation();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('export', ['sub:nobody'], t.env, sink, t.options), 1);
      assert.match(out.stderr.join('\n'), /export failed: No conversation is known for "sub:nobody"/);
      assert.deepEqual(out.stdout, []);
      assert.equal(await runPrivacyCommand('erase', ['sub:nobody', '--yes'], t.env, sink, t.options), 0);
      assert.match(out.stdout[0]!, /^nothing to erase for /);
      assert.equal(await runPrivacyCommand('erase', ['not-an-id', '--yes'], t.env, sink, t.options), 1);
      assert.match(out.stderr.at(-1)!, /erase failed: Expected a conversation id/);
    });

    it('erase exits 1 with what to change when Mattermost refuses permanent deletion', async () => {
      const t = await withConversation();
      t.mm.permanentPostDeletion = false;
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('erase', [t.s.channelId, '--yes'], t.env, sink, t.options), 1);
      assert.match(out.stderr.join('\n'), /erase failed: .*EnableAPIPostDeletion/);
      assert.ok(t.mm.posts.has(t.root));
    });
  });

  describe('direct mode', () => {
    const withVisitor = async () => {
      const t = testCompanion();
      const mm = t.mm;
      const session = (await (await postSession(t.companion, { body: { name: 'Ada' } })).json()) as { userId: string; channelId: string };
      mm.post(session.channelId, session.userId, 'hello from direct mode');
      const env = {
        PORTHOLE_MODE: 'direct',
        PORTHOLE_MM_URL: 'http://mm.internal:8065',
        PORTHOLE_MM_TOKEN: TEST.mmToken,
        PORTHOLE_TEAM_ID: TEST.teamId,
        PORTHOLE_AGENT_IDS: TEST.agentIds.join(','),
        PORTHOLE_INBOX_CHANNEL_ID: TEST.inboxId,
        PORTHOLE_ALLOWED_ORIGINS: TEST.origin,
        PORTHOLE_COOKIE_SECRET: TEST.cookieSecret,
      };
      return { mm, session, env, options: { ...quiet, admin: mm } };
    };

    it('export prints the transcript as JSON on stdout', async () => {
      const t = await withVisitor();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('export', [t.session.channelId], t.env, sink, t.options), 0, out.stderr.join('\n'));
      const transcript = transcriptSchema.parse(JSON.parse(out.stdout.join('')));
      assert.deepEqual(
        transcript.messages.map((m) => [m.author, m.authorName, m.text]),
        [['visitor', 'Ada', 'hello from direct mode']],
      );
    });

    it('erase deletes the channel and the user, and finds nothing the second time', async () => {
      const t = await withVisitor();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('erase', [t.session.channelId, '--yes'], t.env, sink, t.options), 0, out.stderr.join('\n'));
      assert.match(
        out.stdout[0]!,
        new RegExp(`^erased ${t.session.channelId}: deleted \\d+ posts? \\(0 files\\), the channel, the user\\n$`),
      );
      assert.equal(t.mm.users.has(t.session.userId), false);
      assert.equal(t.mm.channels.has(t.session.channelId), false);
      assert.equal(await runPrivacyCommand('erase', [t.session.channelId, '--yes'], t.env, sink, t.options), 0);
      assert.match(out.stdout[1]!, /^nothing to erase for /);
    });

    it('export of an unknown visitor exits 1; erase of one has nothing to erase', async () => {
      const t = await withVisitor();
      const { out, io: sink } = io();
      assert.equal(await runPrivacyCommand('export', ['sub:nobody'], t.env, sink, t.options), 1);
      assert.match(out.stderr.join('\n'), /export failed: No conversation is known for "sub:nobody"/);
      assert.equal(await runPrivacyCommand('erase', ['sub:nobody', '--yes'], t.env, sink, t.options), 0);
      assert.match(out.stdout[0]!, /^nothing to erase for sub:nobody/);
    });
  });
});
