// The processes of the live-socket benchmarks (bench/sockets.ts; bench/soak.ts), on ports
// 8880–8882:
//
//   companion  127.0.0.1:8880  support/live-server.ts `porthole`: gateway mode, its bot socket
//                              through the tap, its REST calls straight to Mattermost
//   bare ws    127.0.0.1:8881  support/live-server.ts `bare`: the reference hub
//   tap        127.0.0.1:8882  support/mattermost-tap.ts: Mattermost's WebSocket passed through,
//                              synthetic `posted` events added; `/feed` for the bare hub
//   loaders    (no port)       support/socket-load.ts × k: the visitors' sockets
//
// Conversations for the synthetic events are seeded into the companion's store (and the bare hub's
// map) with thread ids of their own that no Mattermost post has; the visitors' tokens are signed
// by the loaders with the companion's token secret, as `POST /v1/session` would sign them.
import { randomUUID } from 'node:crypto';
import { visitorIds } from '../../src/server/gateway/porthole-token.ts';
import { adminApi, type MattermostInfo } from '../../test/support/mattermost.ts';
import { benchCompanionEnv } from './companion-env.ts';
import { clockOffset, forkHelper, type Helper } from './ipc.ts';
import { PAGE_ORIGIN } from './stack.ts';

export const PORTS = { companion: 8880, bare: 8881, tap: 8882 } as const;
export const LIVE_URL = { porthole: `ws://127.0.0.1:${PORTS.companion}/v1/live`, bare: `ws://127.0.0.1:${PORTS.bare}/v1/live` } as const;
export const COMPANION_BASE = `http://127.0.0.1:${PORTS.companion}`;
export const ORIGIN = PAGE_ORIGIN;
/** The widget's keep-alive period on `/v1/live` (src/transport/gateway-transport.ts). */
export const WIDGET_PING_MS = 25_000;
/** The companion's default token lifetime (PORTHOLE_TOKEN_TTL_SECONDS). */
export const TOKEN_TTL_MS = 900_000;

/** [conversationId, visitorUserId, rootPostId] of a synthetic conversation. */
export type Identity = [string, string, string];

/** The companion's environment for the live-server helper (gateway mode, its Mattermost URL the tap). */
export function liveCompanionEnv(mm: MattermostInfo, supportChannelId: string, dataDir: string): Record<string, string | undefined> {
  const env = benchCompanionEnv(mm, 'gateway', { origin: ORIGIN, dataDir, supportChannelId });
  return {
    ...env,
    PORTHOLE_MM_URL: `http://127.0.0.1:${PORTS.tap}`,
    // Every socket comes from 127.0.0.1 (the lifted rate-limit store refuses none either).
    PORTHOLE_LIVE_CONNECTS_PER_MINUTE: '1000000',
    PORTHOLE_NEW_CONVERSATIONS_PER_MINUTE: '1000000',
  };
}

/** The secret the loaders sign tokens with: the companion's own. */
export const tokenSecret = (mm: MattermostInfo, supportChannelId: string) =>
  liveCompanionEnv(mm, supportChannelId, '/nonexistent').PORTHOLE_TOKEN_SECRET!;

export async function startTap(mm: MattermostInfo, defer: (fn: () => unknown) => void): Promise<Helper> {
  const tap = await forkHelper('tap', 'bench/support/mattermost-tap.ts', {
    env: { BENCH_TAP_PORT: String(PORTS.tap), BENCH_MM_URL: mm.url },
  });
  defer(() => tap.stop());
  return tap;
}

/** The companion (`porthole`) or the reference (`bare`), started; `--expose-gc` for heap-after-GC samples. */
export async function startLiveServer(
  kind: 'porthole' | 'bare',
  mm: MattermostInfo,
  o: { supportChannelId: string; dataDir: string },
  defer: (fn: () => unknown) => void,
): Promise<Helper> {
  const env =
    kind === 'porthole'
      ? { ...liveCompanionEnv(mm, o.supportChannelId, o.dataDir), BENCH_MM_URL: mm.url, BENCH_LIVE_PORT: String(PORTS.companion) }
      : { BENCH_LIVE_PORT: String(PORTS.bare) };
  const server = await forkHelper(kind === 'porthole' ? 'companion' : 'bare ws server', 'bench/support/live-server.ts', {
    env: { ...env, BENCH_LIVE_KIND: kind },
    execArgv: ['--expose-gc'],
    readyMs: 90_000,
  });
  defer(() => server.stop());
  return server;
}

