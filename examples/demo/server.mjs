// The demo: a shop page with <porthole-chat>, an agent desk, the CDN build and the companion,
// all on http://localhost:8080. The companion is the built `porthole-chat/server`, mounted at /v1.
import { getRequestListener } from '@hono/node-server';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { companionEnv, portholeVariables } from '../../dev/companion-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.map': 'application/json',
};

/** Demo-only secrets, generated once and kept in .porthole/ so visitor cookies and tokens survive restarts. */
function demoSecrets() {
  const file = path.join(root, '.porthole', 'demo-secrets.json');
  const make = () => crypto.randomBytes(32).toString('base64url');
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (s.token) return s;
    throw new Error('an older file without the token secret');
  } catch {
    const s = { cookie: make(), identity: make(), token: make() };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
    return s;
  }
}

/**
 * Starts the demo on `port` against the Mattermost described by `mm` (.porthole/mattermost.json),
 * in gateway mode unless `PORTHOLE_MODE=direct`. Every `PORTHOLE_*` variable of `env` wins over
 * the demo's defaults (e.g. `PORTHOLE_RATE_LIMIT_PER_MINUTE=1000 npm start` for a load test).
 */
export async function startDemo(mm, { port = 8080, env = process.env } = {}) {
  const { createCompanion, loadConfig } = await import(path.join(root, 'dist/server/index.js'));
  const secrets = demoSecrets();
  const origin = `http://localhost:${port}`;
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_ALLOWED_ORIGINS: `${origin},http://127.0.0.1:${port}`,
      PORTHOLE_COOKIE_SECRET: secrets.cookie,
      PORTHOLE_IDENTITY_SECRET: secrets.identity,
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '30',
      PORTHOLE_TOKEN_SECRET: secrets.token,
      PORTHOLE_DATA_DIR: path.join(root, '.porthole', 'demo-data'),
      ...portholeVariables(env),
    }),
  );
  const companion = createCompanion(config);
  await companion.start();
  const api = getRequestListener(companion.fetch);
  const demoConfig = JSON.stringify({
    mode: config.mode,
    mattermostUrl: mm.url,
    teamId: mm.teamId,
    inboxChannelId: mm.inboxChannelId,
    supportChannelId: config.supportChannelId ?? mm.inboxChannelId,
    agent: { username: mm.agents[0].username },
  });
  const routes = [
    ['/cdn/', path.join(root, 'dist/cdn')],
    ['/demo/', path.join(root, 'dist/demo')],
    ['/', path.join(root, 'examples/demo')],
  ];
  // The demo runs under a strict CSP, as a careful site would. In gateway mode the shop page may
  // connect to nothing but its own origin (the companion): the browser itself refuses any
  // attempt to reach Mattermost. The agent desk is a Mattermost client and talks to it.
  const mattermostOrigins = `${mm.url} ${mm.url.replace(/^http/, 'ws')}`;
  const connectSrc = (pathname) => (config.mode === 'gateway' && !pathname.includes('agent') ? "'self'" : `'self' ${mattermostOrigins}`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/v1/') || url.pathname === '/healthz' || url.pathname === '/readyz') return api(req, res);
    if (url.pathname === '/demo-config.json') return res.writeHead(200, { 'Content-Type': 'application/json' }).end(demoConfig);
    for (const [prefix, dir] of routes) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = path.resolve(dir, url.pathname.slice(prefix.length) || 'index.html');
      if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) continue;
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': `default-src 'self'; connect-src ${connectSrc(url.pathname)}; img-src 'self' data: blob:; style-src 'self'`,
      });
      return fs.createReadStream(file).pipe(res);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  // Gateway mode's live socket (/v1/live); anything else asking to upgrade is refused.
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} is already taken; stop what uses it (another npm start?)`) : e),
    );
    server.listen(port, resolve);
  });
  return {
    url: origin,
    mode: config.mode,
    close: async () => {
      await companion.stop();
      await new Promise((r) => (server.closeAllConnections(), server.close(r)));
    },
  };
}
