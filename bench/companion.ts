// 7. Companion: sessions per second and latency for returning visitors (autocannon), the
// companion's own overhead beyond its calls to Mattermost, and /healthz throughput beside a
// bare node:http server.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { adminApi, mattermost } from '../test/support/mattermost.ts';
import { medianSpread, median, num, summarize, verdict } from './support/stats.ts';
import { companionEnv } from '../dev/companion-env.mjs';
import { benchCompanionEnv, ensurePortFree, PAGE_ORIGIN } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const PORT = 8782;
const BARE_PORT = 8783;
const BASE = `http://127.0.0.1:${PORT}`;
const TARGET_OVERHEAD_MS = 2;

/** autocannon reports whole milliseconds: a median of 0 means under 1 ms. */
const ms = (v: number[]) => (median(v) === 0 ? '< 1 ms' : `${num(median(v))} ms`);

type Sample = { path: string; status: number; total: number; mm: number; calls: number };

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

export default async function companionBench({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const mm = await mattermost();
  await ensurePortFree(PORT, 'the companion under load');
  await ensurePortFree(BARE_PORT, 'the bare node:http reference server');

  const child = fork(path.resolve('bench/support/companion-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      ...companionEnv(mm, benchCompanionEnv()),
      BENCH_COMPANION_PORT: String(PORT),
      BENCH_BARE_PORT: String(BARE_PORT),
    },
  });
  defer(() => new Promise<void>((r) => (child.once('exit', () => r()), child.connected ? child.send({ cmd: 'stop' }) : child.kill())));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the companion process exited with ${code} before it listened`)));
  });

  // Returning visitors: each gets its Mattermost user, channel and cookie once, before the load.
  const visitors = smoke ? 2 : 20;
  const cookies: string[] = [];
  const users: string[] = [];
  defer(async () => {
    for (const id of users) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
  });
  for (let i = 0; i < visitors; i++) {
    const res = await fetch(`${BASE}/v1/session`, { method: 'POST', headers: { Origin: PAGE_ORIGIN } });
    if (!res.ok) throw new Error(`POST /v1/session → ${res.status} ${await res.text()}`);
    users.push(((await res.json()) as { userId: string }).userId);
    const c = res.headers.getSetCookie().map((s) => s.split(';')[0]!).find((s) => s.startsWith('porthole_vid='));
    if (!c) throw new Error('POST /v1/session set no porthole_vid cookie');
    cookies.push(c);
  }
  log(`${visitors} returning visitors ready`);

  const runs = smoke ? 1 : 3;
  const duration = smoke ? 2 : 10;
  const connections = smoke ? 2 : 8;
  const seqDuration = smoke ? 1 : 5;
  let k = 0;
  const sessionOpts: autocannon.Options = {
    url: `${BASE}/v1/session`,
    method: 'POST',
    headers: { Origin: PAGE_ORIGIN, 'Content-Type': 'application/json' },
    body: '{}',
    connections,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, Cookie: cookies[k++ % cookies.length]! } }) }],
  };
  if (!smoke) {
    log('warm-up: 3 s, not counted');
    await cannon({ ...sessionOpts, duration: 3 });
  }

  const sess = { rps: [] as number[], p50: [] as number[], p99: [] as number[], ovP50: [] as number[], ovP99: [] as number[], mmP50: [] as number[], non2xx: 0, errors: 0, calls: [] as number[] };
  const seq = { p50: [] as number[], ovP50: [] as number[], ovP99: [] as number[], mmP50: [] as number[] };
  /** One autocannon run against /v1/session, with the companion's own timing of the same requests. */
  const sessionRun = async (opts: autocannon.Options) => {
    await ask(child, 'reset');
    const res = await cannon(opts);
    const { samples } = await ask<{ samples: Sample[] }>(child, 'stats');
    const ok = samples.filter((s) => s.path === '/v1/session' && s.status === 200);
    return { res, ok, ov: summarize(ok.map((s) => s.total - s.mm)), mm: summarize(ok.map((s) => s.mm)) };
  };
  for (let r = 0; r < runs; r++) {
    // Under load: throughput and latency as clients see them.
    const load = await sessionRun(sessionOpts);
    sess.rps.push(load.res.requests.average);
    sess.p50.push(load.res.latency.p50);
    sess.p99.push(load.res.latency.p99);
    sess.ovP50.push(load.ov.median);
    sess.ovP99.push(load.ov.p99);
    sess.mmP50.push(load.mm.median);
    sess.calls.push(median(load.ok.map((s) => s.calls)));
    sess.non2xx += load.res.non2xx;
    sess.errors += load.res.errors + load.res.timeouts;
    // One request at a time: the companion's own cost without queueing behind other requests.
    const one = await sessionRun({ ...sessionOpts, connections: 1, duration: seqDuration });
    seq.p50.push(one.res.latency.p50);
    seq.ovP50.push(one.ov.median);
    seq.ovP99.push(one.ov.p99);
    seq.mmP50.push(one.mm.median);
    sess.non2xx += one.res.non2xx;
    sess.errors += one.res.errors + one.res.timeouts;
    log(`sessions run ${r + 1}/${runs}: ${num(load.res.requests.average)} req/s, p50 ${load.res.latency.p50} ms, p99 ${load.res.latency.p99} ms, overhead p50 ${num(load.ov.median)} ms under load, ${num(one.ov.median)} ms one at a time; non-2xx ${load.res.non2xx + one.res.non2xx}`);
  }

  const health = { companion: { rps: [] as number[], p50: [] as number[], p99: [] as number[] }, bare: { rps: [] as number[], p50: [] as number[], p99: [] as number[] } };
  const healthOwn: number[] = [];
  const healthUrl = (which: 'companion' | 'bare') => (which === 'companion' ? `${BASE}/healthz` : `http://127.0.0.1:${BARE_PORT}/`);
  if (!smoke) for (const which of ['companion', 'bare'] as const) await cannon({ url: healthUrl(which), connections: 10, duration: 2 });
  for (let r = 0; r < runs; r++) {
    for (const which of ['companion', 'bare'] as const) {
      await ask(child, 'reset');
      const res = await cannon({ url: healthUrl(which), connections: smoke ? 4 : 10, duration: smoke ? 1 : 5 });
      if (which === 'companion') {
        const { samples } = await ask<{ samples: Sample[] }>(child, 'stats');
        healthOwn.push(summarize(samples.filter((s) => s.path === '/healthz').map((s) => s.total)).median);
      }
      health[which].rps.push(res.requests.average);
      health[which].p50.push(res.latency.p50);
      health[which].p99.push(res.latency.p99);
      log(`/healthz run ${r + 1}/${runs} ${which}: ${num(res.requests.average)} req/s, p50 ${res.latency.p50} ms`);
    }
  }

  const ovMedian = median(seq.ovP50);
  return {
    title: '7. Companion',
    versions: { autocannon: '9.0.0' },
    rows: [
      {
        figure: 'Sessions per second, returning visitors',
        porthole: medianSpread(sess.rps, 'req/s'),
        reference: `bounded by Mattermost: ${num(median(sess.calls), 0)} Mattermost calls per session${sess.non2xx || sess.errors ? `; ${sess.non2xx} non-2xx, ${sess.errors} errors` : ''}`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure: 'Session latency (autocannon p50 / p99)',
        porthole: `p50 ${medianSpread(sess.p50)}; p99 ${medianSpread(sess.p99)}`,
        reference: `of which waiting for Mattermost: p50 ${medianSpread(sess.mmP50)}`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure: "Companion's own overhead per session (request time − Mattermost calls), one request at a time",
        porthole: `p50 ${medianSpread(seq.ovP50, 'ms', 2)}; p99 ${medianSpread(seq.ovP99, 'ms', 2)}`,
        reference: `the same timing around \`GET /healthz\` (no Mattermost call): p50 ${medianSpread(healthOwn, 'ms', 2)}; Mattermost's share of the same sessions: p50 ${medianSpread(seq.mmP50)}`,
        target: `p50 ≤ ${TARGET_OVERHEAD_MS} ms`,
        verdict: verdict(ovMedian <= TARGET_OVERHEAD_MS),
      },
      {
        figure: `Companion's own overhead per session under load (${connections} connections)`,
        porthole: `p50 ${medianSpread(sess.ovP50, 'ms', 2)}; p99 ${medianSpread(sess.ovP99, 'ms', 2)}`,
        reference: 'includes waiting for its event loop behind other requests',
        target: 'informative',
        verdict: '—',
      },
      {
        figure: '/healthz throughput',
        porthole: `${medianSpread(health.companion.rps, 'req/s')}; p50 ${ms(health.companion.p50)}, p99 ${ms(health.companion.p99)}`,
        reference: `bare node:http ${medianSpread(health.bare.rps, 'req/s')}; p50 ${ms(health.bare.p50)}, p99 ${ms(health.bare.p99)}`,
        target: 'informative',
        verdict: '—',
      },
    ],
    method: [
      `The companion (\`createCompanion\` from src/server, served with its own \`toNodeListener\` adapter, silent logger) runs in its own Node process on 127.0.0.1:${PORT}, talking to the real Mattermost. autocannon 9 runs in the benchmark process on the same machine (2 cores shared by autocannon, the companion, Mattermost and PostgreSQL).`,
      `Returning visitors: ${visitors} visitors are created first (one \`POST /v1/session\` each); the load then cycles through their cookies — \`POST /v1/session\` with \`Origin: ${PAGE_ORIGIN}\` and body \`{}\`, ${connections} connections for ${duration} s, ${runs} run${runs === 1 ? '' : 's'} after a 3 s warm-up. Each such request finds the user and channel, checks memberships and mints a fresh user access token (revoking the oldest beyond 3). The rate limit is raised to 100,000 a minute for the run (all requests come from one IP).`,
      "Overhead: the companion process times every request from the moment Node hands it to the listener until the response is finished; its Mattermost client gets a fetch that records each call's interval (until its body is fully received), per request through AsyncLocalStorage. Overhead = request time − the union of those intervals: routing, validation, cookie HMAC, JSON, Node's HTTP — everything the companion adds. The target applies to the single-connection runs; under load the same figure also holds the time a request waits for the event loop while others are processed. Per run the p50 and p99 over all successful requests; the table gives the median of the runs and their spread.",
      `/healthz: \`GET /healthz\` on the companion against a bare node:http server answering the same \`{"status":"ok"}\` in the same process, ${smoke ? 4 : 10} connections for ${smoke ? 1 : 5} s each, alternating, after a 2 s warm-up of each. autocannon's latencies are whole milliseconds.`,
    ].join('\n\n'),
    limits:
      ovMedian > TARGET_OVERHEAD_MS
        ? `The companion adds ${num(ovMedian, 2)} ms (p50) of its own per session even one request at a time. Each returning visitor's session runs ${num(median(sess.calls), 0)} Mattermost calls one after another, and every call costs the companion its own work — building the request, parsing and validating (zod) the answer — on top of the HMAC check of the cookie and the response; on 2 cores shared with Mattermost and PostgreSQL, whatever runs between those calls also waits for a core.`
        : '',
  };
}
