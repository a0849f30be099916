// An Express app that serves a page with the widget and mounts the Porthole companion at /porthole,
// in gateway mode (the default) or direct mode (PORTHOLE_MODE=direct).
import express from 'express';
import { ConfigError, createCompanion, loadConfig, toNodeListener, type CompanionConfig } from 'porthole-chat/server';

function config(): CompanionConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line per missing or bad variable; secrets are described by their length only.
    console.error(`invalid Porthole configuration:\n  ${err.problems.join('\n  ')}`);
    process.exit(1);
  }
}

const companion = createCompanion(config());
// Gateway mode opens its store, ensures its bot and connects to Mattermost; direct mode has nothing to start.
await companion.start();
const app = express();

// Before any body parser: the companion reads (and size-limits) the raw body itself. Express strips
// the mount path, so the companion sees /v1/session, /v1/messages…, /healthz and /readyz — and in
// gateway mode it cannot tell the widget its public URL: set PORTHOLE_PUBLIC_URL=<site>/porthole.
app.use('/porthole', toNodeListener(companion));

// The rest of your app, with its own parsers and routes.
app.use(express.json());
app.get('/', (_req, res) => {
  res.type('html').send(`<!doctype html>
<html lang="en">
<meta charset="utf-8"><title>Porthole + Express</title>
<script type="module" src="https://cdn.jsdelivr.net/npm/porthole-chat@0.1.0/dist/cdn/porthole-chat.js" crossorigin="anonymous"></script>
<h1>Example Shop</h1>
<porthole-chat token-url="/porthole/v1/session" title="Questions? Ask us"></porthole-chat>
</html>`);
});

// Direct mode: revoke expired visitor credentials every minute (porthole-server does the same; a no-op in gateway mode).
const sweep = setInterval(() => {
  companion
    .sweepExpiredCredentials()
    .catch((err: unknown) => console.warn('porthole sweep failed:', err instanceof Error ? err.message : err));
}, 60_000);
sweep.unref();
// Direct mode: deactivate visitors idle for PORTHOLE_IDLE_VISITOR_DAYS every hour (a no-op in gateway mode).
const recycle = setInterval(() => {
  companion
    .recycleIdleVisitors()
    .catch((err: unknown) => console.warn('porthole recycling failed:', err instanceof Error ? err.message : err));
}, 3_600_000);
recycle.unref();

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, () => console.log(`http://localhost:${port}`));
// Gateway mode's live socket (/porthole/v1/live): Express does not route WebSocket upgrades.
server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
process.once('SIGTERM', () => void companion.stop().finally(() => server.close()));
