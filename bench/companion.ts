// 7. Companion, in gateway mode and in direct mode: sessions per second and latency for
// returning visitors (autocannon) and the Mattermost calls they make, new conversations per
// second, the companion's own overhead beyond its calls to Mattermost, and /healthz throughput
// beside a bare node:http server.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { adminApi, mattermost, type MattermostInfo } from '../test/support/mattermost.ts';
import { benchCompanionEnv, benchDataDir, benchSupportChannel, MODES, type Mode } from './support/companion-env.ts';
import { returningSessionsLoad } from './support/session-load.ts';
import { medianSpread, median, num, summarize, verdict } from './support/stats.ts';
import { ensurePortFree, PAGE_ORIGIN, waitForMattermost } from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

const PORT = 8782;
const BARE_PORT = 8783;
const BASE = `http://127.0.0.1:${PORT}`;
const TARGET_OVERHEAD_MS = 2;
/** Gateway: returning visitors' sessions per second, with no Mattermost call. */
const TARGET_SESSIONS_PER_S = 2000;

/** autocannon reports whole milliseconds: a median of 0 means under 1 ms. */
const ms = (v: number[]) => (median(v) === 0 ? '< 1 ms' : `${num(median(v))} ms`);

type Sample = { path: string; status: number; total: number; mm: number; calls: number };
type Stats = { samples: Sample[]; mmCalls: number };

function ask<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { cmd: string }) => {
      if (m.cmd !== cmd) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send({ cmd });
  });
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** The companion in `mode` in its own process (support/companion-server.ts); resolves once it listens. */
async function startServer(
  mm: MattermostInfo,
  mode: Mode,
  defer: BenchContext['defer'],
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  await waitForMattermost(mm);
  const data = mode === 'gateway' ? benchDataDir() : undefined;
  const supportChannelId = mode === 'gateway' ? await benchSupportChannel(mm) : undefined;
  const child = fork(path.resolve('bench/support/companion-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      ...benchCompanionEnv(mm, mode, { origin: PAGE_ORIGIN, dataDir: data?.dir, supportChannelId }),
      BENCH_COMPANION_PORT: String(PORT),
      BENCH_BARE_PORT: String(BARE_PORT),
    },
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((r) => {
          child.once('exit', () => r());
          if (child.connected) child.send({ cmd: 'stop' });
          else child.kill();
        });
      }
      data?.remove();
    })());
  defer(stop);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the ${mode} companion process exited with ${code} before it listened`)));
  });
  return { child, stop };
}

interface Session {
  mode?: string;
  userId: string;
  channelId: string;
  token: string;
  cookie: string;
}

/** A new anonymous visitor's session (no cookie), with the cookie it set. */
async function newSession(): Promise<Session> {
  const res = await fetch(`${BASE}/v1/session`, { method: 'POST', headers: { Origin: PAGE_ORIGIN } });
  if (!res.ok) throw new Error(`POST /v1/session → ${res.status} ${await res.text()}`);
  const body = (await res.json()) as Omit<Session, 'cookie'>;
  const cookie = res.headers
    .getSetCookie()
    .map((s) => s.split(';')[0]!)
    .find((s) => s.startsWith('porthole_vid='));
  if (!cookie) throw new Error('POST /v1/session set no porthole_vid cookie');
  return { ...body, cookie };
}

/** Gateway: the visitor's first message, which creates the conversation (root post and reply). */
async function firstMessage(token: string): Promise<void> {
  const res = await fetch(`${BASE}/v1/messages`, {
    method: 'POST',
    headers: { Origin: PAGE_ORIGIN, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: randomUUID(), text: 'Hello! I have a question about my order.' }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/messages → ${res.status} ${await res.text()} (expected 201, a new message)`);
}

interface ModeRun {
  mode: Mode;
  load: string;
  visitors: number;
  sess: {
    rps: number[];
    p50: number[];
    p99: number[];
    ovP50: number[];
    ovP99: number[];
    mmP50: number[];
    non2xx: number;
    errors: number;
    calls: number[];
    mmCallsDuringLoad: number[];
    requests: number;
  };
  seq: { p50: number[]; ovP50: number[]; ovP99: number[]; mmP50: number[] };
  conv: { n: number; concurrency: number; perS: number; latency: number[]; failed: number; callsEach: number };
  health?: {
    companion: { rps: number[]; p50: number[]; p99: number[] };
    bare: { rps: number[]; p50: number[]; p99: number[] };
    own: number[];
  };
}

