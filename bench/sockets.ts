// 8. Live sockets and fan-out, one companion instance: how many visitors' `/v1/live` sockets one
// companion process holds and what they cost (memory, CPU, event-loop delay) — idle, then with the
// widget's keep-alive traffic —, how fast it fans agent messages out to them (1,000 a second,
// synthetic events on its bot socket, and end to end through the real Mattermost at the rate it
// sustains here), each beside a bare `ws` hub (or, end to end, a bare client on Mattermost's own
// WebSocket) measured in the same run. The processes: support/live-rig.ts.
import fs from 'node:fs';
import os from 'node:os';
import { loadConfig as loadHarnessConfig } from '../dev/mattermost/config.mjs';
import { serverPid } from '../dev/mattermost/server.mjs';
import { mattermost, type MattermostInfo } from '../test/support/mattermost.ts';
import { benchDataDir, benchSupportChannel } from './support/companion-env.ts';
import { clockOffset, epochNow, type Helper } from './support/ipc.ts';
import {
  identities,
  LIVE_URL,
  ORIGIN,
  openSockets,
  PORTS,
  realConversation,
  seed,
  startLiveServer,
  startLoaders,
  startTap,
  tokenSecret,
  WIDGET_PING_MS,
  type Identity,
  type OpenResult,
} from './support/live-rig.ts';
import { ELD_RESOLUTION_MS, STALL_MS, type ProcessSample } from './support/process-probe.ts';
import { cpuWindow, pidsNamed } from './support/proc-cpu.ts';
import { num, summarize, tail, verdict } from './support/stats.ts';
import { agentClient, ensurePortFree, sleep, waitForMattermost } from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

const TITLE = '8. Live sockets and fan-out (one instance)';
const TARGET_RSS_MB = 600;
const TARGET_FANOUT_P99_MS = 50;
const MB = 2 ** 20;
const mb = (b: number) => `${num(b / MB, 0)} MB`;

type Kind = 'porthole' | 'bare';
type Loader = { helper: Helper; offset: number };

interface Counts {
  sockets: number;
  loaders: number;
  concurrency: number;
  idleS: number;
  trafficS: number;
  fanRate: number;
  fanS: number;
  warmS: number;
  e2eConversations: number;
  e2eCalibrateS: number;
  e2eS: number;
}

/** One measured window: the server's figures, the load generators' CPU and the machine's. */
interface Window {
  server: ProcessSample;
  /** Loaders and the tap together, % of one core. */
  loadCpu: number;
  /** Both cores, % of all. */
  machine: number;
  /** Mattermost and PostgreSQL, % of one core. */
  mattermost: number;
  /** Interrupts (loopback networking) and steal (the hypervisor's), % of one core. */
  kernel: number;
  /**
   * Everything else on the machine, % of one core: what the cores did beyond the server, the load
   * generators, the tap, Mattermost, PostgreSQL and interrupts (this benchmark's own process
   * included; other work on the machine shows here).
   */
  others: number;
  /** The busiest other processes by command name (≥ 1 % of a core), this benchmark's own included. */
  busiest: { comm: string; pct: number }[];
}

/** Mattermost's server and PostgreSQL's processes, for their CPU. */
const mattermostGroups = () => {
  const mmPid = serverPid(loadHarnessConfig());
  return { mattermost: () => (mmPid ? [mmPid] : []), postgres: () => pidsNamed('postgres') };
};

interface HubRun {
  kind: Kind;
  /** After a GC, before any socket. */
  base: ProcessSample;
  open: OpenResult;
  idle: Window;
  /** After a GC, all sockets open, at the end of the idle hold. */
  idleGc: ProcessSample;
  traffic: Window & { pong: number[]; drops: Record<string, number> };
  fan: Window & { latencies: number[]; sent: number; unsent: number; expected: number; lagMaxMs: number; targets: number };
  /** The companion's warnings and errors by message (none for the bare hub). */
  logged: Record<string, number>;
  /** Unexpected closes over the whole run (the loaders count from their start). */
  drops: Record<string, number>;
}

