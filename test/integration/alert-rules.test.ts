// The example Prometheus alert rules (examples/prometheus/alerts.yml) against Prometheus's own
// checker: `promtool check rules` (syntax, PromQL, templates) and `promtool test rules` (the unit
// tests in alerts.test.yml: each alert fires when it should and stays quiet when it should not).
// promtool comes from Debian's prometheus package, installed here when missing and running as
// root, with the prometheus service it starts (:9090) stopped again (dev/apt.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ensureCommand, locateCommand } from '../../dev/apt.mjs';

const dir = path.resolve('examples/prometheus');
const PROMTOOL = { command: 'promtool', package: 'prometheus', services: ['prometheus'] };

function promtool(args: string[]): { code: number | null; output: string } {
  const bin = ensureCommand(PROMTOOL);
  const r = spawnSync(bin, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const alertNames = (yaml: string) => [...yaml.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!);

test('promtool check rules: the rules file is valid', () => {
  const r = promtool(['check', 'rules', 'alerts.yml']);
  assert.equal(r.code, 0, r.output);
  const count = alertNames(fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8')).length;
  assert.match(r.output, new RegExp(`SUCCESS: ${count} rules found`), r.output);
});

test('promtool test rules: every alert fires when it should and stays quiet when it should not', () => {
  const r = promtool(['test', 'rules', 'alerts.test.yml']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /SUCCESS/);
});

test('every alert has a unit test, a severity and a runbook link to a section that exists', () => {
  const rules = fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8');
  const tests = fs.readFileSync(path.join(dir, 'alerts.test.yml'), 'utf8');
  const runbook = fs.readFileSync('docs/operations.md', 'utf8');
  // GitHub's anchors: lowercase, punctuation dropped, spaces to hyphens.
  const anchors = new Set(
    [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
  const names = alertNames(rules);
  assert.ok(names.length >= 15, `the rules: ${names.join(', ')}`);
  const blocks = rules.split(/^\s*- alert: /m).slice(1);
  for (const [i, block] of blocks.entries()) {
    const name = names[i]!;
    assert.match(block, /severity: (critical|warning|info)\n/, `${name} has a severity`);
    const link = /runbook_url: '[^']*docs\/operations\.md#([a-z0-9-]+)'/.exec(block);
    assert.ok(link, `${name} links to docs/operations.md#…`);
    assert.ok(anchors.has(link[1]!), `${name} links to #${link[1]}, a section of docs/operations.md`);
    assert.match(tests, new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${name} is tested firing`);
  }
});

test('without promtool and without root, the test says what to install', () => {
  const missing = { command: 'porthole-no-such-tool', package: 'porthole-no-such-package' };
  assert.equal(locateCommand(missing), null);
  assert.throws(
    () => ensureCommand(missing, { isRoot: false }),
    /porthole-no-such-tool is missing \(Debian's porthole-no-such-package package\): .*sudo apt-get install -y porthole-no-such-package/,
  );
});
