// A tap on Mattermost's WebSocket, in a process of its own, for the live-socket benchmarks
// (bench/sockets.ts, bench/soak.ts). The companion's PORTHOLE_MM_URL points here, so its bot
// socket (`/api/v4/websocket`) runs through the tap: every frame is passed on both ways to the real
// Mattermost (BENCH_MM_URL) — the authentication challenge, the real events — and the tap can add
// synthetic `posted` events of its own, shaped like Mattermost's, as if agents were replying in the
// conversations' threads at a rate the real Mattermost on this machine cannot take. The reference
// server (support/live-server.ts, kind `bare`) takes the same events on `/feed`.
//
// `inject` ({ rate, seconds, channelId, userId, roots: string[], label }): `posted` events at
// `rate` per second for `seconds`, round-robin over the threads `roots`, to every connected
// socket (the companion's bot socket or the bare server's feed: one at a time). Each post's text is
// `<label> <n> @<epoch ms>`, stamped just before it is sent. Also `clock` and `stop`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { answerRequests, epochNow } from './ipc.ts';
import { ProcessProbe } from './process-probe.ts';

const port = Number(process.env.BENCH_TAP_PORT);
const upstreamUrl = `${process.env.BENCH_MM_URL!.replace(/^http/, 'ws').replace(/\/+$/, '')}/api/v4/websocket`;
const probe = new ProcessProbe();

/** Sockets the injected events go to. */
const targets = new Set<WebSocket>();
let seq = 1_000_000_000;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
const server = http.createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const path = (req.url ?? '').split('?')[0];
  if (path === '/api/v4/websocket') wss.handleUpgrade(req, socket, head, (ws) => proxy(ws));
  else if (path === '/feed')
    wss.handleUpgrade(req, socket, head, (ws) => {
      targets.add(ws);
      ws.on('error', () => {});
      ws.on('close', () => targets.delete(ws));
    });
  else socket.destroy();
});

/** The companion's bot socket: everything passed on to Mattermost and back, and injected events added. */
function proxy(down: WebSocket): void {
  const up = new WebSocket(upstreamUrl, { perMessageDeflate: false });
  const queued: string[] = [];
  down.on('error', () => {});
  up.on('error', () => down.terminate());
  up.on('open', () => {
    for (const m of queued.splice(0)) up.send(m);
  });
  down.on('message', (data) => {
    const text = data.toString();
    if (up.readyState === up.OPEN) up.send(text);
    else queued.push(text);
  });
  up.on('message', (data) => down.readyState === down.OPEN && down.send(data.toString()));
  down.on('close', () => {
    targets.delete(down);
    up.terminate();
  });
  up.on('close', () => down.terminate());
  targets.add(down);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** A 26-character id, like Mattermost's. */
const mmId = () =>
  Array.from(randomBytes(26), (b) => ALPHABET[b % 36])
    .join('')
    .replace(/^[0-9]/, 'a');

/** A `posted` event as Mattermost 11 sends it to a member of a private channel (public/model/websocket_message.go). */
function postedEvent(o: { channelId: string; userId: string; rootId: string; message: string }): string {
  const now = Date.now();
  const post = {
    id: mmId(),
    create_at: now,
    update_at: now,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: o.userId,
    channel_id: o.channelId,
    root_id: o.rootId,
    original_id: '',
    message: o.message,
    type: '',
    props: { disable_group_highlight: true },
    hashtags: '',
    pending_post_id: '',
    reply_count: 2,
    last_reply_at: 0,
    participants: null,
    metadata: {},
  };
  return JSON.stringify({
    event: 'posted',
    data: {
      channel_display_name: 'Porthole benchmarks',
      channel_name: 'porthole-bench',
      channel_type: 'P',
      post: JSON.stringify(post),
      sender_name: '@agent-ada',
      set_online: true,
      team_id: '',
    },
    broadcast: { omit_users: null, user_id: '', channel_id: o.channelId, team_id: '', connection_id: '', omit_connection_id: '' },
    seq: seq++,
  });
}

interface Injection {
  rate: number;
  seconds: number;
  channelId: string;
  userId: string;
  roots: string[];
  label: string;
}

/** Sends the events on schedule (due ones every millisecond or so); resolves with what was sent. */
function inject(o: Injection): Promise<{ sent: number; unsent: number; seconds: number; lagMaxMs: number; targets: number }> {
  const total = Math.round(o.rate * o.seconds);
  const t0 = performance.now();
  let n = 0;
  /** Events due while no socket was connected (the bot socket reconnecting after a Mattermost restart). */
  let unsent = 0;
  let lagMaxMs = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (n < total && t0 + (n * 1000) / o.rate <= now) {
        lagMaxMs = Math.max(lagMaxMs, now - (t0 + (n * 1000) / o.rate));
        const rootId = o.roots[n % o.roots.length]!;
        const message = `${o.label} ${n + 1} of ${total}: Thanks for waiting — your order shipped today. @${epochNow().toFixed(3)}`;
        const frame = postedEvent({ channelId: o.channelId, userId: o.userId, rootId, message });
        let to = 0;
        for (const ws of targets) if (ws.readyState === ws.OPEN) (ws.send(frame), to++);
        if (!to) unsent++;
        n++;
      }
      if (n < total) setTimeout(tick, 1);
      else resolve({ sent: n - unsent, unsent, seconds: (performance.now() - t0) / 1000, lagMaxMs, targets: targets.size });
    };
    tick();
  });
}

answerRequests(
  {
    inject: (req) => inject(req as unknown as Injection),
    targets: () => ({ targets: targets.size }),
    clock: () => ({ now: epochNow() }),
    sample: (req: { reset?: boolean }) => {
      const s = probe.sample();
      if (req.reset) probe.reset();
      return { sample: s };
    },
  },
  {
    start: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    async onStop() {
      for (const ws of targets) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  },
);
