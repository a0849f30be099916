// Gateway mode's agent routes: the team's availability and the agents' profile images. Like the
// rest of the visitor API, no route takes a conversation id: the Porthole token says which.
import { Hono } from 'hono';
import { AvailabilityService, MAX_AGENTS, type AvailabilitySettings } from '../availability.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CompanionMetrics } from '../metrics.js';
import type { RateLimitStore } from '../rate-limit.js';
import type { GatewayConfig } from './config.js';
import type { ConversationService } from './conversation-service.js';
import type { GatewayMattermost } from './mattermost-api.js';
import type { GatewayStore } from './store.js';
import { conversationReads, visitorAuthenticator } from './visitor-guard.js';

/** Image types an agent's avatar may have; anything else Mattermost answers is refused. */
export const AVATAR_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** How long the agent list (configured or the channel's) is reused, ms. */
const AGENTS_CACHE_MS = 60_000;

/** What {@link agentRoutes} needs. */
export interface AgentRoutesDeps {
  config: Pick<GatewayConfig, 'tokenSecret' | 'readsPerMinute' | 'supportChannelId' | 'availability'>;
  conversations: Pick<ConversationService, 'agents'>;
  /** The bot's Mattermost client (a handle usable once the gateway started). */
  api: GatewayMattermost;
  /** The configured agents' ids (see {@link agentDirectory}); default: one built from `api`. */
  agentIds?: () => Promise<string[]>;
  /** The bot's user id (never an agent). */
  botUserId: () => string;
  store: GatewayStore;
  rateLimitStore: RateLimitStore;
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  logger: Logger;
  now: () => number;
}

/**
 * The configured agents' user ids: `PORTHOLE_AGENTS` (usernames), else the support channel's
 * members that are neither bots nor deactivated, at most {@link MAX_AGENTS}. Reused for a minute.
 */
export function agentDirectory(
  api: GatewayMattermost,
  settings: AvailabilitySettings | undefined,
  channelId: string,
  botUserId: () => string,
  now: () => number,
): () => Promise<string[]> {
  let cached: { at: number; ids: Promise<string[]> } | undefined;
  const resolve = async (): Promise<string[]> => {
    const users = settings?.agents
      ? await api.getUsersByUsernames(settings.agents)
      : await api.getUsersByIds(await api.getChannelMemberIds(channelId, 200));
    return users
      .filter((u) => !u.is_bot && !u.delete_at && u.id !== botUserId())
      .map((u) => u.id)
      .slice(0, MAX_AGENTS);
  };
  return () => {
    if (cached && now() - cached.at < AGENTS_CACHE_MS) return cached.ids;
    const ids = resolve();
    cached = { at: now(), ids };
    ids.catch(() => (cached = undefined));
    return ids;
  };
}

/**
 * - `GET /v1/availability` → 200 {@link Availability}: `closed` outside office hours, else from the
 *   configured agents' statuses (asked at most every 30 s per instance), `unreachable` when
 *   Mattermost cannot be asked — never a 5xx for that.
 * - `GET /v1/agents/:userId/image` → 200, the agent's Mattermost profile image (PNG, JPEG, GIF or
 *   WebP; `Cache-Control: private, max-age=3600`, `nosniff`), for an agent who posted in the
 *   visitor's conversation or a configured agent; 404 `agent_not_found` for anyone else.
 *
 * Both need the visitor's Porthole token and count as reads of the conversation.
 */
export function agentRoutes(deps: AgentRoutesDeps): Hono {
  const { config, now } = deps;
  const route = new Hono();
  const agentIds = deps.agentIds ?? agentDirectory(deps.api, config.availability, config.supportChannelId, deps.botUserId, now);
  const availability = new AvailabilityService({
    settings: config.availability ?? {
      agents: undefined,
      officeHours: undefined,
      expectedReply: undefined,
      fields: [],
      emailReplies: false,
    },
    agentIds,
    statuses: async (ids) => (await deps.api.getUserStatuses(ids)).map((s) => s.status),
    now,
    onError: (e) =>
      deps.logger.warn({ msg: 'gateway: could not read the agents’ statuses', error: e instanceof Error ? e.message : String(e) }),
  });

  const visitorOf = visitorAuthenticator({ tokenSecret: config.tokenSecret, store: deps.store, now });
  const limitRead = conversationReads({ ...deps, readsPerMinute: config.readsPerMinute, now });

  route.get('/v1/availability', async (c) => {
    await limitRead(await visitorOf(c));
    return c.json(await availability.get(), 200);
  });

  const notFound = () => new HttpError(404, 'agent_not_found', 'No agent of this conversation has that user id.');

  route.get('/v1/agents/:userId/image', async (c) => {
    const visitor = await visitorOf(c);
    const userId = c.req.param('userId');
    if (!/^[a-z0-9]{26}$/.test(userId)) throw notFound();
    await limitRead(visitor);
    const configured = await agentIds().catch(() => [] as string[]);
    if (!configured.includes(userId) && !(await deps.conversations.agents(visitor)).some((a) => a.userId === userId)) throw notFound();
    const image = await deps.api.getUserImage(userId);
    if (!image) throw notFound();
    const type = image.contentType.split(';')[0]!.trim().toLowerCase();
    if (!AVATAR_TYPES.has(type)) {
      deps.logger.warn({ msg: 'gateway: refused an agent image of an unexpected type', contentType: type.slice(0, 80) });
      throw new HttpError(502, 'unexpected_image_type', 'Mattermost answered the profile image with a type that is not an image.');
    }
    // Kept by the browser for an hour (an avatar is not conversation content), but only for this
    // Authorization: another token (after logout or erasure) asks again. Appended: CORS set `Vary: Origin`.
    c.header('Vary', 'Authorization', { append: true });
    // Through the context, not a bare Response: the CORS headers the middleware set must reach the browser.
    return c.body(image.bytes, 200, {
      'Content-Type': type,
      'Content-Length': String(image.bytes.byteLength),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=3600',
    });
  });

  return route;
}
