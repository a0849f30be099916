// A load generator for the live-socket benchmarks (bench/sockets.ts, bench/soak.ts): one process
// holding a share of the visitors' `/v1/live` sockets (`ws` clients, as many processes as it takes
// to open 10,000 quickly), doing what the widget's gateway transport does on them
// (src/transport/gateway-transport.ts, live-socket.ts): the `auth` frame first, `ready` awaited; a
// `{"type":"ping"}` every 25 s, answered by `pong`; a fresh token presented before the old one
// expires. It time-stamps every `posted` frame whose text carries a stamp (`… @<epoch ms>`, see
// support/mattermost-tap.ts) the moment it arrives.
//
// Commands (support/ipc.ts): `open` ({ url, origin, secret, ttlMs, entries: [conversationId,
// visitorUserId, token?][], concurrency }), `traffic` ({ pingEveryMs }, 0 stops), `reauth`
// ({ everyMs, secret, ttlMs }, 0 stops), `record` ({ label } or { labels }: start collecting the
// delivery latencies of posts whose text starts with one), `collect` (and clear), `churn` ({ fraction, … as open }),
// `mmWatch` ({ url, token, label }: a bare client on Mattermost's own WebSocket, the end-to-end
// reference), `mmCollect`, `close`, `sample`, `clock`, `stop`.
import { WebSocket } from 'ws';
import { signPortholeToken } from '../../src/server/gateway/porthole-token.ts';
import { answerRequests, epochNow } from './ipc.ts';
import { ProcessProbe } from './process-probe.ts';

type Entry = [conversationId: string, visitorUserId: string, token?: string];

interface Sock {
  entry: Entry;
  ws: WebSocket;
  ready: boolean;
  /** Closed on purpose: its close is not counted as a drop. */
  leaving: boolean;
  pingAt: number;
  /** The pending timer of each periodic frame (`ping`, `auth`). */
  timers: Map<string, ReturnType<typeof setTimeout>>;
}

interface OpenRequest {
  url: string;
  origin: string;
  secret: string;
  ttlMs: number;
  entries: Entry[];
  concurrency: number;
}

const probe = new ProcessProbe();
const socks = new Set<Sock>();
/** Unexpected closes of ready sockets, by "code reason". */
const drops = new Map<string, number>();
/** Labels whose posts are timed, and their latencies since the last `collect`. */
let labels: string[] = [];
let latencies = new Map<string, number[]>();
let pongRtt: number[] = [];
let reauths = 0;
let trafficEvery = 0;
let reauthEvery = 0;
let reauthOpts: { secret: string; ttlMs: number } | undefined;

const stampOf = (text: string, at: number): number | undefined => {
  const i = text.lastIndexOf('@');
  const stamp = i < 0 ? NaN : Number(text.slice(i + 1));
  return Number.isFinite(stamp) ? at - stamp : undefined;
};

const token = (e: Entry, secret: string, ttlMs: number) => {
  const now = Date.now();
  return e[2] ?? signPortholeToken({ cid: e[0], uid: e[1], idf: false, iat: now, exp: now + ttlMs }, secret);
};

/** Opens one socket, authenticates it and resolves once `ready` arrived. */
function openOne(o: OpenRequest, entry: Entry): Promise<Sock> {
  return new Promise(async (resolve, reject) => {
    const auth = JSON.stringify({ type: 'auth', token: await token(entry, o.secret, o.ttlMs) });
    const ws = new WebSocket(o.url, { perMessageDeflate: false, headers: { Origin: o.origin }, handshakeTimeout: 30_000 });
    const s: Sock = { entry, ws, ready: false, leaving: false, pingAt: 0, timers: new Map() };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no ready frame within 30 s'));
    }, 30_000);
    ws.on('open', () => ws.send(auth));
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      for (const t of s.timers.values()) clearTimeout(t);
      socks.delete(s);
      if (!s.ready) return reject(new Error(`closed before ready: ${code} ${reason}`));
      if (!s.leaving) {
        const key = `${code} ${reason}`.trim();
        drops.set(key, (drops.get(key) ?? 0) + 1);
      }
    });
    ws.on('message', (data) => {
      const at = epochNow();
      const frame = JSON.parse(data.toString()) as { type: string; message?: { text: string } };
      if (frame.type === 'posted') {
        const text = frame.message!.text;
        const label = labels.find((l) => text.startsWith(l));
        const l = label === undefined ? undefined : stampOf(text, at);
        if (l !== undefined) latencies.get(label!)!.push(l);
      } else if (frame.type === 'pong') {
        if (s.pingAt) pongRtt.push(at - s.pingAt);
        s.pingAt = 0;
      } else if (frame.type === 'ready') {
        if (s.ready) reauths++;
        else {
          s.ready = true;
          clearTimeout(timer);
          socks.add(s);
          schedule(s);
          resolve(s);
        }
      }
    });
  });
}

