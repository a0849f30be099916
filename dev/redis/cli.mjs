#!/usr/bin/env node
// `npm run redis:up | redis:down | redis:reset`
// The first command on a new machine may be this one: install the npm packages first.
import { ensureTools } from '../../scripts/setup.mjs';
import { runHarnessCli } from '../harness-cli.mjs';

ensureTools();
const { down, HarnessError, reset, up } = await import('./index.mjs');

const commands = {
  async up() {
    const info = await up();
    console.log(`Redis is up at ${info.url}`);
    console.log(`details: ${info.file}`);
    console.log(`server log: ${info.log}`);
  },
  async down() {
    const r = await down();
    console.log(r.stopped ? 'Redis is stopped' : 'nothing was running');
  },
  async reset() {
    const dir = await reset();
    console.log(`stopped, and wiped ${dir}; the next \`npm run redis:up\` starts empty`);
  },
};

runHarnessCli('redis', commands, HarnessError);
