#!/usr/bin/env node
// `npm start`: installs what is missing, builds, brings up the real Mattermost, and serves the demo.
import { spawnSync } from 'node:child_process';
import { ensureTools } from './setup.mjs';

ensureTools();
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const { up, HarnessError } = await import('../dev/mattermost/index.mjs');
const { startDemo } = await import('../examples/demo/server.mjs');
try {
  const mm = await up();
  const demo = await startDemo(mm);
  const agent = mm.agents[0];
  console.log(`
Mattermost ${mm.version}  ${mm.url}  (details: ${mm.file})
companion in ${demo.mode} mode (PORTHOLE_MODE=direct npm start for direct mode)

  shop page with the widget   ${demo.url}/
  agent desk                  ${demo.url}/agent.html
  agent login                 ${agent.username} / ${agent.password}

Ctrl+C stops the demo; \`npm run mattermost:down\` stops Mattermost.`);
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  console.error(e instanceof HarnessError ? `npm start: ${e.message}` : e);
  process.exit(1);
}