/** `k` load-generator processes, each with its clock offset to this process (ms, theirs − ours). */
export async function startLoaders(k: number, defer: (fn: () => unknown) => void): Promise<{ helper: Helper; offset: number }[]> {
  const loaders = await Promise.all(Array.from({ length: k }, (_, i) => forkHelper(`loader ${i + 1}`, 'bench/support/socket-load.ts')));
  for (const l of loaders) defer(() => l.stop());
  return Promise.all(loaders.map(async (helper) => ({ helper, offset: await clockOffset(helper) })));
}

/** `n` synthetic conversations, new for each run (the thread ids are shaped like Mattermost ids and exist nowhere). */
export async function identities(n: number): Promise<Identity[]> {
  const run = randomUUID();
  const out: Identity[] = [];
  for (let i = 0; i < n; i++) {
    const ids = await visitorIds(`anon:bench-sockets-${run}-${i}`);
    const root = await visitorIds(`bench-sockets-root:${run}-${i}`);
    out.push([ids.conversationId, ids.userId, root.conversationId]);
  }
  return out;
}

/** Splits `items` round-robin into `k` shares. */
export function shares<T>(items: T[], k: number): T[][] {
  const out: T[][] = Array.from({ length: k }, () => []);
  items.forEach((item, i) => out[i % k]!.push(item));
  return out;
}

export interface OpenResult {
  /** Wall time until the last loader had all its sockets ready, ms. */
  ms: number;
  opened: number;
  failed: number;
  errors: string[];
}

/** Opens `entries` over the loaders, `concurrency` handshakes in flight in each; all at once. */
export async function openSockets(
  loaders: { helper: Helper }[],
  url: string,
  entries: [string, string, string?][],
  o: { secret: string; concurrency: number; ttlMs?: number },
): Promise<OpenResult> {
  const parts = shares(entries, loaders.length);
  const t0 = performance.now();
  const results = await Promise.all(
    loaders.map((l, i) =>
      l.helper.ask<{ opened: number; failed: number; errors: string[] }>(
        'open',
        { url, origin: ORIGIN, secret: o.secret, ttlMs: o.ttlMs ?? TOKEN_TTL_MS, entries: parts[i], concurrency: o.concurrency },
        600_000,
      ),
    ),
  );
  return {
    ms: performance.now() - t0,
    opened: results.reduce((a, r) => a + r.opened, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 3),
  };
}

/** Seeds the synthetic conversations into a live server (the companion's store, or the bare hub's map), in batches. */
export async function seed(server: Helper, channelId: string, ids: Identity[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 2000) await server.ask('seed', { channelId, conversations: ids.slice(i, i + 2000) }, 120_000);
}

/** A real conversation, made as the widget makes one: a session, then the first message (which creates the thread). */
export async function realConversation(supportChannelId: string): Promise<{ entry: [string, string, string]; rootId: string }> {
  const res = await fetch(`${COMPANION_BASE}/v1/session`, { method: 'POST', headers: { Origin: ORIGIN } });
  if (!res.ok) throw new Error(`POST /v1/session → ${res.status} ${await res.text()}`);
  const s = (await res.json()) as { token: string; channelId: string; userId: string };
  const sent = await fetch(`${COMPANION_BASE}/v1/messages`, {
    method: 'POST',
    headers: { Origin: ORIGIN, Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: randomUUID(), text: 'Hello! I have a question about my order.' }),
  });
  if (sent.status !== 201) throw new Error(`POST /v1/messages → ${sent.status} ${await sent.text()} (expected 201, a new message)`);
  const { message } = (await sent.json()) as { message: { id: string } };
  const post = await adminApi<{ root_id: string; channel_id: string }>('GET', `/posts/${message.id}`);
  if (!post.root_id || post.channel_id !== supportChannelId)
    throw new Error(
      `the first message ${message.id} is not a reply in the support channel (channel ${post.channel_id}, root ${JSON.stringify(post.root_id)})`,
    );
  return { entry: [s.channelId, s.userId, s.token], rootId: post.root_id };
}
