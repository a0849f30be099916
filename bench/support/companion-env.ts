// The companion's settings for the benchmarks, in either mode, on top of the harness's
// (dev/companion-env.mjs).
//
// Gateway mode gets a support channel and a bot of its own — `porthole-bench` in the harness's
// team, with the harness's agents, and the bot `porthole-bench-bot` — rather than the inbox and
// `porthole-bot` that the demo and the end-to-end suite use: a benchmark posts thousands of
// messages, and the end-to-end suite finds its threads among the inbox's newest 200 posts. The
// channel and the bot stay from run to run (a bot takes no seat); each start mints a bot token into
// a fresh data directory, and the companion's stop revokes that token (only that one: see
// benchBotClients).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { companionEnv } from '../../dev/companion-env.mjs';
import { MattermostRestClient } from '../../src/server/gateway/mattermost-api.ts';
import { adminApi, type MattermostInfo } from '../../test/support/mattermost.ts';

export type Mode = 'gateway' | 'direct';
/** Both modes, the default first. */
export const MODES: readonly Mode[] = ['gateway', 'direct'];

export const BENCH_CHANNEL_NAME = 'porthole-bench';
export const BENCH_BOT_USERNAME = 'porthole-bench-bot';

let channel: Promise<string> | undefined;

/** The benchmarks' support channel (created the first time, the agents added); its id. */
export function benchSupportChannel(mm: MattermostInfo): Promise<string> {
  channel ??= (async () => {
    const found = await adminApi<{ id: string; delete_at: number }>(
      'GET',
      `/teams/${mm.teamId}/channels/name/${BENCH_CHANNEL_NAME}?include_deleted=true`,
    ).catch(() => undefined);
    let id = found?.id;
    if (!id) {
      const made = await adminApi<{ id: string }>('POST', '/channels', {
        team_id: mm.teamId,
        name: BENCH_CHANNEL_NAME,
        display_name: 'Porthole benchmarks',
        type: 'P',
        purpose: 'Conversations the benchmarks (bench/) create in gateway mode.',
      });
      id = made.id;
    } else if (found!.delete_at) await adminApi('POST', `/channels/${id}/restore`);
    for (const agent of mm.agents) await adminApi('POST', `/channels/${id}/members`, { user_id: agent.id });
    return id;
  })();
  channel.catch(() => (channel = undefined));
  return channel;
}

/**
 * Gateway mode's Mattermost clients for a benchmark's companion (`createCompanion`'s
 * `gateway.mattermost`): the gateway's own MattermostRestClient (with `fetch`, when given), noting
 * the id of every token it mints for the bot, so that `revoke()` revokes those and no other —
 * another run (`npm test`'s smoke pass in another checkout) may be using the same bot meanwhile.
 */
export function benchBotClients(mattermostUrl: string, fetchFn?: typeof fetch) {
  const minted: string[] = [];
  return {
    mattermost(token: string) {
      const client = new MattermostRestClient({ url: mattermostUrl, token, fetch: fetchFn });
      const mint = client.createUserAccessToken.bind(client);
      client.createUserAccessToken = async (userId, description) => {
        const made = await mint(userId, description);
        minted.push(made.id);
        return made;
      };
      return client;
    },
    /** Revokes the tokens minted through these clients, with the admin's token. */
    async revoke(adminToken: string | undefined): Promise<void> {
      if (!adminToken) return;
      for (const id of minted.splice(0)) {
        await fetch(`${mattermostUrl.replace(/\/+$/, '')}/api/v4/users/tokens/revoke`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ token_id: id }),
        }).catch(() => {});
      }
    },
  };
}

export interface BenchCompanionOptions {
  /** The page origin the companion allows. */
  origin: string;
  /**
   * The URL the browser reaches the widget's server at: direct — Mattermost
   * (`PORTHOLE_MM_PUBLIC_URL`), gateway — the companion (`PORTHOLE_PUBLIC_URL`). Direct mode
   * defaults to Mattermost's own URL; gateway mode to the request's.
   */
  publicUrl?: string;
  /** Gateway: the store's directory (see {@link benchDataDir}). */
  dataDir?: string;
  /** Gateway: the support channel (see {@link benchSupportChannel}). */
  supportChannelId?: string;
}

/** A fresh directory for a gateway companion's store, and its removal. */
export function benchDataDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-bench-data-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The companion's environment for a benchmark in `mode`: the harness's settings, the page origin,
 * secrets, and every rate limit raised to its maximum (benchmarks send far more from one address
 * than a visitor would; see also support/lifted-rate-limits.ts).
 */
export function benchCompanionEnv(mm: MattermostInfo, mode: Mode, o: BenchCompanionOptions): Record<string, string | undefined> {
  const common = {
    PORTHOLE_MODE: mode,
    PORTHOLE_ALLOWED_ORIGINS: o.origin,
    PORTHOLE_COOKIE_SECRET: 'bench-cookie-secret-bench-cookie-secret-0123',
    PORTHOLE_RATE_LIMIT_PER_MINUTE: '100000',
  };
  if (mode === 'direct') return companionEnv(mm, { ...common, ...(o.publicUrl ? { PORTHOLE_MM_PUBLIC_URL: o.publicUrl } : {}) });
  if (!o.dataDir || !o.supportChannelId)
    throw new Error(
      `gateway mode needs dataDir and supportChannelId (received ${JSON.stringify({ dataDir: o.dataDir, supportChannelId: o.supportChannelId })})`,
    );
  return companionEnv(mm, {
    ...common,
    ...(o.publicUrl ? { PORTHOLE_PUBLIC_URL: o.publicUrl } : {}),
    PORTHOLE_TOKEN_SECRET: 'bench-token-secret-bench-token-secret-0123456',
    PORTHOLE_DATA_DIR: o.dataDir,
    PORTHOLE_SUPPORT_CHANNEL_ID: o.supportChannelId,
    PORTHOLE_BOT_USERNAME: BENCH_BOT_USERNAME,
    PORTHOLE_BOT_DISPLAY_NAME: 'Porthole benchmarks',
    PORTHOLE_MESSAGES_PER_MINUTE: '10000',
    PORTHOLE_TYPING_PER_MINUTE: '10000',
    PORTHOLE_ADDRESS_SENDS_PER_MINUTE: '1000000',
  });
}
