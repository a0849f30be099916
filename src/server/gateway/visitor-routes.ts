// The visitor API of gateway mode. No route takes a conversation id: the Porthole token in
// `Authorization: Bearer` says which conversation a request acts on.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { noAuditLog, requestIdOf, type AuditLog } from '../audit-log.js';
import { anonymousVisitorId, sessionPageSchema, verifiedIdentity } from '../session-route.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CompanionMetrics } from '../metrics.js';
import { clearVisitorCookie } from '../visitor-cookie.js';
import type { GatewayConfig } from './config.js';
import type { ConversationService } from './conversation-service.js';
import type { Forwarder, SendOutcome } from './forwarder.js';
import { defuseMentions } from './messages.js';
import {
  MAX_MESSAGE_RUNES,
  type QueuedResponse,
  type AgentsResponse,
  type GatewaySession,
  type MessagesResponse,
} from '../../protocol/gateway.js';
import { PortholeTokenError, signPortholeToken, verifyPortholeToken, visitorIds } from './porthole-token.js';
import { readJsonBody } from './request-body.js';
import { DEFAULT_UPLOAD_LIMITS } from '../uploads.js';
import type { AuthenticatedVisitor } from './visitor-auth.js';
import { bearerToken, conversationReads, tokenRefused, visitorGuard, type VisitorRouteDeps } from './visitor-guard.js';

/** Largest `POST /v1/session` body, in bytes. */
export const MAX_GATEWAY_SESSION_BODY_BYTES = 4096;
/** Files one message may carry: Mattermost stores at most 300 characters of file ids per post (model/post.go PostFileidsMaxRunes), ten ids. */
export const MAX_FILES_PER_MESSAGE = 10;
/** Largest `POST /v1/messages` body, in bytes: 16,383 code points of up to 4 bytes, JSON-escaped. */
export const MAX_MESSAGE_BODY_BYTES = 128 * 1024;

/**
 * The visitor's page URL if it is on one of the site's origins, else `undefined`: the bot posts it
 * in its own (trusted) root post, which must not carry a link of the visitor's choosing.
 */
function onAllowedOrigin(page: string | undefined, allowedOrigins: readonly string[]): string | undefined {
  if (page === undefined) return undefined;
  try {
    return allowedOrigins.includes(new URL(page).origin) ? page : undefined;
  } catch {
    return undefined;
  }
}

/** Default and largest page of `GET /v1/messages`. */
export const DEFAULT_PAGE = 60;
export const MAX_PAGE = 200;