/** The socket's periodic frames, as currently asked (each at its own random phase). */
function schedule(s: Sock): void {
  for (const t of s.timers.values()) clearTimeout(t);
  s.timers.clear();
  const every = (name: string, ms: number, fn: () => void) => {
    const loop = () => {
      fn();
      s.timers.set(name, setTimeout(loop, ms));
    };
    s.timers.set(name, setTimeout(loop, Math.random() * ms));
  };
  if (trafficEvery > 0)
    every('ping', trafficEvery, () => {
      if (s.ws.readyState !== s.ws.OPEN) return;
      s.pingAt = epochNow();
      s.ws.send('{"type":"ping"}');
    });
  if (reauthEvery > 0 && reauthOpts) {
    const { secret, ttlMs } = reauthOpts;
    every('auth', reauthEvery, async () => {
      if (s.ws.readyState !== s.ws.OPEN) return;
      s.ws.send(JSON.stringify({ type: 'auth', token: await token([s.entry[0], s.entry[1]], secret, ttlMs) }));
    });
  }
}

async function open(o: OpenRequest) {
  let next = 0;
  let opened = 0;
  const errors: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.entries.length) }, async () => {
      while (next < o.entries.length) {
        const entry = o.entries[next++]!;
        try {
          await openOne(o, entry);
          opened++;
        } catch (err) {
          failed++;
          if (errors.length < 3) errors.push((err as Error).message);
        }
      }
    }),
  );
  return { opened, failed, errors, ms: performance.now() - t0, open: socks.size };
}

async function closeAll(which: Sock[] = [...socks]) {
  await Promise.all(
    which.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.leaving = true;
          for (const t of s.timers.values()) clearTimeout(t);
          if (s.ws.readyState === s.ws.CLOSED) return resolve();
          const timer = setTimeout(() => (s.ws.terminate(), resolve()), 5000);
          s.ws.once('close', () => (clearTimeout(timer), resolve()));
          s.ws.close(1000);
        }),
    ),
  );
  return { closed: which.length, open: socks.size };
}

// The end-to-end reference: Mattermost's own WebSocket, as a bare client.
let mm: WebSocket | undefined;
let mmLatencies: number[] = [];

answerRequests(
  {
    open: (req) => open(req as unknown as OpenRequest),
    traffic(req: { pingEveryMs: number }) {
      trafficEvery = req.pingEveryMs;
      for (const s of socks) schedule(s);
      return { sockets: socks.size };
    },
    reauth(req: { everyMs: number; secret: string; ttlMs: number }) {
      reauthEvery = req.everyMs;
      reauthOpts = { secret: req.secret, ttlMs: req.ttlMs };
      for (const s of socks) schedule(s);
      return { sockets: socks.size };
    },
    record(req: { label?: string; labels?: string[] }) {
      labels = req.labels ?? (req.label === undefined ? [] : [req.label]);
      latencies = new Map(labels.map((l) => [l, []]));
      pongRtt = [];
      return {};
    },
    collect() {
      const byLabel = Object.fromEntries(latencies);
      const out = {
        latencies: [...latencies.values()].flat(),
        byLabel,
        pongRtt,
        drops: Object.fromEntries(drops),
        reauths,
        open: socks.size,
      };
      latencies = new Map(labels.map((l) => [l, []]));
      pongRtt = [];
      return out;
    },
    async churn(req) {
      const o = req as unknown as OpenRequest & { fraction: number };
      const all = [...socks];
      const leaving = all.filter(() => Math.random() < o.fraction);
      await closeAll(leaving);
      const again = await open({ ...o, entries: leaving.map((s) => [s.entry[0], s.entry[1]] as Entry) });
      return { closed: leaving.length, ...again };
    },
    mmWatch(req: { url: string; token: string; label: string }) {
      mmLatencies = [];
      return new Promise((resolve, reject) => {
        const ws = (mm = new WebSocket(req.url, { perMessageDeflate: false }));
        ws.on('open', () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: req.token } })));
        ws.on('error', (err) => reject(new Error(`Mattermost's WebSocket at ${req.url}: ${err.message}`)));
        ws.on('message', (data) => {
          const at = epochNow();
          const m = JSON.parse(data.toString());
          if (m.seq_reply === 1) return m.status === 'OK' ? resolve({}) : reject(new Error(`authentication_challenge answered ${data}`));
          if (m.event !== 'posted') return;
          const post = JSON.parse(m.data.post) as { message: string };
          if (!post.message.startsWith(req.label)) return;
          const l = stampOf(post.message, at);
          if (l !== undefined) mmLatencies.push(l);
        });
      });
    },
    mmCollect() {
      mm?.close();
      mm = undefined;
      return { latencies: mmLatencies };
    },
    close: () => closeAll(),
    sample(req: { reset?: boolean }) {
      const s = probe.sample();
      if (req.reset) probe.reset();
      return { sample: s, open: socks.size };
    },
    clock: () => ({ now: epochNow() }),
  },
  {
    async onStop() {
      mm?.terminate();
      for (const s of socks) s.ws.terminate();
    },
  },
);
