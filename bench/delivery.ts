// 4. Delivery latency: an agent posts messages through @mattermost/client; the time until each
// is in the widget's DOM — in gateway mode (Mattermost → the companion's bot socket → the
// visitor's `/v1/live`) and in direct mode (Mattermost's WebSocket straight to the widget) —
// beside a bare client on Mattermost's own WebSocket receiving the same posts in the same run.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { num, summarize, tail, verdict, type Summary } from './support/stats.ts';
import {
  cdnMissing,
  clockOffset,
  epochNow,
  MODES,
  openConversation,
  postIn,
  PROXY_PORT,
  sleep,
  type Conversation,
  type Mode,
} from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

const TARGET_RATIO: Record<Mode, number> = { gateway: 1.5, direct: 1.2 };

/**
 * A bare WebSocket client on Mattermost's `/api/v4/websocket`: connect, authenticate, time-stamp
 * every `posted` of one conversation (a channel, or a thread in it). It runs in a worker thread,
 * so its event loop is not the one busy posting.
 */
async function bareClient(url: string, token: string, where: Conversation) {
  const seen = new Map<string, number>();
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const now = () => performance.timeOrigin + performance.now();
    const ws = new WebSocket(workerData.url);
    ws.onopen = () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: workerData.token } }));
    ws.onerror = () => parentPort.postMessage({ error: 'the bare WebSocket client could not connect to ' + workerData.url });
    ws.onmessage = (e) => {
      const t = now();
      const m = JSON.parse(String(e.data));
      if (m.seq_reply === 1) return parentPort.postMessage(m.status === 'OK' ? { ready: true } : { error: 'authentication_challenge: ' + e.data });
      if (m.event === 'posted') {
        const post = JSON.parse(m.data.post);
        if (post.channel_id === workerData.channelId && (!workerData.rootId || post.root_id === workerData.rootId)) parentPort.postMessage({ id: post.id, t });
      }
    };
    parentPort.on('message', () => { ws.close(); process.exit(0); });`,
    { eval: true, workerData: { url, token, channelId: where.channel_id, rootId: where.root_id } },
  );
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { ready?: boolean; error?: string; id?: string; t?: number }) => {
      if (m.ready) resolve();
      else if (m.error) reject(new Error(m.error));
      else if (m.id && !seen.has(m.id)) seen.set(m.id, m.t!);
    });
    worker.on('error', reject);
  });
  return { seen, close: () => worker.terminate() };
}

interface ModeRun {
  n: number;
  w: Summary;
  b: Summary;
  widgetLat: number[];
  bareLat: number[];
  missingW: number;
  missingB: number;
  dups: number;
  off0: number;
  off1: number;
  load: string;
}

async function runMode(mode: Mode, n: number, gapMs: number, log: BenchContext['log'], defer: BenchContext['defer']): Promise<ModeRun> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const { stack, v, conversation, agent } = await openConversation(defer, mode);
  // Direct: the widget's own way to Mattermost (the proxy). Gateway: the proxy is in front of the
  // companion, so the bare client goes to Mattermost directly, as the companion's bot socket does.
  const wsUrl =
    mode === 'direct' ? `ws://127.0.0.1:${PROXY_PORT}/api/v4/websocket` : `${stack.mm.url.replace(/^http/, 'ws')}/api/v4/websocket`;
  const bare = await bareClient(wsUrl, agent.getToken(), conversation);
  defer(() => bare.close());

  const off0 = await clockOffset(v.page);
  const t0run = epochNow();
  const sent = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const t = epochNow();
    const post = (await agent.createPost(postIn(conversation, `Delivery ${i + 1} of ${n}`) as never)) as { id: string };
    sent.set(post.id, t);
    if ((i + 1) % 100 === 0) log(`${mode}: posted ${i + 1}/${n}`);
    await sleep(gapMs);
  }
  const ids = [...sent.keys()];
  // Wait for the last arrivals (both sides), bounded.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const inPage: number = await v.page.evaluate((ids) => ids.filter((id) => (window as any).__pb.seen.has(id)).length, ids);
    if (inPage === n && ids.every((id) => bare.seen.has(id))) break;
    await sleep(100);
  }
  const off1 = await clockOffset(v.page);
  const t1run = epochNow();
  const page = await v.page.evaluate((ids) => {
    const pb = (window as any).__pb;
    return { origin: performance.timeOrigin, seen: ids.map((id) => pb.seen.get(id) ?? null), counts: pb.postCounts(ids) };
  }, ids);
  await bare.close();
  await stack.close();

  // Page time → Node time, with the offset interpolated over the run.
  const toNode = (t: number) => {
    const e = page.origin + t;
    const f = Math.min(1, Math.max(0, (e - t0run) / Math.max(1, t1run - t0run)));
    return e - (off0 + (off1 - off0) * f);
  };
  const widgetLat: number[] = [];
  const bareLat: number[] = [];
  ids.forEach((id, i) => {
    const s = sent.get(id)!;
    if (page.seen[i] !== null) widgetLat.push(toNode(page.seen[i]!) - s);
    if (bare.seen.has(id)) bareLat.push(bare.seen.get(id)! - s);
  });
  const dups = Object.values(page.counts as Record<string, number>).filter((c) => c > 1).length;
  const run = {
    n,
    w: summarize(widgetLat),
    b: summarize(bareLat),
    widgetLat,
    bareLat,
    missingW: n - widgetLat.length,
    missingB: n - bareLat.length,
    dups,
    off0,
    off1,
    load,
  };
  log(
    `${mode}: widget ${tail(widgetLat)}; bare ${tail(bareLat)}; p99 ratio ${num(run.w.p99 / run.b.p99, 2)}; clock offset ${num(off0, 2)} → ${num(off1, 2)} ms`,
  );
  return run;
}

