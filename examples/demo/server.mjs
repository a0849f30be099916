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
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.map': 'application/json' };

/** Demo-only secrets, generated once and kept in .porthole/ so visitor cookies survive restarts. */
function demoSecrets() {
  const file = path.join(root, '.porthole', 'demo-secrets.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    const s = { cookie: crypto.randomBytes(32).toString('base64url'), identity: crypto.randomBytes(32).toString('base64url') };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
    return s;
  }
}

/**
 * Starts the demo on `port` against the Mattermost described by `mm` (.porthole/mattermost.json).
 * Every `PORTHOLE_*` variable of `env` wins over the demo's defaults (e.g.
 * `PORTHOLE_RATE_LIMIT_PER_MINUTE=1000 npm start` for a load test against the demo).
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
      ...portholeVariables(env),
    }),
  );
  const companion = createCompanion(config);
  const api = getRequestListener(companion.fetch);
  const demoConfig = JSON.stringify({ mattermostUrl: mm.url, teamId: mm.teamId, inboxChannelId: mm.inboxChannelId, agent: { username: mm.agents[0].username } });
  const routes = [
    ['/cdn/', path.join(root, 'dist/cdn')],
    ['/demo/', path.join(root, 'dist/demo')],
    ['/', path.join(root, 'examples/demo')],
  ];
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
        // The demo runs under a strict CSP, as a careful site would.
        'Content-Security-Policy': `default-src 'self'; connect-src 'self' ${mm.url} ${mm.url.replace(/^http/, 'ws')}; img-src 'self' data:; style-src 'self'`,
      });
      return fs.createReadStream(file).pipe(res);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} is already taken; stop what uses it (another npm start?)`) : e),
    );
    server.listen(port, resolve);
  });
  return { url: origin, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
}
