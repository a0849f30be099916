import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const cli = path.join(__dirname, 'cli.ts');

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('porthole-server CLI', () => {
  it('stops with exit code 1 and one line per problem, no stack, no secret (direct mode)', () => {
    const r = run([], { PORTHOLE_MODE: 'direct', PORTHOLE_MM_URL: 'not a url', PORTHOLE_COOKIE_SECRET: 'tiny-secret-value' });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /invalid configuration \(7 problems\)/);
    assert.equal(lines.length, 8, r.stderr);
    assert.ok(lines.some((l) => /PORTHOLE_MM_URL: .*received "not a url"/.test(l)));
    assert.ok(lines.some((l) => /PORTHOLE_COOKIE_SECRET: .*received a secret of 17 characters/.test(l)));
    assert.ok(!r.stderr.includes('tiny-secret-value'));
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  it('in gateway mode (the default) asks for what gateway mode needs, and never for a team or agents', () => {
    const r = run([], { PORTHOLE_MM_URL: 'http://mm:8065', PORTHOLE_TOKEN_SECRET: 'short', PORTHOLE_PORT: 'x' });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /invalid configuration \(\d+ problems\)/);
    for (const name of [
      'PORTHOLE_TOKEN_SECRET',
      'PORTHOLE_ALLOWED_ORIGINS',
      'PORTHOLE_COOKIE_SECRET',
      'PORTHOLE_MM_TOKEN',
      'PORTHOLE_SUPPORT_CHANNEL_ID',
      'PORTHOLE_PORT',
    ])
      assert.ok(
        lines.some((l) => l.includes(`${name}:`)),
        `${name} is named: ${r.stderr}`,
      );
    assert.ok(!/PORTHOLE_TEAM_ID|PORTHOLE_AGENT_IDS/.test(r.stderr), 'gateway mode needs no team or agent ids');
    assert.ok(!r.stderr.includes('short'), 'no secret in the output');
  });

  it('refuses an unknown mode', () => {
    const r = run([], { PORTHOLE_MODE: 'sideways' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PORTHOLE_MODE: must be gateway or direct/);
  });

  it('refuses an unknown command', () => {
    const r = run(['frobnicate'], {});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
