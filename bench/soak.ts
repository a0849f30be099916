// The companion's soak test — not part of `npm run bench`: one companion in gateway mode holds
// visitors' `/v1/live` sockets for an hour (or `--minutes`) with what visitors and agents do to it —
// the widget's ping every 25 s, a fresh token every 10 min, a share of the visitors leaving and
// coming back every minute, synthetic agent messages on its bot socket and a trickle of real ones
// through Mattermost — and takes its heap after a full GC every minute. At the end a straight line
// is fitted through those heaps (after the warm-up): is the heap flat?
//
//   npm run bench:soak                      60 minutes, 2,000 sockets
//   npm run bench:soak -- --minutes 3       a short check
//   npm run bench:soak -- --sockets 5000 --rate 100 --churn 0.1 --real-every 2 --warmup 5 --out soak.json
//
// The processes are those of bench/sockets.ts (support/live-rig.ts; ports 8880 and 8882). Needs the
// real Mattermost (started here when it is down, and stopped again afterwards unless
// PORTHOLE_KEEP_MM=1). Prints a line per minute and the verdict; `--out` also writes the samples as JSON.
import fs from 'node:fs';
import { down, up } from '../dev/mattermost/index.mjs';
import { mattermost } from '../test/support/mattermost.ts';
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
  TOKEN_TTL_MS,
  tokenSecret,
  WIDGET_PING_MS,
} from './support/live-rig.ts';
import type { ProcessSample } from './support/process-probe.ts';
import { num, summarize } from './support/stats.ts';
import { agentClient, ensurePortFree, sleep } from './support/stack.ts';

interface Options {
  minutes: number;
  sockets: number;
  /** Synthetic agent messages per second. */
  rate: number;
  /** Share of the sockets closed and opened again each minute. */
  churn: number;
  /** Seconds between real agent posts through Mattermost (0: none). */
  realEvery: number;
  /** Minutes left out of the fit. */
  warmup: number;
  /** Loader processes. */
  loaders: number;
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { minutes: 60, sockets: 2000, rate: 50, churn: 0.05, realEvery: 2, warmup: NaN, loaders: 2 };
  const numeric: Record<string, keyof Options> = {
    '--minutes': 'minutes',
    '--sockets': 'sockets',
    '--rate': 'rate',
    '--churn': 'churn',
    '--real-every': 'realEvery',
    '--warmup': 'warmup',
    '--loaders': 'loaders',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') {
      console.log(`usage: npm run bench:soak -- [${Object.keys(numeric).join(' <n>] [')} <n>] [--out <file.json>]`);
      process.exit(0);
    }
    const value = inline ?? argv[++i];
    if (flag === '--out') o.out = value;
    else if (numeric[flag] && value !== undefined && Number.isFinite(Number(value)) && Number(value) >= 0)
      (o as unknown as Record<string, number>)[numeric[flag]] = Number(value);
    else {
      console.error(
        `soak: expected ${Object.keys(numeric).join(', ')} with a number ≥ 0, or --out <file>; received ${JSON.stringify(argv[i])}${value === undefined ? ' without a value' : ` ${JSON.stringify(value)}`}`,
      );
      process.exit(2);
    }
  }
  if (!(o.minutes >= 1) || !(o.sockets >= 1) || !(o.loaders >= 1)) {
    console.error(`soak: --minutes, --sockets and --loaders must be at least 1 (received ${o.minutes}, ${o.sockets}, ${o.loaders})`);
    process.exit(2);
  }
  if (!Number.isFinite(o.warmup)) o.warmup = o.minutes >= 20 ? 5 : 1;
  return o;
}

/** Least-squares line through (x, y): slope, its standard error, intercept. */
function fit(xs: number[], ys: number[]): { slope: number; se: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  const se = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : NaN;
  return { slope, se, intercept };
}

