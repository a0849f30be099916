// Global setup for suites that need the real Mattermost: starts or reuses it through the harness,
// then reads `.porthole/mattermost.json`. Memoised, so every suite in a process shares one call.
import { readInfo, up } from '../../dev/mattermost/index.mjs';

export interface MattermostInfo {
  url: string;
  adminToken: string;
  adminUserId: string;
  teamId: string;
  teamName: string;
  agents: { username: string; password: string; id: string }[];
  inboxChannelId: string;
  version: string;
  allowedOrigins: string[];
}

let info: Promise<MattermostInfo> | undefined;

export function mattermost(): Promise<MattermostInfo> {
  // Under `npm test` or `npm run bench` the runner already brought it up and bootstrapped it.
  info ??= process.env.PORTHOLE_MM_READY === '1' ? Promise.resolve(readInfo()) : up({ log: () => {} });
  return info;
}

/** A tiny admin REST helper for test set-up and assertions (tests only; the product uses src/transport). */
export async function adminApi<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const mm = await mattermost();
  const res = await fetch(`${mm.url}/api/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${mm.adminToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}
