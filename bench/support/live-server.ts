// The server end of the live-socket benchmarks (bench/sockets.ts, bench/soak.ts), in a process of
// its own so that its memory, CPU and event loop are its own, measured from inside
// (support/process-probe.ts) and reported over IPC (support/ipc.ts). BENCH_LIVE_KIND says which:
//
// - `porthole`: the companion in gateway mode, as the CLI serves it (`createCompanion` + `serve`),
//   its store the default SQLite one (opened here and handed over, so that the benchmark can seed
//   conversations in it), rate limits lifted (support/lifted-rate-limits.ts), info logs dropped. Its Mattermost URL
//   (PORTHOLE_MM_URL) is the tap (support/mattermost-tap.ts), so the bot's socket runs through it;
//   its REST calls go straight to Mattermost (BENCH_MM_URL).
// - `bare`: the reference — a bare `ws` WebSocketServer on node:http with the same socket options
//   (no per-message deflate, 4 KB frames, no client tracking), speaking the same frames with the
//   least work a hub can do: the first frame's token is decoded (not verified) for its conversation,
//   `ping` gets `pong`, a ws ping every 30 s drops dead sockets, and Mattermost-shaped `posted`
//   events from the tap's `/feed` go to the sockets of the conversation whose thread they are in.
//
// Its warnings and errors go to stderr (the first 3 of each) and are counted. Commands: `sample`
// ({ gc?, reset? } → { sample: ProcessSample, logged }), `reset`, `seed` ({ channelId,
// conversations: [conversationId, visitorUserId, rootPostId][] }), `feed` ({ url }: bare only),
// `clock`, `stop`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { SqliteGatewayStore } from '../../src/server/gateway/sqlite-store.ts';
import { createCompanion, loadConfig, serve, shutdown, type LogEntry, type Logger, type RunningServer } from '../../src/server/index.ts';
import { benchBotClients } from './companion-env.ts';
import { answerRequests, epochNow } from './ipc.ts';
import { LiftedRateLimitStore } from './lifted-rate-limits.ts';
import { ProcessProbe } from './process-probe.ts';

type Seed = { channelId: string; conversations: [string, string, string][] };

const probe = new ProcessProbe();
const kind = process.env.BENCH_LIVE_KIND;
const port = Number(process.env.BENCH_LIVE_PORT);

/** The companion's warnings and errors, by message (info is dropped); the first few are printed. */
const logged: Record<string, number> = {};
/** Set once stopping: what the companion says while it shuts down is not news. */
let quiet = false;
const note =
  (level: string) =>
  (entry: LogEntry): void => {
    if (quiet) return;
    const key = `${level}: ${String(entry.msg)}`;
    logged[key] = (logged[key] ?? 0) + 1;
    if (logged[key] <= 3) process.stderr.write(`  [companion] ${JSON.stringify({ level, ...entry })}\n`);
  };
const logger: Logger = { info: () => {}, warn: note('warn'), error: note('error') };

const common = {
  sample: (req: { gc?: boolean; reset?: boolean }) => {
    const s = probe.sample({ gc: req.gc });
    if (req.reset) probe.reset();
    return { sample: s, logged };
  },
  reset: () => void probe.reset(),
  clock: () => ({ now: epochNow() }),
};

