import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadDirectConfig as loadConfig } from './config.js';

const valid = {
  PORTHOLE_MM_URL: 'http://mattermost:8065/',
  PORTHOLE_MM_TOKEN: 'abcdefghijklmnopqrstuvwxyz',
  PORTHOLE_TEAM_ID: 'cncr68rpfiboxmhpx5bmoqpqir',
  PORTHOLE_AGENT_IDS: 'j9egjxd5xifnifih6ksm7cgsay, q5qjhqonmin49qsudrdoju1cze',
  PORTHOLE_INBOX_CHANNEL_ID: 'brqqfiqfupr9bd9r41miuekstr',
  PORTHOLE_ALLOWED_ORIGINS: 'https://www.example.com,http://localhost:8080',
  PORTHOLE_COOKIE_SECRET: 'x'.repeat(32),
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a valid environment and applies defaults', () => {
    const c = loadConfig(valid);
    assert.equal(c.mattermostUrl, 'http://mattermost:8065');
    assert.equal(c.publicUrl, 'http://mattermost:8065', 'public URL defaults to the internal one');
    assert.deepEqual(c.agentIds, ['j9egjxd5xifnifih6ksm7cgsay', 'q5qjhqonmin49qsudrdoju1cze']);
    assert.deepEqual(c.allowedOrigins, ['https://www.example.com', 'http://localhost:8080']);
    assert.equal(c.rateLimitPerMinute, 5);
    assert.equal(c.port, 8787);
    assert.equal(c.sessionTtlSeconds, 3600);
    assert.equal(c.production, false);
    assert.equal(c.trustProxy, false);
    assert.equal(c.identitySecret, undefined);
  });

  it('reads optional values', () => {
    const c = loadConfig({
      ...valid,
      PORTHOLE_MM_PUBLIC_URL: 'https://chat.example.com',
      PORTHOLE_IDENTITY_SECRET: 'i'.repeat(40),
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '100',
      PORTHOLE_TRUST_PROXY: 'true',
      NODE_ENV: 'production',
    });
    assert.equal(c.publicUrl, 'https://chat.example.com');
    assert.equal(c.rateLimitPerMinute, 100);
    assert.equal(c.trustProxy, true);
    assert.equal(c.production, true);
  });

  it('reports every missing variable, one line each', () => {
    const lines = problems({});
    for (const name of [
      'PORTHOLE_MM_URL',
      'PORTHOLE_MM_TOKEN',
      'PORTHOLE_TEAM_ID',
      'PORTHOLE_AGENT_IDS',
      'PORTHOLE_INBOX_CHANNEL_ID',
      'PORTHOLE_ALLOWED_ORIGINS',
      'PORTHOLE_COOKIE_SECRET',
    ]) {
      assert.equal(lines.filter((l) => l.startsWith(`${name}:`)).length, 1, `one line for ${name} in ${lines.join('\n')}`);
    }
    assert.equal(lines.length, 7);
    assert.ok(lines.every((l) => l.endsWith('(received nothing)')));
  });

  it('says what is wrong and what was received, but never a secret', () => {
    const lines = problems({
      ...valid,
      PORTHOLE_MM_URL: 'ftp://mm',
      PORTHOLE_TEAM_ID: 'Not-An-Id',
      PORTHOLE_ALLOWED_ORIGINS: 'https://www.example.com/shop',
      PORTHOLE_COOKIE_SECRET: 'too-short-secret',
      PORTHOLE_IDENTITY_SECRET: 'hunter2',
      PORTHOLE_RATE_LIMIT_PER_MINUTE: 'five',
    });
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.match(
      lines.find((l) => l.startsWith('PORTHOLE_MM_URL:'))!,
      /http\(s\) URL.*received "ftp:\/\/mm"/,
    );
    assert.match(
      lines.find((l) => l.startsWith('PORTHOLE_TEAM_ID:'))!,
      /Mattermost id.*received "Not-An-Id"/,
    );
    assert.match(
      lines.find((l) => l.startsWith('PORTHOLE_ALLOWED_ORIGINS:'))!,
      /exact origin.*no path.*received "https:\/\/www.example.com\/shop"/,
    );
    assert.match(
      lines.find((l) => l.startsWith('PORTHOLE_COOKIE_SECRET:'))!,
      /at least 32 characters.*received a secret of 16 characters/,
    );
    assert.match(
      lines.find((l) => l.startsWith('PORTHOLE_RATE_LIMIT_PER_MINUTE:'))!,
      /whole number.*received "five"/,
    );
    const text = lines.join('\n');
    assert.ok(!text.includes('too-short-secret') && !text.includes('hunter2'), 'secret values are never printed');
  });

  it('refuses wildcard and trailing-slash origins', () => {
    assert.equal(problems({ ...valid, PORTHOLE_ALLOWED_ORIGINS: '*' }).length, 1);
    assert.equal(problems({ ...valid, PORTHOLE_ALLOWED_ORIGINS: 'https://a.example.com/' }).length, 1);
  });
});
