#!/usr/bin/env node
// `npm run redis:up | redis:down | redis:reset`
// The first command on a new machine may be this one: install the npm packages first.
import { ensureTools } from '../../scripts/setup.mjs';

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

const name = process.argv[2];
if (!commands[name]) {
  console.error(`usage: cli.mjs up|down|reset (received ${JSON.stringify(name ?? '')})`);
  process.exit(2);
}
commands[name]().catch((e) => {
  console.error(e instanceof HarnessError ? `redis:${name}: ${e.message}` : e);
  process.exit(1);
});