if (kind === 'porthole') {
  const config = loadConfig({ ...process.env });
  if (config.mode !== 'gateway') throw new Error(`live-server expects PORTHOLE_MODE=gateway (received ${config.mode})`);
  const mmUrl = process.env.BENCH_MM_URL!;
  const bot = benchBotClients(mmUrl);
  const store = SqliteGatewayStore.open(config.dataDir);
  const companion = createCompanion(config, {
    logger,
    rateLimitStore: new LiftedRateLimitStore(),
    gateway: { mattermost: bot.mattermost, store },
  });
  let running: RunningServer | undefined;
  answerRequests(
    {
      ...common,
      async seed(req: Seed) {
        const createdAt = Date.now();
        for (const [conversationId, visitorUserId, rootPostId] of req.conversations)
          await store.insertConversation({
            conversationId,
            visitorUserId,
            rootPostId,
            channelId: req.channelId,
            createdAt,
            name: 'Bench visitor',
          });
        return { seeded: req.conversations.length };
      },
    },
    {
      async start() {
        await companion.start();
        running = await serve(companion, { port, host: '127.0.0.1' });
      },
      async onStop() {
        quiet = true;
        if (running) await shutdown(companion, running, { graceMs: 3000 });
        else await companion.stop().catch(() => {});
        await store.close();
        await bot.revoke(config.adminToken);
      },
    },
  );
} else if (kind === 'bare') {
  /** conversation id → its sockets. */
  const byConversation = new Map<string, Set<WebSocket>>();
  /** root post id → conversation id (as the store maps them). */
  const roots = new Map<string, string>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  const all = new Set<WebSocket>();
  const alive = new WeakMap<WebSocket, boolean>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!(req.url ?? '').startsWith('/v1/live')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });
  const accept = (ws: WebSocket) => {
    let conversation: string | undefined;
    all.add(ws);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', () => {});
    ws.on('close', () => {
      all.delete(ws);
      const set = conversation === undefined ? undefined : byConversation.get(conversation);
      set?.delete(ws);
      if (set?.size === 0) byConversation.delete(conversation!);
    });
    ws.on('message', (data) => {
      let frame: { type?: string; token?: string };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return ws.close(4400, 'frame is not JSON');
      }
      if (frame.type === 'ping') return ws.send('{"type":"pong"}');
      if (frame.type === 'auth' && typeof frame.token === 'string') {
        // Decoded, not verified: the least a hub must do to know the socket's conversation.
        const claims = JSON.parse(Buffer.from(frame.token.split('.')[1] ?? '', 'base64url').toString()) as {
          cid: string;
          uid: string;
          exp: number;
        };
        if (conversation === undefined) {
          conversation = claims.cid;
          let set = byConversation.get(conversation);
          if (!set) byConversation.set(conversation, (set = new Set()));
          set.add(ws);
        }
        ws.send(JSON.stringify({ type: 'ready', userId: claims.uid, expiresAt: claims.exp }));
      }
    });
  };
  const heartbeat = setInterval(() => {
    for (const ws of all) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, 30_000);
  heartbeat.unref();
  let feed: WebSocket | undefined;
  const onEvent = (raw: WebSocket.RawData) => {
    const event = JSON.parse(raw.toString()) as { event?: string; data?: { post?: string } };
    if (event.event !== 'posted' || typeof event.data?.post !== 'string') return;
    const post = JSON.parse(event.data.post) as Record<string, any>;
    const conversation = roots.get(post.root_id);
    if (!conversation) return;
    const frame = JSON.stringify({
      type: 'posted',
      message: {
        id: post.id,
        userId: post.user_id,
        text: post.message,
        createAt: post.create_at,
        updateAt: post.update_at,
        deleted: false,
        edited: false,
      },
    });
    for (const ws of byConversation.get(conversation) ?? []) if (ws.readyState === ws.OPEN) ws.send(frame);
  };
  answerRequests(
    {
      ...common,
      seed(req: Seed) {
        for (const [conversationId, , rootPostId] of req.conversations) roots.set(rootPostId, conversationId);
        return { seeded: req.conversations.length };
      },
      feed(req: { url: string }) {
        return new Promise((resolve, reject) => {
          feed?.terminate();
          const ws = (feed = new WebSocket(req.url, { perMessageDeflate: false }));
          ws.once('open', () => resolve({}));
          ws.once('error', (err) => reject(new Error(`the tap's feed at ${req.url}: ${err.message}`)));
          ws.on('message', onEvent);
        });
      },
    },
    {
      start: () =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve(void (server.address() as AddressInfo)));
        }),
      async onStop() {
        clearInterval(heartbeat);
        feed?.terminate();
        for (const ws of all) ws.terminate();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    },
  );
} else {
  process.stderr.write(`live-server: BENCH_LIVE_KIND must be porthole or bare (received ${JSON.stringify(kind)})\n`);
  process.exit(2);
}
