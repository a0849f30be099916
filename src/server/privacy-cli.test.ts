import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeErasure, runPrivacyCommand } from './privacy-cli.js';

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