interface Counts {
  runs: number;
  duration: number;
  connections: number;
  seqDuration: number;
  visitors: number;
  conversations: Record<Mode, number>;
  convConcurrency: number;
}

async function runMode(
  mm: MattermostInfo,
  mode: Mode,
  c: Counts,
  o: { smoke: boolean; health: boolean; log: BenchContext['log']; defer: BenchContext['defer'] },
): Promise<ModeRun> {
  const { log, defer, smoke } = o;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const server = await startServer(mm, mode, defer);
  const { child } = server;
  // Direct mode creates a Mattermost user and channel per new visitor: deleted at the end.
  const users = new Set<string>();
  const channels = new Set<string>();
  const cleanUp = async () => {
    for (const id of channels) await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
    for (const id of users) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
    users.clear();
    channels.clear();
  };
  defer(cleanUp);
  const track = (s: Session) => {
    if (mode !== 'direct') return;
    users.add(s.userId);
    channels.add(s.channelId);
  };

  // Returning visitors: each gets its session (direct: its Mattermost user and channel; gateway:
  // its conversation, through a first message) and cookie once, before the load.
  const cookies: string[] = [];
  for (let i = 0; i < c.visitors; i++) {
    const s = await newSession();
    if ((s.mode ?? 'direct') !== mode) throw new Error(`expected a ${mode} session; the companion answered mode ${JSON.stringify(s.mode)}`);
    track(s);
    if (mode === 'gateway') await firstMessage(s.token);
    cookies.push(s.cookie);
  }
  log(`${mode}: ${c.visitors} returning visitors ready`);

  const sessionOpts = returningSessionsLoad(BASE, cookies, c);
  if (!smoke) {
    log(`${mode}: warm-up 3 s, not counted`);
    await cannon({ ...sessionOpts, duration: 3 });
  }

  const run: ModeRun = {
    mode,
    load,
    visitors: c.visitors,
    sess: {
      rps: [],
      p50: [],
      p99: [],
      ovP50: [],
      ovP99: [],
      mmP50: [],
      non2xx: 0,
      errors: 0,
      calls: [],
      mmCallsDuringLoad: [],
      requests: 0,
    },
    seq: { p50: [], ovP50: [], ovP99: [], mmP50: [] },
    conv: { n: 0, concurrency: c.convConcurrency, perS: NaN, latency: [], failed: 0, callsEach: NaN },
  };
  /** One autocannon run against /v1/session, with the companion's own timing of the same requests. */
  const sessionRun = async (opts: autocannon.Options) => {
    await ask(child, 'reset');
    const res = await cannon(opts);
    const { samples, mmCalls } = await ask<Stats>(child, 'stats');
    const ok = samples.filter((s) => s.path === '/v1/session' && s.status === 200);
    return { res, ok, mmCalls, ov: summarize(ok.map((s) => s.total - s.mm)), mm: summarize(ok.map((s) => s.mm)) };
  };
  const { sess, seq } = run;
  for (let r = 0; r < c.runs; r++) {
    // Under load: throughput and latency as clients see them.
    const loadRun = await sessionRun(sessionOpts);
    sess.rps.push(loadRun.res.requests.average);
    sess.p50.push(loadRun.res.latency.p50);
    sess.p99.push(loadRun.res.latency.p99);
    sess.ovP50.push(loadRun.ov.median);
    sess.ovP99.push(loadRun.ov.p99);
    sess.mmP50.push(loadRun.mm.median);
    sess.calls.push(median(loadRun.ok.map((s) => s.calls)));
    sess.mmCallsDuringLoad.push(loadRun.mmCalls);
    sess.requests += loadRun.ok.length;
    sess.non2xx += loadRun.res.non2xx;
    sess.errors += loadRun.res.errors + loadRun.res.timeouts;
    // One request at a time: the companion's own cost without queueing behind other requests.
    const one = await sessionRun({ ...sessionOpts, connections: 1, duration: c.seqDuration });
    seq.p50.push(one.res.latency.p50);
    seq.ovP50.push(one.ov.median);
    seq.ovP99.push(one.ov.p99);
    seq.mmP50.push(one.mm.median);
    sess.mmCallsDuringLoad.push(one.mmCalls);
    sess.requests += one.ok.length;
    sess.non2xx += one.res.non2xx;
    sess.errors += one.res.errors + one.res.timeouts;
    log(
      `${mode} sessions run ${r + 1}/${c.runs}: ${num(loadRun.res.requests.average)} req/s, p50 ${loadRun.res.latency.p50} ms, p99 ${loadRun.res.latency.p99} ms, overhead p50 ${num(loadRun.ov.median)} ms under load, ${num(one.ov.median)} ms one at a time; Mattermost calls ${loadRun.mmCalls + one.mmCalls}; non-2xx ${loadRun.res.non2xx + one.res.non2xx}`,
    );
  }

  // New conversations: `n` new visitors, `concurrency` at a time, until each has a conversation in
  // Mattermost — gateway: the session and the first message (root post + reply); direct: the session
  // (user, team membership, channel, token).
  {
    const n = c.conversations[mode];
    await ask(child, 'reset');
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c.convConcurrency }, async () => {
        while (next < n) {
          next++;
          const t = performance.now();
          try {
            const s = await newSession();
            track(s);
            if (mode === 'gateway') await firstMessage(s.token);
            run.conv.latency.push(performance.now() - t);
          } catch (err) {
            run.conv.failed++;
            if (run.conv.failed <= 3) log(`${mode}: a new conversation failed: ${(err as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const { mmCalls } = await ask<Stats>(child, 'stats');
    const done = run.conv.latency.length;
    run.conv = { ...run.conv, n, perS: done / seconds, callsEach: mmCalls / Math.max(1, done) };
    log(
      `${mode}: ${done} new conversations in ${num(seconds, 1)} s (${num(run.conv.perS)}/s, ${c.convConcurrency} at a time), ${num(run.conv.callsEach, 1)} Mattermost calls each; ${run.conv.failed} failed`,
    );
  }
  await cleanUp();

  if (o.health) {
    const health = {
      companion: { rps: [] as number[], p50: [] as number[], p99: [] as number[] },
      bare: { rps: [] as number[], p50: [] as number[], p99: [] as number[] },
      own: [] as number[],
    };
    const healthUrl = (which: 'companion' | 'bare') => (which === 'companion' ? `${BASE}/healthz` : `http://127.0.0.1:${BARE_PORT}/`);
    if (!smoke) for (const which of ['companion', 'bare'] as const) await cannon({ url: healthUrl(which), connections: 10, duration: 2 });
    for (let r = 0; r < c.runs; r++) {
      for (const which of ['companion', 'bare'] as const) {
        await ask(child, 'reset');
        const res = await cannon({ url: healthUrl(which), connections: smoke ? 4 : 10, duration: smoke ? 1 : 5 });
        if (which === 'companion') {
          const { samples } = await ask<Stats>(child, 'stats');
          health.own.push(summarize(samples.filter((s) => s.path === '/healthz').map((s) => s.total)).median);
        }
        health[which].rps.push(res.requests.average);
        health[which].p50.push(res.latency.p50);
        health[which].p99.push(res.latency.p99);
        log(`/healthz run ${r + 1}/${c.runs} ${which}: ${num(res.requests.average)} req/s, p50 ${res.latency.p50} ms`);
      }
    }
    run.health = health;
  }
  await server.stop();
  return run;
}

export default async function companionBench({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const mm = await mattermost();
  await ensurePortFree(PORT, 'the companion under load');
  await ensurePortFree(BARE_PORT, 'the bare node:http reference server');

  const c: Counts = {
    runs: smoke ? 1 : 3,
    duration: smoke ? 2 : 10,
    connections: smoke ? 2 : 8,
    seqDuration: smoke ? 1 : 5,
    visitors: smoke ? 2 : 20,
    // Direct mode's conversations are Mattermost users (seats of the unlicensed server's 250), deleted after.
    conversations: smoke ? { gateway: 3, direct: 2 } : { gateway: 300, direct: 40 },
    convConcurrency: smoke ? 2 : 8,
  };
  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES) runs[mode] = await runMode(mm, mode, c, { smoke, health: mode === MODES[0], log, defer });

  const rows: Row[] = [];
  const limits: string[] = [];
  for (const mode of MODES) {
    const { sess, seq, conv } = runs[mode];
    const Mode = mode === 'gateway' ? 'Gateway' : 'Direct';
    const calls = sess.mmCallsDuringLoad.reduce((a, b) => a + b, 0);
    const rps = median(sess.rps);
    const errors = sess.non2xx || sess.errors ? `; ${sess.non2xx} non-2xx, ${sess.errors} errors` : '';
    if (mode === 'gateway') {
      rows.push({
        figure: `${Mode}: sessions per second, returning visitors (no Mattermost call)`,
        porthole: `${medianSpread(sess.rps, 'req/s')}; ${num(calls, 0)} Mattermost calls during ${num(sess.requests, 0)} sessions`,
        reference: `direct mode ${medianSpread(runs.direct.sess.rps, 'req/s')}, ${num(median(runs.direct.sess.calls), 0)} Mattermost calls per session${errors}`,
        target: `≥ ${num(TARGET_SESSIONS_PER_S, 0)} req/s, 0 Mattermost calls`,
        verdict: verdict(rps >= TARGET_SESSIONS_PER_S && calls === 0 && sess.non2xx === 0),
      });
    } else {
      rows.push({
        figure: `${Mode}: sessions per second, returning visitors`,
        porthole: medianSpread(sess.rps, 'req/s'),
        reference: `bounded by Mattermost: ${num(median(sess.calls), 0)} Mattermost calls per session${errors}`,
        target: 'informative',
        verdict: '—',
      });
    }
    rows.push(
      {
        figure: `${Mode}: session latency (autocannon p50 / p99, ${c.connections} connections)`,
        porthole: `p50 ${medianSpread(sess.p50)}; p99 ${medianSpread(sess.p99)}`,
        reference: `of which waiting for Mattermost: p50 ${medianSpread(sess.mmP50)}`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure: `${Mode}: companion's own overhead per session (request time − Mattermost calls), one request at a time`,
        porthole: `p50 ${medianSpread(seq.ovP50, 'ms', 2)}; p99 ${medianSpread(seq.ovP99, 'ms', 2)}`,
        reference: `the same timing around \`GET /healthz\` (no Mattermost call): p50 ${medianSpread(runs[MODES[0]].health!.own, 'ms', 2)}; Mattermost's share of the same sessions: p50 ${medianSpread(seq.mmP50)}`,
        target: `p50 ≤ ${TARGET_OVERHEAD_MS} ms`,
        verdict: verdict(median(seq.ovP50) <= TARGET_OVERHEAD_MS),
      },
      {
        figure: `${Mode}: companion's own overhead per session under load (${c.connections} connections)`,
        porthole: `p50 ${medianSpread(sess.ovP50, 'ms', 2)}; p99 ${medianSpread(sess.ovP99, 'ms', 2)}`,
        reference: 'includes waiting for its event loop behind other requests',
        target: 'informative',
        verdict: '—',
      },
      {
        figure: `${Mode}: new conversations per second (${mode === 'gateway' ? 'session + first message: root post and reply' : 'session: user, team, channel, token'}; ${conv.n} new visitors, ${conv.concurrency} at a time)`,
        porthole: `${num(conv.perS)} /s; each ${medianSpread(conv.latency)}, p99 ${num(summarize(conv.latency).p99)} ms; ${num(conv.callsEach, 1)} Mattermost calls each${conv.failed ? `; ${conv.failed} failed` : ''}`,
        reference: mode === 'gateway' ? `direct mode ${num(runs.direct.conv.perS)} /s` : `gateway mode ${num(runs.gateway.conv.perS)} /s`,
        target: 'informative',
        verdict: '—',
      },
    );
    if (median(seq.ovP50) > TARGET_OVERHEAD_MS)
      limits.push(
        mode === 'direct'
          ? `Direct: the companion adds ${num(median(seq.ovP50), 2)} ms (p50) of its own per session even one request at a time. Each returning visitor's session runs ${num(median(sess.calls), 0)} Mattermost calls one after another, and every call costs the companion its own work — building the request, parsing and validating (zod) the answer — on top of the HMAC check of the cookie and the response; on 2 cores shared with Mattermost and PostgreSQL, whatever runs between those calls also waits for a core.`
          : `Gateway: the companion needs ${num(median(seq.ovP50), 2)} ms (p50) per session one request at a time, with no Mattermost call: the cookie's HMAC check, signing a Porthole token (HMAC-SHA256), the visitor's opaque ids (SHA-256), the rate-limit hit, CORS and JSON, on a core shared with autocannon, Mattermost and PostgreSQL.`,
      );
    if (mode === 'gateway' && !(rps >= TARGET_SESSIONS_PER_S && calls === 0))
      limits.push(
        `Gateway: ${num(rps, 0)} sessions per second${calls ? ` and ${calls} Mattermost calls during the load` : ''}. A returning visitor's session is CPU work only (about ${num(median(seq.ovP50), 2)} ms of it one at a time, p50), in one Node process whose event loop runs it all; autocannon, Mattermost and PostgreSQL share the same 2 cores (load average ${runs.gateway.load} when the mode started).`,
      );
  }
  const h = runs[MODES[0]].health!;
  rows.push({
    figure: `/healthz throughput (${MODES[0]} mode; the route is the same in both)`,
    porthole: `${medianSpread(h.companion.rps, 'req/s')}; p50 ${ms(h.companion.p50)}, p99 ${ms(h.companion.p99)}`,
    reference: `bare node:http ${medianSpread(h.bare.rps, 'req/s')}; p50 ${ms(h.bare.p50)}, p99 ${ms(h.bare.p99)}`,
    target: 'informative',
    verdict: '—',
  });

  return {
    title: '7. Companion',
    versions: { autocannon: '9.0.0' },
    rows,
    method: [
      `The companion (\`createCompanion\` from src/server, served with its own \`toNodeListener\` adapter, silent logger) runs in its own Node process on 127.0.0.1:${PORT}, talking to the real Mattermost — first in gateway mode (its own store in a fresh directory, the benchmarks' bot and support channel), then in direct mode. autocannon 9 runs in the benchmark process on the same machine (2 cores shared by autocannon, the companion, Mattermost and PostgreSQL). Rate limits are raised to their maxima and the remaining ones lifted (every hit still counted, none refused: all requests come from one address).`,
      `Returning visitors: ${c.visitors} visitors are created first (one \`POST /v1/session\` each; in gateway mode also their first message, so each has a conversation); the load then cycles through their cookies — \`POST /v1/session\` with \`Origin: ${PAGE_ORIGIN}\` and body \`{}\`, ${c.connections} connections for ${c.duration} s, ${c.runs} run${c.runs === 1 ? '' : 's'} after a 3 s warm-up, each followed by ${c.seqDuration} s with one connection. Gateway: such a request checks the cookie, derives the visitor's ids and signs a Porthole token — no Mattermost call, no store write. Direct: it finds the user and channel, checks memberships and mints a fresh user access token (revoking the oldest beyond 3).`,
      "Mattermost calls: the companion's Mattermost clients (direct: the admin client; gateway: every REST client the gateway makes, the bot's included) get a fetch that counts every call and records each call's interval (until its body is fully received), per request through AsyncLocalStorage. \"Mattermost calls during the load\" counts every call in the companion process while the session runs went on, whichever request made it or none (the bot socket's backfill). Overhead = request time − the union of that request's intervals: routing, validation, cookie HMAC, token signing, JSON, Node's HTTP — everything the companion adds. The target applies to the single-connection runs; under load the same figure also holds the time a request waits for the event loop while others are processed. Per run the p50 and p99 over all successful requests; the table gives the median of the runs and their spread.",
      `New conversations: ${c.conversations.gateway} new visitors in gateway mode and ${c.conversations.direct} in direct mode (each one a Mattermost user there, deleted with its channel afterwards), ${c.convConcurrency} at a time from Node's fetch, no cookie: gateway — \`POST /v1/session\`, then the first \`POST /v1/messages\`, which creates the thread (the bot's root post, then the message as its reply) and stores the conversation; direct — \`POST /v1/session\`, which creates the user, adds it to the team, creates the channel with the agents, posts the inbox notice and mints a token. Conversations per second = completed ones / wall time; each one's latency is the time of its requests together.`,
      `/healthz: \`GET /healthz\` on the companion (${MODES[0]} mode) against a bare node:http server answering the same \`{"status":"ok"}\` in the same process, ${smoke ? 4 : 10} connections for ${smoke ? 1 : 5} s each, alternating, after a 2 s warm-up of each. autocannon's latencies are whole milliseconds.`,
    ].join('\n\n'),
    details: [
      '| mode | returning-visitor sessions/s | session p50 / p99 | Mattermost calls per session | overhead p50, one at a time | new conversations/s | Mattermost calls per new conversation | load average at start |',
      '|---|---|---|---|---|---|---|---|',
      ...MODES.map((m) => {
        const r = runs[m];
        return `| ${m} | ${num(median(r.sess.rps))} | ${num(median(r.sess.p50))} / ${num(median(r.sess.p99))} ms | ${num(median(r.sess.calls), 0)} | ${num(median(r.seq.ovP50), 2)} ms | ${num(r.conv.perS)} | ${num(r.conv.callsEach, 1)} | ${r.load} |`;
      }),
    ].join('\n'),
    limits: limits.join('\n\n'),
  };
}
