// The companion under load, in its own process so the load generator (autocannon, in the
// parent) does not share its event loop. Started by bench/companion.ts over IPC, in the mode
// its environment says (PORTHOLE_MODE).
//
// Every request is timed from the moment Node hands it to the listener until the response is
// finished. The companion's Mattermost client gets a fetch that records, per request (through
// AsyncLocalStorage), the intervals spent waiting for Mattermost; the companion's own overhead
// is the request's time minus the union of those intervals. Direct mode: the admin client
// (HttpMattermostAdmin); gateway mode: every REST client the gateway makes (the admin's at start,
// the bot's after), through its `mattermost` factory. Every Mattermost call is also counted
// whichever request (or none: the bot socket's backfill) it belongs to.
//
// Also serves a bare node:http server answering `{"status":"ok"}` — the reference for /healthz.
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { createCompanion, HttpMattermostAdmin, loadConfig, silentLogger, toNodeListener } from '../../src/server/index.ts';
import { benchBotClients } from './companion-env.ts';
import { LiftedRateLimitStore } from './lifted-rate-limits.ts';

interface Timing {
  path: string;
  start: number;
  mm: [number, number][];
}

const als = new AsyncLocalStorage<Timing>();
const samples: { path: string; status: number; total: number; mm: number; calls: number }[] = [];
/** Mattermost calls since the last reset, from any request or none. */
let mmCalls = 0;

/** Length of the union of intervals (concurrent Mattermost calls are counted once). */
function unionLength(intervals: [number, number][]): number {
  const s = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of s) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

const timedFetch: typeof fetch = async (input, init) => {
  const t = als.getStore();
  const start = performance.now();
  mmCalls++;
  try {
    // The whole body is received inside the interval: waiting for it is Mattermost's time too.
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    return new Response(res.status === 204 || res.status === 304 ? null : body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  } finally {
    t?.mm.push([start, performance.now()]);
  }
};

async function main() {
  const config = loadConfig({ ...process.env });
  const bot = benchBotClients(config.mattermostUrl, timedFetch);
  const companion =
    config.mode === 'direct'
      ? createCompanion(config, {
          admin: new HttpMattermostAdmin({ url: config.mattermostUrl, token: config.token, fetch: timedFetch }),
          logger: silentLogger,
          rateLimitStore: new LiftedRateLimitStore(),
        })
      : createCompanion(config, {
          logger: silentLogger,
          rateLimitStore: new LiftedRateLimitStore(),
          gateway: { mattermost: bot.mattermost },
        });
  await companion.start();
  const listener = toNodeListener(companion);

  const server = http.createServer((req, res) => {
    const timing: Timing = { path: (req.url ?? '').split('?')[0]!, start: performance.now(), mm: [] };
    res.on('finish', () => {
      const total = performance.now() - timing.start;
      samples.push({ path: timing.path, status: res.statusCode, total, mm: unionLength(timing.mm), calls: timing.mm.length });
    });
    als.run(timing, () => void listener(req, res));
  });
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  server.keepAliveTimeout = 10_000;

  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end('{"status":"ok"}');
  });

  const port = Number(process.env.BENCH_COMPANION_PORT);
  const barePort = Number(process.env.BENCH_BARE_PORT);
  let listening = 0;
  const up = () => ++listening === 2 && process.send!({ cmd: 'ready' });
  server.listen(port, '127.0.0.1', up);
  bare.listen(barePort, '127.0.0.1', up);

  process.on('message', async (m: { cmd: string }) => {
    if (m.cmd === 'reset') {
      samples.length = 0;
      mmCalls = 0;
      process.send!({ cmd: 'reset' });
    } else if (m.cmd === 'stats') {
      process.send!({ cmd: 'stats', samples, mmCalls });
    } else if (m.cmd === 'stop') {
      await companion.stop().catch(() => {});
      if (config.mode === 'gateway') await bot.revoke(config.adminToken);
      server.closeAllConnections();
      bare.closeAllConnections();
      server.close();
      bare.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`companion-server: ${err?.stack ?? err}\n`);
  process.exit(1);
});