interface Minute {
  minute: number;
  /** Hours since the sockets were open. */
  at: number;
  heapAfterGc: number;
  rss: number;
  external: number;
  cpuPct: number;
  eldP99: number;
  stallMaxMs: number;
  sockets: number;
  synthetic: { sent: number; received: number; p50: number; p99: number };
  real: { sent: number; received: number; p50: number; p99: number };
  churned: number;
  drops: Record<string, number>;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const cleanups: (() => unknown)[] = [];
  const defer = (fn: () => unknown) => void cleanups.push(fn);
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const fn of cleanups.splice(0).reverse())
        await Promise.resolve(fn()).catch((e) => console.error(`soak: clean-up failed: ${e?.message ?? e}`));
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, async () => {
      console.error(`soak: stopped (${sig}); cleaning up`);
      setTimeout(() => process.exit(1), 20_000).unref();
      await cleanUp();
      process.exit(1);
    });

  const log = (m: string) => console.error(`  [soak] ${m}`);
  try {
    const info = await up({ log: (m: string) => log(`[mattermost] ${m}`) });
    if (info.startedServer && process.env.PORTHOLE_KEEP_MM !== '1') defer(() => down());
    const mm = await mattermost();
    for (const [what, port] of Object.entries(PORTS).filter(([k]) => k !== 'bare')) await ensurePortFree(port, `the soak's ${what}`);
    const supportChannelId = await benchSupportChannel(mm);
    const secret = tokenSecret(mm, supportChannelId);
    const tap = await startTap(mm, defer);
    const loaders = await startLoaders(o.loaders, defer);
    const tapOffset = await clockOffset(tap);
    const data = benchDataDir();
    defer(() => data.remove());
    const server: Helper = await startLiveServer('porthole', mm, { supportChannelId, dataDir: data.dir }, defer);
    const ids = await identities(o.sockets);
    await seed(server, supportChannelId, ids);
    const base = (await server.ask<{ sample: ProcessSample }>('sample', { gc: true })).sample;
    log(
      `companion up: heap ${num(base.heapUsed / 2 ** 20, 1)} MB after GC; ${o.sockets} sockets, ${o.rate} agent messages/s, ${num(o.churn * 100, 0)} % reconnecting each minute, a real post every ${o.realEvery || '—'} s, for ${o.minutes} min`,
    );
    const opened = await openSockets(
      loaders,
      LIVE_URL.porthole,
      ids.map(([cid, uid]) => [cid, uid]),
      { secret, concurrency: 100 },
    );
    if (opened.failed) throw new Error(`${opened.failed} of ${o.sockets} sockets did not open: ${opened.errors.join('; ')}`);

    // A few real conversations, their sockets on the first loader, an agent posting in them.
    const reals = o.realEvery > 0 ? await Promise.all([0, 1, 2].map(() => realConversation(supportChannelId))) : [];
    if (reals.length) {
      const r = await loaders[0]!.helper.ask<{ failed: number; errors: string[] }>('open', {
        url: LIVE_URL.porthole,
        origin: ORIGIN,
        secret,
        ttlMs: TOKEN_TTL_MS,
        entries: reals.map((c) => c.entry),
        concurrency: 3,
      });
      if (r.failed) throw new Error(`the real conversations' sockets did not open: ${r.errors.join('; ')}`);
    }
    const agentToken = reals.length ? (await agentClient(mm)).getToken() : '';

    const run = `soak-${Date.now()}`;
    const synLabel = `${run}-s`;
    const realLabel = `${run}-r`;
    await Promise.all(
      loaders.map(async (l) => {
        await l.helper.ask('traffic', { pingEveryMs: WIDGET_PING_MS });
        // The widget presents a fresh token before its 15 min one expires.
        await l.helper.ask('reauth', { everyMs: 10 * 60_000, secret, ttlMs: TOKEN_TTL_MS });
        await l.helper.ask('record', { labels: [synLabel, realLabel] });
      }),
    );
    await server.ask('sample', { gc: true, reset: true });
    const t0 = performance.now();
    const minutes: Minute[] = [];
    console.log(
      `\nminute  heap after GC  RSS       CPU    ELD p99  longest stall  sockets  synthetic p50/p99 (received)   real p50/p99 (received)`,
    );

    for (let m = 1; m <= o.minutes; m++) {
      let realSent = 0;
      let realStop = false;
      const realLoop = (async () => {
        if (!reals.length) return;
        for (let i = 0; !realStop; i++) {
          const conv = reals[i % reals.length]!;
          const t = epochNow();
          realSent++;
          await fetch(`${mm.url}/api/v4/posts`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${agentToken}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({
              channel_id: supportChannelId,
              root_id: conv.rootId,
              message: `${realLabel} ${m}.${i + 1} Thanks! @${t.toFixed(3)}`,
            }),
          })
            .then((r) => r.arrayBuffer())
            .catch(() => realSent--);
          await sleep(o.realEvery * 1000);
        }
      })();
      const injected = await tap.ask<{ sent: number; unsent: number }>(
        'inject',
        { rate: o.rate, seconds: 60, channelId: supportChannelId, userId: mm.agents[0]!.id, roots: ids.map((i) => i[2]), label: synLabel },
        180_000,
      );
      realStop = true;
      await realLoop;
      if (injected.unsent)
        log(`minute ${m}: ${injected.unsent} events found no bot socket at the tap (reconnecting: did Mattermost restart?)`);
      await sleep(500);
      const collected = await Promise.all(
        loaders.map(async (l) => {
          const c = await l.helper.ask<{ byLabel: Record<string, number[]>; drops: Record<string, number>; open: number }>('collect');
          return {
            syn: (c.byLabel[synLabel] ?? []).map((v) => v - l.offset + tapOffset),
            real: (c.byLabel[realLabel] ?? []).map((v) => v - l.offset),
            drops: c.drops,
            open: c.open,
          };
        }),
      );
      const { sample } = await server.ask<{ sample: ProcessSample }>('sample', { gc: true, reset: true });
      let churned = 0;
      if (o.churn > 0)
        for (const l of loaders) {
          const r = await l.helper.ask<{ closed: number; failed: number }>(
            'churn',
            { fraction: o.churn, url: LIVE_URL.porthole, origin: ORIGIN, secret, ttlMs: TOKEN_TTL_MS, concurrency: 50 },
            120_000,
          );
          churned += r.closed;
          if (r.failed) log(`minute ${m}: ${r.failed} sockets did not reopen`);
        }
      const syn = collected.flatMap((c) => c.syn);
      const real = collected.flatMap((c) => c.real);
      const ss = summarize(syn);
      const rs = summarize(real);
      const drops: Record<string, number> = {};
      for (const c of collected) for (const [k, v] of Object.entries(c.drops)) drops[k] = (drops[k] ?? 0) + v;
      const row: Minute = {
        minute: m,
        at: (performance.now() - t0) / 3_600_000,
        heapAfterGc: sample.heapUsed,
        rss: sample.rss,
        external: sample.external,
        cpuPct: sample.cpuPct,
        eldP99: sample.eld.p99,
        stallMaxMs: Math.max(0, ...sample.stalls.map((s) => s.ms)),
        sockets: collected.reduce((a, c) => a + c.open, 0),
        synthetic: { sent: injected.sent, received: syn.length, p50: ss.median, p99: ss.p99 },
        real: { sent: realSent, received: real.length, p50: rs.median, p99: rs.p99 },
        churned,
        drops,
      };
      minutes.push(row);
      console.log(
        [
          String(m).padStart(6),
          `${num(row.heapAfterGc / 2 ** 20, 1)} MB`.padStart(13),
          `${num(row.rss / 2 ** 20, 0)} MB`.padStart(8),
          `${num(row.cpuPct, 1)} %`.padStart(7),
          `${num(row.eldP99, 1)} ms`.padStart(8),
          `${num(row.stallMaxMs, 0)} ms`.padStart(13),
          String(row.sockets).padStart(8),
          `${num(ss.median)} / ${num(ss.p99)} ms (${syn.length}/${injected.sent})`.padStart(30),
          `${num(rs.median)} / ${num(rs.p99)} ms (${real.length}/${realSent})`.padStart(26),
        ].join('  '),
      );
    }

    const used = minutes.filter((r) => r.minute > o.warmup);
    const points = used.length >= 2 ? used : minutes;
    const heapFit = fit(
      points.map((r) => r.at),
      points.map((r) => r.heapAfterGc / 2 ** 20),
    );
    const rssFit = fit(
      points.map((r) => r.at),
      points.map((r) => r.rss / 2 ** 20),
    );
    const hours = points.at(-1)!.at - points[0]!.at;
    const grown = heapFit.slope * hours;
    // Flat: the fitted growth is within two standard errors of none, or under 1 MB over the run.
    const flat = heapFit.slope - 2 * heapFit.se <= 0 || grown < 1;
    const drops = minutes.at(-1)!.drops;
    console.log(
      `\nheap after GC: ${num(heapFit.slope, 2)} ± ${num(heapFit.se, 2)} MB/hour (linear fit over minutes ${points[0]!.minute}–${points.at(-1)!.minute}, ${points.length} samples; ${num(grown, 2)} MB over them) → ${flat ? 'flat' : 'GROWING'}`,
    );
    console.log(`RSS: ${num(rssFit.slope, 2)} ± ${num(rssFit.se, 2)} MB/hour`);
    console.log(
      `sockets: ${o.sockets} held (+${reals.length} real), ${minutes.reduce((a, r) => a + r.churned, 0)} reconnects; unexpected closes: ${
        Object.keys(drops).length
          ? Object.entries(drops)
              .map(([k, v]) => `${v} × ${k}`)
              .join(', ')
          : 'none'
      }`,
    );
    if (minutes.length <= o.warmup) console.log(`(the run was no longer than its ${o.warmup} min warm-up: the fit uses every minute)`);
    if (o.out)
      fs.writeFileSync(
        o.out,
        JSON.stringify(
          { options: o, base, minutes, heapFit: { ...heapFit, unit: 'MB/hour', flat }, rssFit: { ...rssFit, unit: 'MB/hour' } },
          null,
          2,
        ),
      );

    await Promise.all(loaders.map((l) => l.helper.ask('close', {}, 120_000)));
    await cleanUp();
    console.log(`\nsoak done: the heap is ${flat ? 'flat' : 'growing'}`);
    process.exit(0);
  } catch (err) {
    console.error(`soak: ${(err as Error)?.stack ?? err}`);
    await cleanUp();
    process.exit(1);
  }
}

void main();
