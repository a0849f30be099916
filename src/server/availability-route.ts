// Direct mode's `GET /v1/availability`: the team's availability for a widget that talks to
// Mattermost itself and knows the companion only from its token-url.
import { Hono, type Context } from 'hono';
import { AvailabilityService, MAX_AGENTS, type AvailabilitySettings } from './availability.js';
import type { Logger } from './logger.js';
import type { CompanionMetrics } from './metrics.js';
import { enforceRateLimit, type RateLimitStore } from './rate-limit.js';
import { MattermostRestClient } from './gateway/mattermost-api.js';

/** Availability requests one client address (IPv6: /64) may make per minute in direct mode. */
export const DIRECT_AVAILABILITY_PER_ADDRESS = 30;

/** What {@link directAvailabilityRoute} needs. */
export interface DirectAvailabilityDeps {
  settings: AvailabilitySettings | undefined;
  /** Mattermost as the companion reaches it, and the companion's admin token (statuses need no permission). */
  mattermostUrl: string;
  token: string;
  /** `PORTHOLE_AGENT_IDS`: the agents when `PORTHOLE_AGENTS` is unset. */
  agentIds: string[];
  rateLimitStore: RateLimitStore;
  clientIp: (c: Context) => string;
  metrics?: CompanionMetrics;
  logger: Logger;
  now: () => number;
  /** fetch of the Mattermost client (tests). */
  fetch?: typeof fetch;
}

/**
 * `GET /v1/availability` → 200 {@link Availability}, without a token: it says nothing about a
 * visitor, only whether the team is around (which any direct-mode visitor could read from
 * Mattermost's statuses), and a widget may ask before it has a session. Limited to
 * {@link DIRECT_AVAILABILITY_PER_ADDRESS} a minute per address; Mattermost is asked at most every
 * 30 s per instance; `unreachable` (200) when it cannot be.
 */
export function directAvailabilityRoute(deps: DirectAvailabilityDeps): Hono {
  const route = new Hono();
  const api = new MattermostRestClient({ url: deps.mattermostUrl, token: deps.token, fetch: deps.fetch, metrics: deps.metrics });
  const settings = deps.settings ?? {
    agents: undefined,
    officeHours: undefined,
    expectedReply: undefined,
    fields: [],
    emailReplies: false,
  };
  let ids: Promise<string[]> | undefined;
  const service = new AvailabilityService({
    settings,
    agentIds: () =>
      (ids ??= (
        settings.agents
          ? api.getUsersByUsernames(settings.agents).then((users) => users.filter((u) => !u.is_bot && !u.delete_at).map((u) => u.id))
          : Promise.resolve(deps.agentIds)
      )
        .then((found) => found.slice(0, MAX_AGENTS))
        .catch((e: unknown) => {
          ids = undefined;
          throw e;
        })),
    statuses: async (userIds) => (await api.getUserStatuses(userIds)).map((s) => s.status),
    now: deps.now,
    onError: (e) => deps.logger.warn({ msg: 'could not read the agents’ statuses', error: e instanceof Error ? e.message : String(e) }),
  });
  route.get('/v1/availability', async (c) => {
    await enforceRateLimit(
      deps.rateLimitStore,
      {
        key: `direct:availability:${deps.clientIp(c)}`,
        limit: DIRECT_AVAILABILITY_PER_ADDRESS,
        what: 'availability requests from this address',
        name: 'reads',
        metrics: deps.metrics,
      },
      deps.now(),
    );
    c.header('Cache-Control', 'no-store');
    return c.json(await service.get(), 200);
  });
  return route;
}
