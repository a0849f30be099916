import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config.js';
import { loadGatewayConfig, loadMode } from './config.js';

const env = {
  PORTHOLE_MM_URL: 'http://mattermost:8065/',
  PORTHOLE_MM_TOKEN: 'x'.repeat(26),
  PORTHOLE_INBOX_CHANNEL_ID: 'a'.repeat(26),
  PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com, https://www.example.com',
  PORTHOLE_COOKIE_SECRET: 'c'.repeat(32),
  PORTHOLE_TOKEN_SECRET: 't'.repeat(32),
};

function problems(e: Record<string, string | undefined>): string[] {
  try {
    loadGatewayConfig(e);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadGatewayConfig', () => {
  it('applies the defaults and needs no team id nor agent ids', () => {
    const c = loadGatewayConfig(env);
    assert.equal(c.mattermostUrl, 'http://mattermost:8065');
    assert.equal(c.supportChannelId, 'a'.repeat(26), 'the inbox channel by default');
    assert.equal(c.botUsername, 'porthole-bot');
    assert.equal(c.botDisplayName, 'Porthole');
    assert.equal(c.dataDir, './porthole-data');
    assert.equal(c.tokenTtlSeconds, 900);
    assert.equal(c.messagesPerMinute, 20);
    assert.equal(c.typingPerMinute, 30);
    assert.equal(c.publicUrl, undefined);
    assert.equal(c.botToken, undefined);
    assert.deepEqual(c.allowedOrigins, ['https://shop.example.com', 'https://www.example.com']);
  });

  it('takes the support channel, a bot token instead of the admin token, and the public URL', () => {
    const c = loadGatewayConfig({
      ...env,
      PORTHOLE_MM_TOKEN: '',
      PORTHOLE_BOT_TOKEN: 'b'.repeat(26),
      PORTHOLE_SUPPORT_CHANNEL_ID: 's'.repeat(26),
      PORTHOLE_PUBLIC_URL: 'https://chat.example.com/porthole/',
      PORTHOLE_MODE: 'gateway',
    });
    assert.equal(c.adminToken, undefined);
    assert.equal(c.botToken, 'b'.repeat(26));
    assert.equal(c.supportChannelId, 's'.repeat(26));
    assert.equal(c.publicUrl, 'https://chat.example.com/porthole');
  });

  it('reports one line per problem and never echoes a secret', () => {
    const lines = problems({
      ...env,
      PORTHOLE_MM_TOKEN: undefined,
      PORTHOLE_INBOX_CHANNEL_ID: undefined,
      PORTHOLE_TOKEN_SECRET: 'short-secret',
      PORTHOLE_MESSAGES_PER_MINUTE: '0',
      PORTHOLE_PUBLIC_URL: 'chat.example.com',
    });
    assert.deepEqual(lines.map((l) => l.split(':')[0]).sort(), [
      'PORTHOLE_MESSAGES_PER_MINUTE',
      'PORTHOLE_MM_TOKEN',
      'PORTHOLE_PUBLIC_URL',
      'PORTHOLE_SUPPORT_CHANNEL_ID',
      'PORTHOLE_TOKEN_SECRET',
    ]);
    assert.ok(
      lines.some((l) => l === 'PORTHOLE_TOKEN_SECRET: must be at least 32 characters long (received a secret of 12 characters)'),
      lines.join('\n'),
    );
    assert.ok(!lines.join('\n').includes('short-secret'));
    assert.deepEqual(problems({ ...env, PORTHOLE_TOKEN_SECRET: undefined }), ['PORTHOLE_TOKEN_SECRET: is required (received nothing)']);
    assert.match(
      problems({ ...env, PORTHOLE_BOT_TOKEN: 'leaky' }).join('\n'),
      /PORTHOLE_BOT_TOKEN: must be at least 26 characters long \(received a secret of 5 characters\)/,
    );
  });
});

describe('loadMode', () => {
  it('defaults to gateway and refuses anything but gateway or direct', () => {
    assert.equal(loadMode({}), 'gateway');
    assert.equal(loadMode({ PORTHOLE_MODE: ' Direct ' }), 'direct');
    assert.throws(
      () => loadMode({ PORTHOLE_MODE: 'proxy' }),
      (e: unknown) => e instanceof ConfigError && /PORTHOLE_MODE: must be gateway or direct \(received "proxy"\)/.test(e.problems[0]!),
    );
  });
});
