// Page reports (opt-in, the widget's `report-pages`): the page an SPA visitor is on, told to the
// agents as a bot note in the conversation's thread. The note carries PAGE_PROP, so it is never
// one of the visitor's messages (history, live frames, transcript: messages.ts toWireMessage).
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { sessionPageSchema } from '../session-route.js';
import type { GatewayConfig } from './config.js';
import type { VisitorContext } from './conversation-service.js';
import type { GatewayMattermost } from './mattermost-api.js';
import { escapeMarkdown, PAGE_PROP } from './messages.js';
import { readJsonBody } from './request-body.js';
import { visitorGuard, type VisitorRouteDeps } from './visitor-guard.js';

/** Largest `POST /v1/conversation/page` body, in bytes (a 2,048-character URL and a title, JSON-escaped). */
export const MAX_PAGE_BODY_BYTES = 8192;
/** Page reports a conversation may make per minute (a visitor clicking through an SPA). */
export const PAGE_REPORTS_PER_MINUTE = 20;
/** Longest title kept, in characters (longer ones are cut, with an ellipsis). */
export const MAX_PAGE_TITLE = 200;

/** `POST /v1/conversation/page` body: the http(s) URL (≤ 2,048 characters) and the document's title. */
export const pageReportSchema = z
  .object({
    url: sessionPageSchema,
    title: z
      .string()
      .max(1000, 'must be at most 1000 characters')
      .transform((v) => v.replace(/[\u0000-\u001f\u007f]/g, ' ').trim())
      .optional(),
  })
  .strict();

/** A page as agents read it: "Visitor is on <title> — <url>" (the title escaped, the URL without credentials). */
export function pageLine(page: { url: string; title?: string }): string {
  const url = new URL(page.url);
  url.username = '';
  url.password = '';
  const href = url.href.replace(/[()<>@\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  const title = page.title && page.title.length > MAX_PAGE_TITLE ? `${[...page.title].slice(0, MAX_PAGE_TITLE).join('')}…` : page.title;
  return title ? `:compass: Visitor is on **${escapeMarkdown(title)}** — ${href}` : `:compass: Visitor is on ${href}`;
}

/** What {@link pageRoutes} needs. */
export interface PageRoutesDeps extends VisitorRouteDeps {
  config: Pick<GatewayConfig, 'tokenSecret' | 'allowedOrigins' | 'addressSendsPerMinute'>;
  api: GatewayMattermost;
}

/**
 * `POST /v1/conversation/page` `{url, title?}` → 204. Posts "Visitor is on <title> — <url>" as a bot
 * reply in the conversation's thread, marked with `props.porthole_page`, when:
 * - the thread exists (a report never starts a conversation),
 * - the URL is on one of the site's origins (`PORTHOLE_ALLOWED_ORIGINS`: the bot posts no link of
 *   the visitor's choosing; another origin answers 422 `page_not_allowed`),
 * - it differs from the last page reported on this instance.
 * Otherwise 204 too, with nothing posted. Limited per address (with sends) and per conversation.
 */
export function pageRoutes(deps: PageRoutesDeps): Hono {
  const route = new Hono();
  const { visitorOf, limit, limitAddress } = visitorGuard(deps);
  /** The last line posted per conversation (this instance), so a repeat is skipped. */
  const last = new Map<string, string>();

  const report = async (visitor: VisitorContext, page: { url: string; title?: string }): Promise<boolean> => {
    const conversation = await deps.store.getConversation(visitor.conversationId);
    if (!conversation || (await deps.store.getErasure(visitor.conversationId))) return false;
    const line = pageLine(page);
    if (last.get(visitor.conversationId) === `${conversation.rootPostId}\0${line}`) return false;
    await deps.api.createPost({
      channel_id: conversation.channelId,
      root_id: conversation.rootPostId,
      message: line,
      props: { [PAGE_PROP]: new URL(page.url).href, porthole_visitor: visitor.userId },
    });
    if (last.size > 50_000) last.clear();
    last.set(visitor.conversationId, `${conversation.rootPostId}\0${line}`);
    return true;
  };

  route.post('/v1/conversation/page', bodyLimit({ maxSize: MAX_PAGE_BODY_BYTES }), async (c) => {
    const visitor = await visitorOf(c);
    const body = await readJsonBody(c, pageReportSchema, '{"url": http(s) URL of at most 2048 characters, "title"?: string}');
    const origin = new URL(body.url).origin;
    if (!deps.config.allowedOrigins.includes(origin)) {
      throw new HttpError(
        422,
        'page_not_allowed',
        `"url" must be a page of this site (one of the allowed origins); received a page of ${JSON.stringify(origin.slice(0, 100))}.`,
      );
    }
    const now = deps.now();
    await limitAddress(c, 'messages and typing notices from this address', 'sends', now);
    await limit(`gateway:pages:${visitor.conversationId}`, PAGE_REPORTS_PER_MINUTE, 'page reports in this conversation', 'sends', now);
    await report(visitor, body);
    return c.body(null, 204);
  });

  return route;
}
