import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MmPost } from './mattermost-api.js';
import { announcement, defuseMentions, escapeMarkdown, toWireMessage, visitorDisplayName } from './messages.js';

const post = (over: Partial<MmPost>): MmPost => ({
  id: 'p',
  create_at: 10,
  update_at: 10,
  edit_at: 0,
  delete_at: 0,
  user_id: 'agent',
  channel_id: 'c',
  root_id: 'root',
  message: 'hi',
  type: '',
  props: {},
  participants: undefined,
  ...over,
});
const parties = { botUserId: 'bot', visitorUserId: 'visitor' };

describe('messages', () => {
  it('defuses mentions at word starts only (Mattermost splits words on . - : _ too)', () => {
    assert.equal(
      defuseMentions('@channel hi @all, a.@here x-@ada ada@example.com @'),
      '@\u2060channel hi @\u2060all, a.@\u2060here x-@\u2060ada ada@example.com @',
    );
  });

  it('defuses an "@" after a letter Go does not know yet (its tables are older than JavaScript\'s)', () => {
    // U+2EBF0 (Unicode 15.1) and U+10D50 (Unicode 16.0) are letters for JavaScript, separators for go1.26.
    assert.equal(
      defuseMentions('\u{2EBF0}@channel \u{10D50}@all é@here ada@example.com A9@x'),
      '\u{2EBF0}@\u2060channel \u{10D50}@\u2060all é@\u2060here ada@example.com A9@x',
    );
    assert.equal(escapeMarkdown('Ada\u{2EBF0}@channel'), 'Ada\u{2EBF0}@\u2060channel');
    assert.equal(escapeMarkdown('ada@example.com'), 'ada@example\\.com');
  });

  it('maps thread posts: visitor posts to the visitor id with their client id, agents to their ids', () => {
    assert.deepEqual(toWireMessage(post({ user_id: 'bot', message: 'hey @\u2060channel', props: { porthole_client_id: 'k' } }), parties), {
      id: 'p',
      clientId: 'k',
      userId: 'visitor',
      text: 'hey @channel',
      createAt: 10,
      updateAt: 10,
      deleted: false,
      edited: false,
    });
    assert.equal(
      toWireMessage(post({ props: { porthole_client_id: 'k' } }), parties)?.clientId,
      undefined,
      'only the bot speaks for the visitor',
    );
    assert.deepEqual(toWireMessage(post({ edit_at: 20, update_at: 20 }), parties), {
      id: 'p',
      userId: 'agent',
      text: 'hi',
      createAt: 10,
      updateAt: 20,
      deleted: false,
      edited: true,
    });
    assert.deepEqual(toWireMessage(post({ delete_at: 30, update_at: 30 }), parties)?.text, '');
    assert.equal(toWireMessage(post({ root_id: '' }), parties), undefined, 'the root announcement is not a message');
    assert.equal(toWireMessage(post({ type: 'system_join_channel' }), parties), undefined);
  });

  it('announces a visitor with escaped name, verified email and a safe page link', () => {
    const text = announcement({
      name: 'Ada *Lovelace* [x](javascript:1)',
      email: 'ada@example.com',
      page: 'https://u:p@shop.example.com/a b/(c)?@all',
      identified: true,
    });
    assert.match(
      text,
      /^:speech_balloon: New conversation from \*\*Ada \\\*Lovelace\\\* \\\[x\\\]\\\(javascript\\:1\\\)\*\* · ada@example\\\.com \(verified\)$/m,
    );
    assert.match(text, /^Page: https:\/\/shop\.example\.com\/a%20b\/%28c%29\?%40all$/m);
    assert.doesNotMatch(announcement({ name: 'x', page: 'javascript:alert(1)', identified: false }), /Page/);
    assert.match(announcement({ name: 'x', identified: false }), /· anonymous/);
    assert.equal(escapeMarkdown('a\nb'), 'a b');
    assert.equal(visitorDisplayName('Ada'), 'Ada (visitor)');
  });
});
