// 5. Resync: messages posted during an outage of the widget's network (the TCP proxy in front of
// the server it talks to: the companion in gateway mode, Mattermost in direct mode); the time
// after it returns until all are shown; how many are missing and how many are shown twice.
import os from 'node:os';
import { medianSpread, median, num, verdict } from './support/stats.ts';
import { cdnMissing, clockOffset, epochNow, MODES, openConversation, postIn, PROXY_URL, sleep, type Mode } from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

const TARGET_MS = 1000;

interface ModeRun {
  times: number[];
  bareTimes: number[];
  onlineTimes: number[];
  missing: number;
  dups: number;
  load: string;
  /** What the widget and the bare client were told in an outage that did not end with every post shown. */
  notes: string[];
}

async function runMode(
  mode: Mode,
  reps: number,
  outageMs: number,
  perOutage: number,
  log: BenchContext['log'],
  defer: BenchContext['defer'],
): Promise<ModeRun> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const { stack, v, conversation, agent } = await openConversation(defer, mode);
  const agentToken = agent.getToken();
  /** The bare client's last answer, said when it never had all the posts. */
  let lastAnswer = 'no answer';
  /** The bare client's answer: the ids of what changed since `before`, through the proxy. */
  const changedSince = async (before: number): Promise<Set<string>> => {
    // Direct: Mattermost's posts of the channel, with the agent's token. Gateway: the companion's
    // messages of the conversation, with the visitor's (newest) Porthole token.
    const [url, token] =
      mode === 'direct'
        ? [`${PROXY_URL}/api/v4/channels/${conversation.channel_id}/posts?since=${before}`, agentToken]
        : [`${PROXY_URL}/v1/messages?since=${before}`, v.sessions.at(-1)!.token];
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) }).catch(
      (err: Error) => {
        lastAnswer = `failed: ${err.message}`;
        throw err;
      },
    );
    if (!res.ok) {
      lastAnswer = `${res.status} ${(await res.text()).slice(0, 300)}`;
      return new Set();
    }
    const body = (await res.json()) as { posts?: Record<string, unknown>; messages?: { id: string }[] };
    const ids = new Set(mode === 'direct' ? Object.keys(body.posts ?? {}) : (body.messages ?? []).map((m) => m.id));
    lastAnswer = `200 with ${ids.size} ${mode === 'direct' ? 'posts' : 'messages'}`;
    return ids;
  };

  const run: ModeRun = { times: [], bareTimes: [], onlineTimes: [], missing: 0, dups: 0, load, notes: [] };
  for (let r = 0; r < reps; r++) {
    const before = Date.now() - 1;
    stack.proxy.cut();
    let restored = false;
    try {
      await v.page.waitForFunction(() => (document.querySelector('porthole-chat') as any)?.connectionState !== 'online', null, {
        timeout: 15_000,
      });
      const tCut = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < perOutage; i++) {
        const post = (await agent.createPost(postIn(conversation, `Posted during outage ${r + 1}: ${i + 1} of ${perOutage}`) as never)) as {
          id: string;
        };
        ids.push(post.id);
        const due = tCut + ((i + 1) * outageMs) / perOutage;
        await sleep(Math.max(0, due - Date.now()));
      }
      // Everything is posted; watch the page for the posts and the bare client for its answer.
      const off = await clockOffset(v.page, 5).catch(() => 0);
      const pageWait = v.page.evaluate(
        ({ ids }) => {
          const pb = (window as any).__pb;
          return pb
            .waitFor(() => ids.every((id: string) => pb.seen.has(id)), 30_000)
            .then(
              (t: number) => ({ t, origin: performance.timeOrigin }),
              () => ({ t: null, origin: performance.timeOrigin }),
            );
        },
        { ids },
      );
      // The bare client is already retrying when the network comes back, as a real client would be.
      const bareWait = (async () => {
        const deadline = Date.now() + 30_000 + outageMs;
        while (Date.now() < deadline) {
          try {
            const got = await changedSince(before);
            if (ids.every((id) => got.has(id))) return epochNow();
          } catch {}
          await sleep(250);
        }
        return null;
      })();
      await sleep(300);
      const tRestore = epochNow();
      stack.proxy.restore();
      restored = true;
      const [p, bareT] = await Promise.all([pageWait, bareWait]);
      const online = await v.page.evaluate((tr) => {
        const pb = (window as any).__pb;
        const s = pb.states.find((x: { t: number; state: string }) => performance.timeOrigin + x.t >= tr && x.state === 'online');
        return s ? performance.timeOrigin + s.t : null;
      }, tRestore + off);
      await sleep(2000);
      const counts: Record<string, number> = await v.page.evaluate((ids) => (window as any).__pb.postCounts(ids), ids);
      const miss = ids.filter((id) => !counts[id]).length;
      const dup = Object.values(counts).filter((c) => c > 1).length;
      run.missing += miss;
      run.dups += dup;
      if (p.t !== null) run.times.push(p.origin + p.t - off - tRestore);
      if (bareT !== null) run.bareTimes.push(bareT - tRestore);
      if (online !== null) run.onlineTimes.push(online - off - tRestore);
      if (miss || bareT === null) {
        // Say what the widget and the bare client were told, so a miss can be told from a slow network.
        const errors: { code?: string; message?: string }[] = await v.page.evaluate(
          (tr) => (window as any).__pb.errors.filter((e: { t: number }) => performance.timeOrigin + e.t >= tr),
          tRestore + off,
        );
        const state = await v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState);
        const note = `outage ${r + 1}: ${miss} of ${perOutage} posts not shown; the widget is ${state}${errors.length ? `, its errors since the restore: ${[...new Set(errors.map((e) => `${e.code}: ${e.message}`))].slice(0, 3).join('; ')}` : ', no widget error since the restore'}; the bare client's last answer: ${bareT === null ? lastAnswer : 'all posts'}`;
        run.notes.push(note);
        log(`${mode} ${note}`);
      }
      log(
        `${mode} outage ${r + 1}/${reps}: all shown ${p.t === null ? 'never' : `${num(p.origin + p.t - off - tRestore)} ms`} after the restore (socket online ${online === null ? '?' : `${num(online - off - tRestore)} ms`}; bare ${bareT === null ? 'never' : `${num(bareT - tRestore)} ms`}); missing ${miss}, twice ${dup}`,
      );
    } finally {
      if (!restored) stack.proxy.restore();
    }
    // Let the widget settle online before the next outage.
    await v.page
      .waitForFunction(() => (document.querySelector('porthole-chat') as any)?.connectionState === 'online', null, { timeout: 30_000 })
      .catch(() => {});
  }
  await stack.close();
  return run;
}