interface E2eRun {
  conversations: number;
  calibrated: number;
  rate: number;
  posted: number;
  failed: number;
  behind: number;
  seconds: number;
  visitor: number[];
  mattermost: number[];
  window: Window & { mmCpu: number; pgCpu: number; posterCpu: number };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const merge = (ds: Record<string, number>[]) => {
  const out: Record<string, number> = {};
  for (const d of ds) for (const [k, v] of Object.entries(d)) out[k] = (out[k] ?? 0) + v;
  return out;
};
const dropsText = (d: Record<string, number>) =>
  Object.keys(d).length
    ? Object.entries(d)
        .map(([k, v]) => `${v} × ${k}`)
        .join(', ')
    : 'none';

/** Runs `work` as one measured window of `server`, the loaders and the tap. */
async function measured<T>(server: Helper, loaders: Loader[], tap: Helper, work: () => Promise<T>): Promise<Window & { result: T }> {
  await Promise.all([
    server.ask('reset'),
    tap.ask('sample', { reset: true }),
    ...loaders.map((l) => l.helper.ask('sample', { reset: true })),
  ]);
  const machine = cpuWindow(mattermostGroups(), () => [server, tap, ...loaders.map((l) => l.helper)].map((h) => h.child.pid!));
  const result = await work();
  const [s, t, ...ls] = await Promise.all([
    server.ask<{ sample: ProcessSample }>('sample'),
    tap.ask<{ sample: ProcessSample }>('sample'),
    ...loaders.map((l) => l.helper.ask<{ sample: ProcessSample }>('sample')),
  ]);
  const m = machine.stop();
  const loadCpu = t.sample.cpuPct + sum(ls.map((l) => l.sample.cpuPct));
  const mattermost = (m.byName.mattermost ?? 0) + (m.byName.postgres ?? 0);
  const kernel = m.irq + m.steal;
  const others = Math.max(0, m.machine * m.cores - s.sample.cpuPct - loadCpu - mattermost - kernel);
  const busiest = m.others.filter((o) => o.pct >= 1).slice(0, 3);
  return { server: s.sample, loadCpu, machine: m.machine, mattermost, kernel, others, busiest, result };
}

/** Delivery latencies from every loader, each put on this process's clock (the stamp's clock: `stampOffset`). */
async function collect(loaders: Loader[], stampOffset: number) {
  const parts = await Promise.all(
    loaders.map(async (l) => {
      const c = await l.helper.ask<{ latencies: number[]; pongRtt: number[]; drops: Record<string, number> }>('collect');
      return { ...c, latencies: c.latencies.map((v) => v - l.offset + stampOffset) };
    }),
  );
  return {
    latencies: parts.flatMap((p) => p.latencies),
    pong: parts.flatMap((p) => p.pongRtt),
    drops: merge(parts.map((p) => p.drops)),
  };
}

async function runHub(
  kind: Kind,
  o: {
    mm: MattermostInfo;
    c: Counts;
    ids: Identity[];
    supportChannelId: string;
    tap: Helper;
    tapOffset: number;
    loaders: Loader[];
    log: BenchContext['log'];
    defer: BenchContext['defer'];
    e2e?: (server: Helper) => Promise<E2eRun>;
  },
): Promise<{ run: HubRun; e2e?: E2eRun }> {
  const { c, ids, tap, loaders, log } = o;
  const data = benchDataDir();
  o.defer(() => data.remove());
  const server = await startLiveServer(kind, o.mm, { supportChannelId: o.supportChannelId, dataDir: data.dir }, o.defer);
  if (kind === 'bare') await server.ask('feed', { url: `ws://127.0.0.1:${PORTS.tap}/feed` });
  await seed(server, o.supportChannelId, ids);
  const base = (await server.ask<{ sample: ProcessSample }>('sample', { gc: true })).sample;
  log(`${kind}: server up (RSS ${mb(base.rss)}, heap ${mb(base.heapUsed)} after GC); opening ${num(ids.length, 0)} sockets`);

  const secret = tokenSecret(o.mm, o.supportChannelId);
  const open = await openSockets(
    loaders,
    LIVE_URL[kind],
    ids.map(([cid, uid]) => [cid, uid]),
    { secret, concurrency: c.concurrency },
  );
  log(
    `${kind}: ${num(open.opened, 0)} sockets ready in ${num(open.ms / 1000, 1)} s${open.failed ? `; ${open.failed} failed (${open.errors.join('; ')})` : ''}`,
  );

  const idle = await measured(server, loaders, tap, () => sleep(c.idleS * 1000));
  const idleGc = (await server.ask<{ sample: ProcessSample }>('sample', { gc: true })).sample;
  log(
    `${kind}: idle ${c.idleS} s — RSS ${mb(idle.server.rss)}, heap ${mb(idle.server.heapUsed)} (${mb(idleGc.heapUsed)} after GC), CPU ${num(idle.server.cpuPct)} %, ELD p99 ${num(idle.server.eld.p99)} ms`,
  );

  await Promise.all(loaders.map((l) => l.helper.ask('traffic', { pingEveryMs: WIDGET_PING_MS })));
  await Promise.all(loaders.map((l) => l.helper.ask('record', {})));
  const trafficW = await measured(server, loaders, tap, () => sleep(c.trafficS * 1000));
  const t = await collect(loaders, 0);
  const traffic = { ...trafficW, pong: t.pong, drops: t.drops };
  log(
    `${kind}: pings every ${WIDGET_PING_MS / 1000} s for ${c.trafficS} s — CPU ${num(traffic.server.cpuPct)} %, ELD p99 ${num(traffic.server.eld.p99)} ms, ping→pong ${tail(t.pong)}`,
  );

  // Fan-out: synthetic `posted` events on the server's Mattermost socket, round-robin over the conversations.
  const label = `fan-${kind}-${Date.now()}`;
  const inject = (l: string, seconds: number) =>
    tap.ask<{ sent: number; unsent: number; lagMaxMs: number; targets: number }>(
      'inject',
      { rate: c.fanRate, seconds, channelId: o.supportChannelId, userId: o.mm.agents[0]!.id, roots: ids.map((i) => i[2]), label: l },
      (seconds + 60) * 1000,
    );
  if (c.warmS) await inject(`warm-${label}`, c.warmS);
  await sleep(500);
  await Promise.all(loaders.map((l) => l.helper.ask('record', { label })));
  const fanW = await measured(server, loaders, tap, () => inject(label, c.fanS));
  await sleep(c.fanS > 5 ? 2000 : 500);
  const f = await collect(loaders, o.tapOffset);
  const fan = {
    ...fanW,
    latencies: f.latencies,
    sent: fanW.result.sent,
    unsent: fanW.result.unsent,
    expected: Math.round(c.fanRate * c.fanS),
    lagMaxMs: fanW.result.lagMaxMs,
    targets: fanW.result.targets,
  };
  if (fan.targets !== 1) log(`${kind}: the tap had ${fan.targets} sockets to send to (expected 1: the ${kind} server's)`);
  if (fan.unsent)
    log(`${kind}: ${fan.unsent} events found no socket at the tap (the bot socket was reconnecting: did Mattermost restart?); not counted`);
  log(
    `${kind}: fan-out ${c.fanRate}/s for ${c.fanS} s — ${tail(f.latencies)}; ${fan.sent - f.latencies.length} of ${fan.sent} not received; CPU ${num(fan.server.cpuPct)} %, ELD p99 ${num(fan.server.eld.p99)} ms`,
  );

  const e2e = o.e2e ? await o.e2e(server) : undefined;

  await Promise.all(loaders.map((l) => l.helper.ask('traffic', { pingEveryMs: 0 })));
  const end = await collect(loaders, 0);
  const { logged } = await server.ask<{ logged: Record<string, number> }>('sample');
  await Promise.all(loaders.map((l) => l.helper.ask('close', {}, 120_000)));
  await server.stop();
  return {
    run: { kind, base, open, idle, idleGc, traffic, fan, logged, drops: end.drops },
    e2e,
  };
}

/** End to end: an agent posts over Mattermost's REST API in real conversations; receipt at the visitors' sockets and at a bare Mattermost client. */
async function runE2e(
  server: Helper,
  o: { mm: MattermostInfo; c: Counts; supportChannelId: string; tap: Helper; loaders: Loader[]; log: BenchContext['log'] },
): Promise<E2eRun> {
  const { mm, c, loaders, log } = o;
  await waitForMattermost(mm);
  const convs: Awaited<ReturnType<typeof realConversation>>[] = [];
  for (let i = 0; i < c.e2eConversations; i++) convs.push(await realConversation(o.supportChannelId));
  const visitors = loaders[0]!;
  const watcher = loaders[loaders.length > 1 ? 1 : 0]!;
  const opened = await visitors.helper.ask<{ opened: number; failed: number; errors: string[] }>('open', {
    url: LIVE_URL.porthole,
    origin: ORIGIN,
    secret: tokenSecret(mm, o.supportChannelId),
    ttlMs: 0,
    entries: convs.map((v) => v.entry),
    concurrency: 8,
  });
  if (opened.failed) throw new Error(`the real conversations' sockets did not open: ${opened.errors.join('; ')}`);
  const agent = await agentClient(mm);
  const token = agent.getToken();
  const label = `e2e-${Date.now()}`;
  await watcher.helper.ask('mmWatch', { url: `${mm.url.replace(/^http/, 'ws')}/api/v4/websocket`, token, label });

  let failed = 0;
  let firstError = '';
  const post = async (l: string, i: number) => {
    const conv = convs[i % convs.length]!;
    const t = epochNow();
    try {
      const res = await fetch(`${mm.url}/api/v4/posts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          channel_id: o.supportChannelId,
          root_id: conv.rootId,
          message: `${l} ${i + 1}: Thanks for waiting — your order shipped today. @${t.toFixed(3)}`,
        }),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`POST /api/v4/posts → ${res.status}`);
    } catch (err) {
      failed++;
      firstError ||= (err as Error).message;
    }
  };

  // The rate Mattermost sustains here: 8 posters back to back.
  let calibrated = 0;
  {
    const until = performance.now() + c.e2eCalibrateS * 1000;
    let i = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) await post(`cal-${label}`, i++);
      }),
    );
    calibrated = (i - failed) / ((performance.now() - t0) / 1000);
  }
  const rate = Math.max(2, Math.floor(calibrated * 0.8));
  log(`end to end: Mattermost took ${num(calibrated)} posts/s from 8 posters back to back; posting at ${rate}/s for ${c.e2eS} s`);
  await sleep(c.e2eS > 5 ? 1000 : 300);
  await Promise.all(loaders.map((l) => l.helper.ask('record', { label })));
  failed = 0;
  const cpu = cpuWindow(mattermostGroups());
  const poster0 = process.cpuUsage();
  let behind = 0;
  const w = await measured(server, loaders, o.tap, async () => {
    const total = Math.round(rate * c.e2eS);
    const inflight = new Set<Promise<void>>();
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (inflight.size >= 64) {
        behind++;
        await Promise.race(inflight);
      }
      const p = post(label, i).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    return { total, seconds: (performance.now() - t0) / 1000 };
  });
  const cpuUse = cpu.stop();
  const poster = process.cpuUsage(poster0);
  // Mattermost's tail is long under load: wait for the last posts' events.
  await sleep(c.e2eS > 5 ? 3000 : 1500);
  const v = await collect([visitors], 0);
  const m = await watcher.helper.ask<{ latencies: number[] }>('mmCollect');
  const run: E2eRun = {
    conversations: convs.length,
    calibrated,
    rate,
    posted: w.result.total - failed,
    failed,
    behind,
    seconds: w.result.seconds,
    visitor: v.latencies,
    mattermost: m.latencies.map((x) => x - watcher.offset),
    window: {
      ...w,
      mmCpu: cpuUse.byName.mattermost ?? NaN,
      pgCpu: cpuUse.byName.postgres ?? NaN,
      posterCpu: ((poster.user + poster.system) / 1000 / (w.result.seconds * 1000)) * 100,
    },
  };
  if (failed) log(`end to end: ${failed} posts failed (${firstError})`);
  log(
    `end to end at ${rate}/s: visitors ${tail(run.visitor)}; bare Mattermost client ${tail(run.mattermost)}; Mattermost CPU ${num(run.window.mmCpu)} %, PostgreSQL ${num(run.window.pgCpu)} %`,
  );
  return run;
}

const cpuEld = (w: Window) =>
  `CPU ${num(w.server.cpuPct)} % of a core; event-loop delay p50 ${num(w.server.eld.p50)} · p99 ${num(w.server.eld.p99)} ms (max ${num(w.server.eld.max)})`;

export default async function socketsBench({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const c: Counts = smoke
    ? {
        sockets: 200,
        loaders: 1,
        concurrency: 50,
        idleS: 1,
        trafficS: 1,
        fanRate: 1000,
        fanS: 1,
        warmS: 0,
        e2eConversations: 2,
        e2eCalibrateS: 1,
        e2eS: 1,
      }
    : {
        sockets: 10_000,
        loaders: 4,
        concurrency: 100,
        idleS: 30,
        trafficS: 30,
        fanRate: 1000,
        fanS: 30,
        warmS: 3,
        e2eConversations: 20,
        e2eCalibrateS: 5,
        e2eS: 20,
      };
  const mm = await mattermost();
  await waitForMattermost(mm);
  for (const [what, port] of Object.entries(PORTS)) await ensurePortFree(port, `the ${what} of the live-socket benchmark`);
  const supportChannelId = await benchSupportChannel(mm);

  const tap = await startTap(mm, defer);
  const loaders = await startLoaders(c.loaders, defer);
  const tapOffset = await clockOffset(tap);
  const ids = await identities(c.sockets);
  const common = { mm, c, ids, supportChannelId, tap, tapOffset, loaders, log, defer };
  const porthole = await runHub('porthole', {
    ...common,
    e2e: (server) => runE2e(server, { mm, c, supportChannelId, tap, loaders, log }),
  });
  const bare = await runHub('bare', common);
  const p = porthole.run;
  const b = bare.run;
  const e = porthole.e2e!;

  const perSocket = (r: HubRun) => ({
    rss: (r.idle.server.rss - r.base.rss) / Math.max(1, r.open.opened),
    heap: (r.idleGc.heapUsed - r.base.heapUsed) / Math.max(1, r.open.opened),
  });
  const pp = perSocket(p);
  const bp = perSocket(b);
  const n = num(c.sockets, 0);
  const kb = (v: number) => `${num(v / 1024, 1)} KB`;
  const openText = (r: HubRun) =>
    `${num(r.open.ms / 1000, 1)} s (${num(r.open.opened / (r.open.ms / 1000), 0)} sockets/s)${r.open.failed ? `; ${r.open.failed} failed: ${r.open.errors[0]}` : ''}`;
  const memText = (r: HubRun, per: { rss: number; heap: number }) =>
    `RSS ${mb(r.idle.server.rss)}, heap used ${mb(r.idleGc.heapUsed)} after GC (${mb(r.base.heapUsed)} before the sockets): +${kb(per.heap)} heap, +${kb(per.rss)} RSS per socket`;
  const pongText = (r: HubRun) => {
    const s = summarize(r.traffic.pong);
    return `ping→pong p50 ${num(s.median)} · p99 ${num(s.p99)} ms (n=${s.n})`;
  };
  const stalls = (w: Window) => {
    const st = w.server.stalls;
    if (!st.length) return 'no stall ≥ 50 ms';
    return `${st.length} stall${st.length > 1 ? 's' : ''} ≥ 50 ms (longest ${num(Math.max(...st.map((x) => x.ms)), 0)} ms, at ${st.map((x) => `${num(x.at / 1000, 1)} s`).join(', ')})`;
  };
  const longest = (w: Window) => Math.max(0, ...w.server.stalls.map((x) => x.ms));
  const fanMissing = (r: HubRun) => r.fan.sent - r.fan.latencies.length;
  const pf = summarize(p.fan.latencies);
  const bf = summarize(b.fan.latencies);
  const ep = summarize(e.visitor);
  const em = summarize(e.mattermost);
  /** Share of the fan-out's messages later than the target. */
  const late = (xs: number[]) => (xs.filter((x) => x > TARGET_FANOUT_P99_MS).length / Math.max(1, xs.length)) * 100;

  const rows: Row[] = [
    {
      figure: `${n} visitor sockets opened (auth → ready), ${c.loaders} load-generator process${c.loaders > 1 ? 'es' : ''}`,
      porthole: openText(p),
      reference: `bare ws ${openText(b)}`,
      target: 'informative',
      verdict: '—',
    },
    {
      figure: `Companion memory, ${n} sockets idle`,
      porthole: memText(p, pp),
      reference: `bare ws ${memText(b, bp)}`,
      target: `RSS ≤ ${TARGET_RSS_MB} MB`,
      verdict: verdict(p.idle.server.rss <= TARGET_RSS_MB * MB && p.open.failed === 0),
    },
    {
      figure: `${n} sockets idle for ${c.idleS} s: CPU and event-loop delay`,
      porthole: `${cpuEld(p.idle)}; ${stalls(p.idle)}`,
      reference: `bare ws ${cpuEld(b.idle)}; ${stalls(b.idle)}`,
      target: 'informative',
      verdict: '—',
    },
    {
      figure: `${n} sockets, each pinging every ${WIDGET_PING_MS / 1000} s (the widget's keep-alive), ${c.trafficS} s`,
      porthole: `${cpuEld(p.traffic)}; ${pongText(p)}; RSS ${mb(p.traffic.server.rss)}`,
      reference: `bare ws ${cpuEld(b.traffic)}; ${pongText(b)}; RSS ${mb(b.traffic.server.rss)}`,
      target: 'informative',
      verdict: '—',
    },
    {
      figure: `Fan-out: ${num(c.fanRate, 0)} agent messages/s for ${c.fanS} s (synthetic events on the bot's socket) → ${n} connected visitors`,
      porthole: `${tail(p.fan.latencies)}; ${num(late(p.fan.latencies), 1)} % over ${TARGET_FANOUT_P99_MS} ms; ${fanMissing(p)} not received`,
      reference: `bare ws ${tail(b.fan.latencies)}; ${num(late(b.fan.latencies), 1)} % over ${TARGET_FANOUT_P99_MS} ms; ${fanMissing(b)} not received`,
      target: `p99 ≤ ${TARGET_FANOUT_P99_MS} ms`,
      verdict: verdict(pf.p99 <= TARGET_FANOUT_P99_MS && fanMissing(p) === 0),
    },
    {
      figure: `Fan-out at ${num(c.fanRate, 0)}/s: the server's CPU, heap and event-loop delay`,
      porthole: `${cpuEld(p.fan)}; ${stalls(p.fan)}; heap used ${mb(p.fan.server.heapUsed)}`,
      reference: `bare ws ${cpuEld(b.fan)}; ${stalls(b.fan)}; heap used ${mb(b.fan.server.heapUsed)}`,
      target: 'informative',
      verdict: '—',
    },
    {
      figure: `End to end through the real Mattermost: agent REST post → visitor socket, ${e.rate} posts/s for ${c.e2eS} s (${e.conversations} conversations, ${n} sockets connected)`,
      porthole: `${tail(e.visitor)}; ${e.posted - e.visitor.length} not received`,
      reference: `bare client on Mattermost's WebSocket ${tail(e.mattermost)}`,
      target: `informative (Mattermost's ceiling here: ${num(e.calibrated, 0)} posts/s)`,
      verdict: '—',
    },
  ];

  const winRow = (label: string, kind: string, w: Window, extra = '') =>
    `| ${label} | ${kind} | ${mb(w.server.rss)} | ${mb(w.server.heapUsed)} | ${num(w.server.cpuPct)} % | ${num(w.server.eld.p50)} / ${num(w.server.eld.p99)} / ${num(w.server.eld.max)} ms | ${w.server.stalls.length} (${num(sum(w.server.stalls.map((x) => x.ms)), 0)} ms) | ${num(w.server.fds, 0)} | ${num(w.loadCpu)} % | ${num(w.mattermost)} % | ${num(w.kernel)} % | ${num(w.others)} %${w.busiest.length ? ` (${w.busiest.map((o) => `${o.comm} ${num(o.pct, 0)} %`).join(', ')})` : ''} | ${num(w.machine)} % | ${extra} |`;
  const details = [
    `| phase | server | RSS | heap used | server CPU (% of a core) | event-loop delay p50 / p99 / max | stalls ≥ 50 ms (time in them) | open fds | load generators' and tap's CPU | Mattermost + PostgreSQL | interrupts + steal | other processes | machine busy (both cores) | |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    `| before any socket (after GC) | Porthole | ${mb(p.base.rss)} | ${mb(p.base.heapUsed)} | | | | ${num(p.base.fds, 0)} | | | | | | |`,
    `| before any socket (after GC) | bare ws | ${mb(b.base.rss)} | ${mb(b.base.heapUsed)} | | | | ${num(b.base.fds, 0)} | | | | | | |`,
    winRow(`idle, ${c.idleS} s`, 'Porthole', p.idle, `heap after GC ${mb(p.idleGc.heapUsed)}`),
    winRow(`idle, ${c.idleS} s`, 'bare ws', b.idle, `heap after GC ${mb(b.idleGc.heapUsed)}`),
    winRow(`pings, ${c.trafficS} s`, 'Porthole', p.traffic, pongText(p)),
    winRow(`pings, ${c.trafficS} s`, 'bare ws', b.traffic, pongText(b)),
    winRow(`fan-out ${c.fanRate}/s, ${c.fanS} s`, 'Porthole', p.fan, `delivery ${tail(p.fan.latencies)}; max ${num(pf.max)} ms`),
    winRow(`fan-out ${c.fanRate}/s, ${c.fanS} s`, 'bare ws', b.fan, `delivery ${tail(b.fan.latencies)}; max ${num(bf.max)} ms`),
    winRow(
      `end to end ${e.rate}/s, ${c.e2eS} s`,
      'Porthole',
      e.window,
      `Mattermost ${num(e.window.mmCpu)} %, PostgreSQL ${num(e.window.pgCpu)} %, poster ${num(e.window.posterCpu)} %`,
    ),
    '',
    `Stalls, when (seconds into each window) and how long: ${(['idle', 'traffic', 'fan'] as const)
      .map((k) => `${k === 'fan' ? 'fan-out' : k === 'traffic' ? 'pings' : k} — Porthole ${stalls(p[k])}, bare ws ${stalls(b[k])}`)
      .join('; ')}; end to end — Porthole ${stalls(e.window)}.`,
    '',
    `Unexpected closes of ready sockets: Porthole ${dropsText(p.drops)}; bare ws ${dropsText(b.drops)}. The companion's warnings and errors: ${dropsText(p.logged)}.${p.fan.unsent ? ` ${p.fan.unsent} fan-out events found no bot socket at the tap (it was reconnecting) and are not counted.` : ''} The tap's scheduler ran at most ${num(p.fan.lagMaxMs)} ms (Porthole) / ${num(b.fan.lagMaxMs)} ms (bare) behind its schedule. End to end: ${e.posted} posts made${e.failed ? `, ${e.failed} failed` : ''}${e.behind ? `; ${e.behind} times the poster had 64 requests in flight and waited for one (Mattermost behind the schedule)` : ''}; the bare Mattermost client received ${e.mattermost.length}. Medians: visitor ${num(ep.median)} ms, bare Mattermost client ${num(em.median)} ms — the bot socket, the tap's hop and the companion between them ${Math.abs(ep.median - em.median) < 2 ? 'within the noise' : `${num(ep.median - em.median)} ms`}.`,
  ].join('\n');

  const method = [
    `One companion process in gateway mode (\`createCompanion\` + \`serve\` from src/server, as the CLI serves it; \`bench/support/live-server.ts\`), on 127.0.0.1:${PORTS.companion}, its store the default SQLite one in a fresh directory, rate limits lifted (every socket comes from 127.0.0.1; \`PORTHOLE_LIVE_CONNECTS_PER_MINUTE\` and \`support/lifted-rate-limits.ts\`), silent logger. Its memory (\`process.memoryUsage()\`; "after GC" with \`--expose-gc\`), CPU (\`process.cpuUsage()\`, % of one core), event-loop delay (\`monitorEventLoopDelay\`, ${ELD_RESOLUTION_MS} ms resolution, the excess over it) and stalls (a ${ELD_RESOLUTION_MS} ms interval that ran ≥ ${STALL_MS} ms late, and when) are measured inside it and reported over IPC. Its bot socket to Mattermost runs through a tap (\`support/mattermost-tap.ts\`, its own process on 127.0.0.1:${PORTS.tap}) that passes every frame on both ways and can add synthetic events; its REST calls go straight to Mattermost (the benchmarks' bot \`porthole-bench-bot\` and channel \`porthole-bench\`).`,
    `Visitors: ${n} synthetic conversations are seeded into the store (threads of their own that no Mattermost post has); ${c.loaders} load-generator process${c.loaders > 1 ? 'es' : ''} (\`support/socket-load.ts\`, \`ws\` clients) sign each visitor's Porthole token with the companion's secret (as \`POST /v1/session\` would: 15 min), open the sockets with ${c.concurrency} handshakes in flight each and send the \`auth\` frame; a socket counts once its \`ready\` arrived. Then: idle for ${c.idleS} s (only the hub's own ws ping of every socket every 30 s); then each socket sends the widget's \`{"type":"ping"}\` every ${WIDGET_PING_MS / 1000} s (src/transport/gateway-transport.ts; random phase, so spread) for ${c.trafficS} s, and the round trip to its \`pong\` is timed; the pings go on for the rest of the run. Windows of 30 s hold exactly one of the hub's heartbeats.`,
    `Fan-out: the tap sends \`posted\` events shaped like Mattermost 11's (a reply by an agent in one conversation's thread, the post as a JSON string) on the bot's socket, ${num(c.fanRate, 0)} a second for ${c.fanS} s${c.warmS ? ` after ${c.warmS} s of warm-up` : ''}, round-robin over the conversations; each goes through the companion's bot socket, relay (post parsed, thread looked up in the store, message made) and hub to that conversation's socket. Latency: from the tap's time stamp in the post's text, taken just before it sends the event, to the frame's arrival in the load generator (the processes' clocks put on one by the IPC round trip of least delay among 20).`,
    `End to end: ${e.conversations} real conversations are made as the widget makes them (\`POST /v1/session\`, first \`POST /v1/messages\`), their sockets opened beside the others; an agent then posts replies in their threads over Mattermost's REST API (\`POST /api/v4/posts\`) — first 8 posters back to back for ${c.e2eCalibrateS} s, to find the rate Mattermost sustains here, then at 80 % of it on a fixed schedule for ${c.e2eS} s. Latency: from just before the REST call to the arrival at the visitor's socket (Mattermost → the tap → the companion → the visitor). Mattermost's and PostgreSQL's CPU from /proc.`,
    `Reference, same run, after the companion has stopped: the same visitors, frames and phases against a bare \`ws\` WebSocketServer on node:http in a process of its own (\`live-server.ts\` \`bare\`, 127.0.0.1:${PORTS.bare}, the same socket options and the same tsx loader): it decodes the \`auth\` frame's token without verifying it, answers \`ping\`, pings every socket every 30 s in one loop (the heartbeat of the \`ws\` README), and sends each \`posted\` event from the tap (its \`/feed\`) to the conversation's sockets after parsing it — the least any hub must do. End to end, the reference is a bare client on Mattermost's own WebSocket, receiving the same posts.`,
  ].join('\n\n');

  const stallsText = () => {
    /** The longest delay of the event loop in a window (the histogram's max). */
    const maxDelay = (w: Window) => Math.max(w.server.eld.max, longest(w));
    const worst = (r: HubRun) => Math.max(maxDelay(r.idle), maxDelay(r.traffic), maxDelay(r.fan));
    const pw = worst(p);
    const bw = worst(b);
    const at = (w: Window) => w.server.stalls.map((x) => `${num(x.at / 1000, 1)} s`).join(', ');
    /** "idle at 25.7 s, fan-out at 20.4 s into the window" — the windows that had stalls ≥ 50 ms. */
    const when = (r: HubRun) => {
      const parts = (
        [
          ['idle', r.idle],
          ['with pings', r.traffic],
          ['fan-out', r.fan],
        ] as const
      )
        .filter(([, w]) => w.server.stalls.length)
        .map(([name, w]) => `${name} at ${at(w)}`);
      return parts.length ? ` (${parts.join('; ')} into the window)` : '';
    };
    const tailOf = (r: HubRun, name: string) =>
      `${name}: ${num(late(r.fan.latencies), 1)} % of the fan-out's messages over ${TARGET_FANOUT_P99_MS} ms, its longest delay during it ${num(maxDelay(r.fan), 0)} ms`;
    const bare =
      bw >= 100
        ? `The bare ws hub pings all its sockets in one loop every 30 s (a ws ping, one socket write each): with ${n} sockets that stalled it for up to ${num(bw, 0)} ms each time${when(b)}.`
        : `The bare ws hub, pinging all its sockets in one loop every 30 s, was never held up for more than ${num(bw, 0)} ms.`;
    const porthole =
      pw >= 100
        ? `The companion's event loop was held up for up to ${num(pw, 0)} ms${when(p)}, by whatever ran in one go then: a garbage collection, the hub's heartbeat (every 30 s it pings its sockets) or revocation sweep (every 60 s it checks each open conversation in the store), or another process on the cores.`
        : `The companion's event loop was never held up for more than ${num(pw, 0)} ms, heartbeats and revocation sweeps included.`;
    return `**Stalls.** ${bare} ${porthole} Nothing is delivered during a stall: the messages that arrive queue behind it, and that is where a fan-out's tail comes from (${tailOf(p, 'Porthole')}; ${tailOf(b, 'bare')}), and the ping→pong p99. Otherwise a message takes about ${num(pf.median)} ms (p50; bare ${num(bf.median)} ms), the companion's extra work being the relay's (the post parsed and validated, its thread looked up in the store, the message made).`;
  };
  const limits = [
    `**Shared cores.** Everything runs on the same ${os.cpus().length} cores: the server, ${c.loaders} load generator${c.loaders > 1 ? 's' : ''} and the tap (${num(p.fan.loadCpu)} % of a core together during Porthole's fan-out, ${num(p.traffic.loadCpu)} % during its pings), and Mattermost and PostgreSQL (idle except end to end). Both cores were ${num(p.fan.machine)} % busy during the fan-out, ${num(e.window.machine)} % end to end. The load generators' own event loops add to every latency here (they receive ${num(c.fanRate, 0)} frames/s between them and hold ${n} sockets). Other processes on the machine took up to ${num(Math.max(p.idle.others, p.traffic.others, p.fan.others, e.window.others), 0)} % of a core during the companion's windows (end to end ${num(e.window.others, 0)} %) and ${num(Math.max(b.idle.others, b.traffic.others, b.fan.others), 0)} % during the reference's (column "other processes" above; this benchmark's own process, which mostly waits, counts there too): the more, the more the stalls and tails above are theirs. Interrupt handling — the kernel's side of loopback networking, charged to no process — and the hypervisor's steal took up to ${num(Math.max(p.idle.kernel, p.traffic.kernel, p.fan.kernel, e.window.kernel), 0)} % of a core.`,
    stallsText(),
    `**Memory per socket.** Porthole: +${kb(pp.heap)} of heap per socket (after GC), against +${kb(bp.heap)} for the bare ws hub: the hub's client record, its listeners, the token's visitor record, the conversation index and an expiry timer per socket. RSS grows less than the heap at first (${mb(p.base.rss)} before the sockets already held pages the heap reuses). At this rate memory is not what caps one instance: the ${TARGET_RSS_MB} MB target leaves room for several times ${n}; the file descriptors (below) run out first.`,
    `**Fan-out.** The tap's events are what Mattermost would send at that rate, but not Mattermost: the real one here took ${num(e.calibrated, 0)} posts/s from 8 back-to-back posters (at ${e.rate}/s: Mattermost ${num(e.window.mmCpu)} % and PostgreSQL ${num(e.window.pgCpu)} % of a core, the machine ${num(e.window.machine)} % busy), so the end-to-end figure is at that rate, and its latency is mostly Mattermost's (its bare client's p50 ${num(em.median)} · p99 ${num(em.p99)} ms against the visitors' ${num(ep.median)} · ${num(ep.p99)} ms). The relay handles events one at a time, in order; each event here is for one conversation with one socket, so this is ${num(c.fanRate, 0)} frames/s out, not a broadcast.`,
    `**File descriptors and ports.** \`ulimit -n\` is 20,000 per process: the companion held ${num(p.idle.server.fds, 0)} fds with ${n} sockets, so one process tops out a little under 20,000 sockets here unless the limit is raised. All sockets come from 127.0.0.1 to one port, within the 28,232 ephemeral ports of \`ip_local_port_range\` (32768–60999); the companion's sockets are closed before the reference's open. Opening is paced by the handshakes in flight (${c.concurrency} per load generator) and by the one event loop that accepts, upgrades and authenticates every socket (Porthole ${num(p.open.opened / (p.open.ms / 1000), 0)} sockets/s, bare ${num(b.open.opened / (b.open.ms / 1000), 0)}/s).`,
  ].join('\n\n');

  return {
    title: TITLE,
    versions: { ws: JSON.parse(fs.readFileSync('node_modules/ws/package.json', 'utf8')).version },
    rows,
    method,
    details,
    limits,
  };
}