export default async function delivery({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const n = smoke ? 10 : 500;
  const gapMs = 20;
  const method = [
    `A new visitor opens the widget (\`bench/pages/host.html\`, Chromium, CDN build, companion and TCP proxy on loopback, as in benchmark 3) and waits until it is online; in gateway mode the visitor's first message is sent so that the conversation's thread exists. An agent then posts ${n} messages with @mattermost/client (\`Client4.createPost\`, one after the other, ${gapMs} ms apart), directly to Mattermost — gateway: replies in the conversation's thread in the support channel, which reach the widget through the companion's bot socket and the visitor's \`/v1/live\`; direct: posts in the visitor's channel, which reach the widget on Mattermost's WebSocket. Each message's latency runs from just before its \`createPost\` call to the moment its \`[part~="message"][data-post-id]\` element enters the widget's DOM (a MutationObserver on every shadow root, installed before the page's scripts). Gateway first, then direct, each with a companion of its own.`,
    `Reference, same run, in each mode: a bare client on Mattermost's own WebSocket in Node, in a worker thread of its own (\`WebSocket\`, \`authentication_challenge\` with the agent's token), that time-stamps each \`posted\` event of the conversation (its channel, and in gateway mode its thread) the moment it is parsed — through the same TCP proxy as the widget in direct mode, straight to Mattermost in gateway mode (where the proxy is in front of the companion). Both receive the same posts at the same time. The page's clock is put on Node's with the round trip of least delay among 15 (\`performance.timeOrigin + performance.now()\` on both sides), measured before and after the run, and interpolated.`,
    `Targets: widget p99 ≤ ${TARGET_RATIO.gateway}× the bare client's p99 in gateway mode (one hop more: the companion), ≤ ${TARGET_RATIO.direct}× in direct mode.`,
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '4. Delivery latency', skipped: missing, rows: [], method };

  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES) runs[mode] = await runMode(mode, n, gapMs, log, defer);

  const rows: Row[] = [];
  const limits: string[] = [];
  for (const mode of MODES) {
    const r = runs[mode];
    const ratio99 = r.w.p99 / r.b.p99;
    const ratio50 = r.w.median / r.b.median;
    const target = TARGET_RATIO[mode];
    const Mode = mode === 'gateway' ? 'Gateway' : 'Direct';
    rows.push(
      {
        figure: `${Mode}: agent post → in the widget's DOM (${n} posts)`,
        porthole: tail(r.widgetLat),
        reference: `bare client on Mattermost's WebSocket ${tail(r.bareLat)}`,
        target: `p99 ≤ ${target}× bare`,
        verdict: verdict(ratio99 <= target && r.missingW === 0),
      },
      {
        figure: `${Mode}: ratio widget / bare client`,
        porthole: `p50 ${num(ratio50, 2)}× · p99 ${num(ratio99, 2)}×`,
        reference: '1.00×',
        target: `p99 ≤ ${target}×`,
        verdict: verdict(ratio99 <= target),
      },
    );
    if (!(ratio99 <= target) || r.missingW) {
      const path =
        mode === 'gateway'
          ? "Between Mattermost and the widget sits the companion: its bot socket receives the event, the relay finds the conversation of the thread (a store lookup), turns the post into a message and sends it on the visitor's `/v1/live` socket through the TCP proxy — one more process, parse and send on 2 shared cores."
          : "The bare client only parses the event; the widget parses it, validates it (zod at the transport boundary), updates its conversation state and renders through Lit into its shadow DOM — and shares its main thread with everything else on the page. Its tail also carries the browser's own scheduling.";
      limits.push(
        `${Mode}: the widget's p99 is ${num(ratio99, 2)}× the bare client's (p50 ${num(ratio50, 2)}×). ${path}${r.missingW ? ` ${r.missingW} of ${n} messages never reached the DOM within 15 s.` : ''}`,
      );
    }
  }
  return {
    title: '4. Delivery latency',
    rows,
    method,
    details: [
      `| mode | client | p50 | p95 | p99 | max | missing | shown twice |`,
      `|---|---|---|---|---|---|---|---|`,
      ...MODES.flatMap((m) => {
        const r = runs[m];
        return [
          `| ${m} | Porthole widget (DOM) | ${num(r.w.median)} ms | ${num(r.w.p95)} ms | ${num(r.w.p99)} ms | ${num(r.w.max)} ms | ${r.missingW} | ${r.dups} |`,
          `| ${m} | bare client on Mattermost's WebSocket | ${num(r.b.median)} ms | ${num(r.b.p95)} ms | ${num(r.b.p99)} ms | ${num(r.b.max)} ms | ${r.missingB} | — |`,
        ];
      }),
      '',
      `Clock offset page − Node: ${MODES.map((m) => `${m} ${num(runs[m].off0, 3)} ms before, ${num(runs[m].off1, 3)} ms after the run`).join('; ')}. Load average (1 / 5 / 15 min) when each mode started: ${MODES.map((m) => `${m} ${runs[m].load}`).join('; ')}.`,
    ].join('\n'),
    limits: limits.join('\n\n'),
  };
}