export default async function resync({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const reps = smoke ? 1 : 5;
  const outageMs = smoke ? 1500 : 10_000;
  const perOutage = smoke ? 3 : 20;
  const method = [
    `A visitor has the widget open and online (Chromium, CDN build, companion and the real Mattermost, as in benchmark 3); in gateway mode the visitor's first message is sent so that the conversation's thread exists. The TCP proxy between the widget and the server it talks to — the companion in gateway mode, Mattermost in direct mode — is cut: every open connection reset, new ones refused, REST and WebSocket alike (the companion's \`token-url\` and its own connection to Mattermost are not behind it). Once the widget has noticed (its \`connectionState\` leaves \`online\`) an agent posts ${perOutage} messages, spread over a ${outageMs / 1000} s outage, directly to Mattermost (gateway: replies in the thread). Then the proxy is restored. The figure is the time from the restore until every one of those posts is in the widget's DOM (\`[part~="message"][data-post-id]\`, MutationObserver on every shadow root, page clock put on Node's). Missing: posts not shown 30 s after the restore. Shown twice: post ids with more than one message element, counted 2 s after the last arrival. ${reps} outage${reps === 1 ? '' : 's'} in one conversation per mode; gateway first, then direct.`,
    "Reference, same run: a bare REST client in Node, through the same proxy, that retries every 250 ms (no backoff), from before the network returns until all the posts are in its answer — gateway: the companion's `GET /v1/messages?since=<before the outage>` with the visitor's token; direct: Mattermost's `GET /channels/{id}/posts?since=<before the outage>` — how soon a simple client has the data once the network is back (on average half its retry interval plus one round trip).",
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '5. Resync after an outage', skipped: missing, rows: [], method };

  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES) runs[mode] = await runMode(mode, reps, outageMs, perOutage, log, defer);

  const rows: Row[] = [];
  const limits: string[] = [];
  for (const mode of MODES) {
    const r = runs[mode];
    const Mode = mode === 'gateway' ? 'Gateway' : 'Direct';
    const med = median(r.times);
    rows.push(
      {
        figure: `${Mode}: network back → all ${perOutage} posts of a ${outageMs / 1000} s outage shown`,
        porthole: r.times.length ? medianSpread(r.times) : 'never (none of the outages)',
        reference: `bare REST client retrying every 250 ms ${medianSpread(r.bareTimes)}`,
        target: `≤ ${TARGET_MS} ms`,
        verdict: verdict(r.times.length === reps && med <= TARGET_MS),
      },
      {
        figure: `${Mode}: missing / shown twice (${reps * perOutage} posts over ${reps} outage${reps === 1 ? '' : 's'})`,
        porthole: `${r.missing} missing, ${r.dups} shown twice`,
        reference: '—',
        target: '0 and 0',
        verdict: verdict(r.missing === 0 && r.dups === 0),
      },
    );
    if (med > TARGET_MS || r.times.length < reps)
      limits.push(
        `${Mode}: after the network returns the widget first has to notice: ${mode === 'gateway' ? "it asks the companion's `/healthz` every second while its socket is down, then reconnects" : "its socket reconnects on reconnecting-websocket's backoff (the next attempt may be seconds away after a long outage)"} — the socket was back online ${num(median(r.onlineTimes))} ms after the restore, median — then it fetches everything since the last message seen over REST. The bare client, retrying every 250 ms, had the data ${num(median(r.bareTimes))} ms after the restore.`,
      );
    if (r.missing || r.dups)
      limits.push(
        `${Mode}: posts were missing or shown twice${r.notes.length ? ` (${r.notes.join(' / ')})` : ''}: the resync after reconnect did not fetch them, or did not reconcile with what live events delivered.`,
      );
  }
  return {
    title: '5. Resync after an outage',
    rows,
    method,
    details: [
      '| mode | all shown after the restore | socket back online after the restore | bare client | missing | shown twice |',
      '|---|---|---|---|---|---|',
      ...MODES.map(
        (m) =>
          `| ${m} | ${medianSpread(runs[m].times)} | ${medianSpread(runs[m].onlineTimes)} | ${medianSpread(runs[m].bareTimes)} | ${runs[m].missing} | ${runs[m].dups} |`,
      ),
      '',
      `Load average (1 / 5 / 15 min) when each mode started: ${MODES.map((m) => `${m} ${runs[m].load}`).join('; ')}.`,
    ].join('\n'),
    limits: limits.join('\n\n'),
  };
}