const visibleName = z
  .string()
  .transform((v) => v.replace(/[\u0000-\u001f\u007f]/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'));

/** `POST /v1/session` body. */
export const gatewaySessionRequestSchema = z
  .object({
    identity: z.string().min(1, 'must be a non-empty JWT string').max(MAX_GATEWAY_SESSION_BODY_BYTES).optional(),
    name: visibleName.optional(),
    page: sessionPageSchema.optional(),
  })
  .strict();

/** The contact form's fields (offline part): shown to agents in the thread, never verified. */
export const contactSchema = z
  .object({
    name: visibleName.optional(),
    email: z.email('must be an email address').max(254, 'must be at most 254 characters').optional(),
  })
  .strict();

/** `POST /v1/messages` body. */
export const sendRequestSchema = z
  .object({
    clientId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID (crypto.randomUUID())'),
    // `pattern` tells the OpenAPI document what the refinement checks: no U+0000, which Mattermost
    // cannot store (its database refuses it: a 500 from POST /posts). Empty only with files (below).
    text: z
      .string()
      .refine((v) => !v.includes('\u0000'), 'must not contain the character U+0000 (NUL), which the chat server cannot store')
      .meta({ pattern: '^[^\\u0000]*$' }),
    // Files: ids from POST /v1/files of this conversation; at most 10 (Mattermost's PostFileidsMaxRunes, model/post.go).
    fileIds: z
      .array(z.string().regex(/^[a-z0-9]{26}$/, 'must be a file id from POST /v1/files'))
      .max(MAX_FILES_PER_MESSAGE, `must list at most ${MAX_FILES_PER_MESSAGE} files (Mattermost's limit per post)`)
      .refine((ids) => new Set(ids).size === ids.length, 'must not list a file twice')
      .optional(),
    // Offline part: what the visitor gave in the contact form, posted in the thread with the message.
    contact: contactSchema.optional(),
  })
  .strict()
  .refine((b) => b.text.trim() !== '' || (b.fileIds?.length ?? 0) > 0, {
    message: 'must not be empty (it may be empty only when "fileIds" lists files)',
    path: ['text'],
  });

/** The query of `GET /v1/messages`. */
export const messagesQuerySchema = z.object({
  per_page: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`))
    .optional(),
  before: z
    .string()
    .regex(/^[a-z0-9]{26}$/, 'must be a message id')
    .optional(),
  since: z
    .string()
    .regex(/^\d{1,16}$/, 'must be a time in ms since the epoch')
    .transform(Number)
    .optional(),
});

/** What {@link visitorRoutes} needs. */
export interface VisitorRoutesDeps extends VisitorRouteDeps {
  config: Pick<
    GatewayConfig,
    | 'tokenSecret'
    | 'tokenTtlSeconds'
    | 'cookieSecret'
    | 'identitySecret'
    | 'production'
    | 'publicUrl'
    | 'trustProxy'
    | 'allowedOrigins'
    | 'messagesPerMinute'
    | 'typingPerMinute'
    | 'addressSendsPerMinute'
    | 'readsPerMinute'
    | 'uploads'
  >;
  conversations: ConversationService;
  /** Store and forward: queues sends while Mattermost is unreachable (202 `{queued}`). Default: none (503). */
  forwarder?: Pick<Forwarder, 'send'>;
  /** Called after a logout, to close the conversation's live sockets. */
  onLogout?: (conversationId: string) => void;
  /** Agents and availability: the agents of `PORTHOLE_AGENTS`, named in `GET /v1/agents` before they post (so "Ada is typing…" works). Default: none. */
  configuredAgents?: () => Promise<{ userId: string; name: string }[]>;
  /** Audit sink for identified sessions, refused identities and logouts. Default: none. */
  audit?: AuditLog;
  /** Counts sessions minted (new or returning; refusals are counted by `countRefusedSessions`) and rate-limit refusals. Default: none. */
  metrics?: Pick<CompanionMetrics, 'enabled' | 'sessionMinted' | 'rateLimited'>;
  logger: Logger;
}

/** The companion's public base URL: PORTHOLE_PUBLIC_URL, else the request's URL without `/v1/session`. */
function publicBaseUrl(c: Context, configured: string | undefined, trustProxy: boolean): string {
  if (configured) return configured;
  const url = new URL(c.req.url);
  if (trustProxy) {
    const proto = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
    const host = c.req.header('X-Forwarded-Host')?.split(',')[0]?.trim();
    if (proto === 'http' || proto === 'https') url.protocol = `${proto}:`;
    if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host)) url.host = host;
  }
  return `${url.origin}${url.pathname.replace(/\/v1\/session\/?$/, '')}`.replace(/\/+$/, '');
}

/**
 * The visitor API (mount at the companion's root):
 *
 * - `POST /v1/session` `{identity?, name?, page?}` → {@link GatewaySession}. No Mattermost call and
 *   no store write: a conversation appears only with its first message.
 * - `DELETE /v1/session` → 204; revokes every token of the conversation issued until now.
 * - `DELETE /v1/session/cookie` → 204; expires the visitor cookie (no token: a new visitor next time).
 * - `GET /v1/messages?per_page=` newest page; `&before=<id>` older; `?since=<ms>` changes.
 * - `POST /v1/messages` `{clientId, text}` → 201 (200 for a repeat of the client id) `{message}`.
 *   While Mattermost is unreachable (with a forwarder): 202 `{queued: {clientId, createAt}}`, also for a
 *   repeat of a queued client id; the forwarder posts it once Mattermost is back.
 * - `POST /v1/typing` → 204. `GET /v1/agents` → `{agents: [{userId, name}]}`.
 *
 * Sends are limited per conversation and per address (429 `rate_limited` + `Retry-After`).
 */
export function visitorRoutes(deps: VisitorRoutesDeps): Hono {
  const { config, conversations, now } = deps;
  const route = new Hono();
  const audit = deps.audit ?? noAuditLog;
  const { visitorOf, limit, limitAddress } = visitorGuard(deps);

  const limitSend = async (c: Context, visitor: AuthenticatedVisitor, kind: 'message' | 'typing') => {
    const name = kind === 'message' ? 'sends' : 'typing';
    await limitAddress(c, 'messages and typing notices from this address', name);
    if (kind === 'message')
      await limit(`gateway:messages:${visitor.conversationId}`, config.messagesPerMinute, 'messages in this conversation', name);
    else await limit(`gateway:typing:${visitor.conversationId}`, config.typingPerMinute, 'typing notices in this conversation', name);
  };

  /** Reads go to Mattermost with the bot's token: limited per conversation too, so one visitor cannot load the server through the companion. */
  const limitRead = conversationReads({ ...deps, readsPerMinute: config.readsPerMinute, now });

  route.use('/v1/*', async (c, next) => {
    await next();
    // A route that chose its own caching keeps it (agents' images: private, an hour).
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  route.post('/v1/session', bodyLimit({ maxSize: MAX_GATEWAY_SESSION_BODY_BYTES }), async (c) => {
    const body = await readJsonBody(
      c,
      gatewaySessionRequestSchema,
      '{"identity"?: string, "name"?: string, "page"?: http(s) URL} or an empty body',
      { allowEmpty: true },
    );
    let key: string;
    let name = body.name;
    let email: string | undefined;
    if (body.identity !== undefined) {
      const claims = await verifiedIdentity(c, body.identity, { secret: config.identitySecret, now, audit, mode: 'gateway' });
      key = `id:${claims.sub}`;
      name = claims.name ?? name;
      email = claims.email;
    } else {
      key = `anon:${await anonymousVisitorId(c, config.cookieSecret, config.production)}`;
    }
    const ids = await visitorIds(key);
    const iat = now();
    const exp = iat + config.tokenTtlSeconds * 1000;
    const page = onAllowedOrigin(body.page, config.allowedOrigins);
    const token = await signPortholeToken(
      { cid: ids.conversationId, uid: ids.userId, name, email, page, idf: body.identity !== undefined, iat, exp },
      config.tokenSecret,
    );
    const response: GatewaySession = {
      mode: 'gateway',
      serverUrl: publicBaseUrl(c, config.publicUrl, config.trustProxy),
      token,
      expiresAt: exp,
      userId: ids.userId,
      channelId: ids.conversationId,
      uploads: config.uploads ?? DEFAULT_UPLOAD_LIMITS,
    };
    // Whether the visitor already has a conversation, for the audit line and the metrics; best
    // effort (before start() or with the store away: unknown). Read only when one of them needs it.
    const hasConversation =
      body.identity !== undefined || deps.metrics?.enabled
        ? await Promise.resolve()
            .then(() => deps.store.getConversation(ids.conversationId))
            .then(
              (record) => record !== undefined,
              () => null,
            )
        : null;
    // Identified visitors only. The actor is the conversation id — an unkeyed hash of the host's
    // `sub` (visitorIds), never the `sub` itself, which may be an email address.
    if (body.identity !== undefined) {
      audit.record({
        action: 'session.identified',
        actor: `visitor:${ids.conversationId}`,
        subject: ids.conversationId,
        requestId: requestIdOf(c),
        outcome: 'ok',
        detail: { mode: 'gateway', returning: hasConversation, expiresAt: new Date(exp).toISOString() },
      });
    }
    // Returning: the visitor already has a conversation (unknown counts as new).
    if (deps.metrics?.enabled) deps.metrics.sessionMinted(hasConversation ? 'returning' : 'new');
    return c.json(response, 200);
  });

  route.delete('/v1/session', async (c) => {
    c.header('Set-Cookie', clearVisitorCookie(config.production), { append: true });
    let conversationId: string;
    try {
      // An expired but authentic token may still log out.
      conversationId = (await verifyPortholeToken(bearerToken(c), config.tokenSecret, now(), { ignoreExpiry: true })).cid;
    } catch (e) {
      if (e instanceof PortholeTokenError) {
        audit.record({
          action: 'session.revoked',
          actor: 'visitor:unverified',
          requestId: requestIdOf(c),
          outcome: 'failed',
          detail: { mode: 'gateway', reason: e.code },
        });
        throw tokenRefused(e);
      }
      throw e;
    }
    const revokedAt = now();
    await deps.store.revokeTokens(conversationId, revokedAt);
    deps.onLogout?.(conversationId);
    deps.logger.info({ msg: 'gateway visitor logged out', conversationId });
    // Gateway tokens are not stored one by one: every token of the conversation issued until now is revoked.
    audit.record({
      action: 'session.revoked',
      actor: `visitor:${conversationId}`,
      subject: conversationId,
      requestId: requestIdOf(c),
      outcome: 'ok',
      detail: { mode: 'gateway', revoked: 'all_issued_until_revokedAt', revokedAt: new Date(revokedAt).toISOString() },
    });
    return c.body(null, 204);
  });

  // SPA life cycle (the widget's shutdown()): forgets the anonymous visitor, also before any
  // session (no token, nothing else touched). Logout clears the cookie as well.
  route.delete('/v1/session/cookie', (c) => {
    c.header('Set-Cookie', clearVisitorCookie(config.production), { append: true });
    return c.body(null, 204);
  });

  route.get('/v1/messages', async (c) => {
    const visitor = await visitorOf(c);
    const parsed = messagesQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `"${i.path.join('.')}" ${i.message}`);
      throw new HttpError(
        400,
        'invalid_query',
        `Invalid query: ${problems.join('; ')}. Expected ?per_page=1…${MAX_PAGE} with either before=<message id> or since=<ms>.`,
      );
    }
    const q = parsed.data;
    if (q.before !== undefined && q.since !== undefined)
      throw new HttpError(400, 'invalid_query', 'Use either "before" (older pages) or "since" (changes), not both.');
    const perPage = q.per_page ?? DEFAULT_PAGE;
    await limitRead(visitor);
    let page: MessagesResponse;
    if (q.since !== undefined) page = await conversations.since(visitor, q.since);
    else if (q.before !== undefined) page = await conversations.before(visitor, q.before, perPage);
    else page = await conversations.latest(visitor, perPage);
    return c.json(page, 200);
  });

  route.post('/v1/messages', bodyLimit({ maxSize: MAX_MESSAGE_BODY_BYTES }), async (c) => {
    const visitor = await visitorOf(c);
    const body = await readJsonBody(
      c,
      sendRequestSchema,
      '{"clientId": UUID, "text": string, "fileIds"?: [file id, …], "contact"?: {"name"?: string, "email"?: string}}',
    );
    // Counted as posted: every @-word gains an invisible character (defuseMentions).
    const runes = [...defuseMentions(body.text)].length;
    if (runes > MAX_MESSAGE_RUNES) {
      const typed = [...body.text].length;
      const extra = runes > typed ? ` (${typed} typed, plus one for each of its ${runes - typed} @-words)` : '';
      throw new HttpError(
        413,
        'message_too_long',
        `The message is ${runes} characters long${extra}; Mattermost stores at most ${MAX_MESSAGE_RUNES}. Split it into several messages.`,
      );
    }
    await limitSend(c, visitor, 'message');
    const outcome: SendOutcome = deps.forwarder ? await deps.forwarder.send(visitor, body) : await conversations.send(visitor, body);
    if (outcome.queued) return c.json({ queued: outcome.queued } satisfies QueuedResponse, 202);
    const { message, created } = outcome;
    return c.json({ message }, created ? 201 : 200);
  });

  route.post('/v1/typing', async (c) => {
    const visitor = await visitorOf(c);
    await limitSend(c, visitor, 'typing');
    await conversations.typing(visitor);
    return c.body(null, 204);
  });

  route.get('/v1/agents', async (c) => {
    const visitor = await visitorOf(c);
    await limitRead(visitor);
    const posted = await conversations.agents(visitor);
    // Agents and availability: the configured agents too (best effort), after those who posted.
    const configured = (await deps.configuredAgents?.().catch(() => [])) ?? [];
    const response: AgentsResponse = { agents: [...posted, ...configured.filter((a) => !posted.some((p) => p.userId === a.userId))] };
    return c.json(response, 200);
  });

  return route;
}
