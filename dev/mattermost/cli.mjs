#!/usr/bin/env node
// `npm run mattermost:up | mattermost:down | mattermost:reset`
// The first command on a new machine may be this one: install the npm packages the harness
// imports (zod) before loading it.
import { ensureTools } from '../../scripts/setup.mjs';
import { runHarnessCli } from '../harness-cli.mjs';

ensureTools();
const { down, HarnessError, reset, up } = await import('./index.mjs');

const commands = {
  async up() {
    const t = Date.now();
    const info = await up();
    console.log(`Mattermost ${info.version} is up at ${info.url} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    console.log(`details: ${info.file}`);
    if (info.log) console.log(`server log: ${info.log}`);
  },
  async down() {
    const r = await down();
    console.log(r.server || r.db ? 'Mattermost and its database are stopped' : 'nothing was running');
  },
  async reset() {
    const dir = await reset();
    console.log(`stopped, and wiped ${dir}; the next \`npm run mattermost:up\` starts fresh`);
  },
};

runHarnessCli('mattermost', commands, HarnessError);
