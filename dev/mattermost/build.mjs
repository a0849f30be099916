// Builds the pinned Mattermost server from its Go module, once per commit, into a cache outside the repo.
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './config.mjs';
import { pin } from './pin.mjs';
import { ensurePackages, run, runLogged, tail, which } from './system.mjs';

// The module proxy here holds no checksum-database entries for Mattermost's own pseudo-versions.
const goEnv = { GONOSUMDB: 'github.com/mattermost/mattermost', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };

/** True when a build of the pinned commit is cached, with its runtime files. */
export function isBuilt(cfg) {
  return (
    fs.existsSync(cfg.binary) && fs.existsSync(path.join(cfg.moduleDir, 'i18n')) && fs.existsSync(path.join(cfg.moduleDir, 'templates'))
  );
}

/** Downloads and builds the pinned server unless a build of that commit is cached. */
export async function ensureBuilt(cfg, log = console.error) {
  if (isBuilt(cfg)) return { built: false };
  if (!which('go')) ensurePackages(['golang-go'], cfg);
  const started = Date.now();
  fs.mkdirSync(cfg.buildDir, { recursive: true });
  const logFile = path.join(cfg.buildDir, 'build.log');
  fs.writeFileSync(logFile, `build of ${pin.serverModule}@${pin.serverVersion} started ${new Date().toISOString()}\n`);
  log(`harness: building Mattermost ${pin.commit.slice(0, 12)} from its Go module (first time only; log: ${logFile})`);

  const server = download(`${pin.serverModule}@${pin.serverVersion}`, cfg);
  const pub = download(`${pin.publicModule}@${pin.publicVersion}`, cfg);

  // A fresh copy each time: the module cache is read-only and a half-made copy must not be reused.
  const src = path.join(cfg.buildDir, 'src');
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  fs.cpSync(server.Dir, cfg.moduleDir, { recursive: true });
  fs.cpSync(pub.Dir, path.join(src, 'public'), { recursive: true });
  run('chmod', ['-R', 'u+w', src]);

  // As in Mattermost's own go.work, the server builds against `server/public` of the same commit.
  const edits = [`-replace=${pin.publicModule}=../public`];
  for (const m of pin.dropReplace) edits.push(`-dropreplace=${m}`);
  for (const [from, to] of Object.entries(pin.replace)) edits.push(`-replace=${from}=${to}`);
  run('go', ['mod', 'edit', ...edits], { cwd: cfg.moduleDir, env: goEnv, what: 'go mod edit' });

  const bin = `${cfg.binary}.partial`;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const code = await runLogged('go', ['build', '-trimpath', '-o', bin, './cmd/mattermost'], {
    cwd: cfg.moduleDir,
    env: goEnv,
    logFile,
  });
  if (code !== 0) {
    throw new HarnessError(`go build of Mattermost failed (exit ${code}); last lines of ${logFile}:\n${tail(logFile, 15)}`);
  }
  fs.renameSync(bin, cfg.binary);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  fs.appendFileSync(logFile, `build finished in ${seconds} s\n`);
  log(`harness: built in ${seconds} s`);
  return { built: true, seconds: Number(seconds) };
}

function download(spec, cfg) {
  let out;
  try {
    out = run('go', ['mod', 'download', '-json', spec], { env: goEnv, what: `go mod download ${spec}` });
  } catch (e) {
    // `go mod download -json` reports failures in its JSON on stdout and exits 1.
    const m = /"Error":\s*"([^"]+)"/.exec(String(e.message));
    throw new HarnessError(`the Go module ${spec} cannot be downloaded; the proxy answered: ${m ? m[1] : e.message}`);
  }
  const info = JSON.parse(out);
  if (info.Error) throw new HarnessError(`the Go module ${spec} cannot be downloaded; the proxy answered: ${info.Error}`);
  return info;
}
