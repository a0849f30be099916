// `GET /openapi.json`: the companion's HTTP API as an OpenAPI 3.1 document, generated (zod-openapi)
// from the very zod schemas the routes validate requests with and the protocol's response schemas.
// Nothing here restates a field by hand: change a schema and the document follows. Every status a
// route can answer is listed with the error codes behind it (docs/http-api.md says the same in
// prose); `openapi.test.ts` fails when the app serves a route the document lacks, or the reverse.
import { Hono } from 'hono';
import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiSecuritySchemeObject,
} from 'zod-openapi';
import {
  agentsResponseSchema,
  availabilityResponseSchema,
  clientFrameSchema,
  gatewaySessionSchema,
  LIVE_AUTH_TIMEOUT_MS,
  LIVE_MAX_FRAME_BYTES,
  LIVE_MAX_FRAMES_PER_MINUTE,
  LiveCloseCode,
  MAX_MESSAGE_RUNES,
  messagesResponseSchema,
  queuedResponseSchema,
  sendResponseSchema,
  serverFrameSchema,
  wireFileSchema,
} from '../protocol/gateway.js';
import { transcriptSchema } from '../protocol/transcript.js';
import { errorBodySchema } from './errors.js';
import { DEFAULT_UPLOAD_LIMITS, SHOWN_AS_IS } from './uploads.js';
import {
  gatewaySessionRequestSchema,
  MAX_GATEWAY_SESSION_BODY_BYTES,
  MAX_MESSAGE_BODY_BYTES,
  MAX_PAGE,
  messagesQuerySchema,
  sendRequestSchema,
} from './gateway/visitor-routes.js';
import { healthBodySchema, readinessReportSchema } from './health-route.js';
import { MAX_SESSION_BODY_BYTES, sessionRequestSchema, sessionResponseSchema } from './session-route.js';
import { VISITOR_COOKIE } from './visitor-cookie.js';
import { MAX_PAGE_BODY_BYTES, PAGE_REPORTS_PER_MINUTE, pageReportSchema } from './gateway/page-routes.js';

/** What the document describes: the routes of one companion's mode and configuration. */
export interface OpenApiOptions {
  /** The companion's mode (its routes differ). */
  mode: 'gateway' | 'direct';
  /** Whether `GET /metrics` is mounted (only when `PORTHOLE_METRICS_TOKEN` is set). */
  metrics: boolean;
}

/** An OpenAPI 3.1 document, as zod-openapi's `createDocument` returns it. */
export type OpenApiDocument = ReturnType<typeof createDocument>;

/** The path the document is served at. */
export const OPENAPI_PATH = '/openapi.json';

/** How long clients and proxies may cache the document, in seconds (it changes only with a deploy or a configuration change). */
export const OPENAPI_MAX_AGE_S = 300;

// ---- headers every response or some responses carry ----

const requestIdHeader = z
  .string()
  .regex(/^[A-Za-z0-9._-]{8,64}$/)
  .meta({
    description: "The request's id (the caller's `X-Request-Id` when it is 8–64 of `A-Za-z0-9._-`, else a new UUID); also in the log line.",
  });

const retryAfterHeader = z.string().regex(/^\d+$/).meta({ description: 'Whole seconds to wait before trying again.' });

const wwwAuthenticateHeader = z.string().meta({ description: 'The bearer challenge, e.g. `Bearer error="invalid_token"`.' });

const setCookieHeader = z.string().meta({
  description: `Sets (or, on logout, clears) the signed visitor cookie \`${VISITOR_COOKIE}\` (HttpOnly; SameSite=None; Secure; Partitioned in production).`,
});

const contentDispositionHeader = z
  .string()
  .regex(/^attachment; filename="porthole-transcript-\d{4}-\d{2}-\d{2}\.json"$/)
  .meta({ description: 'Downloads as `porthole-transcript-<YYYY-MM-DD>.json`.' });

/** Extra headers a response may carry, beyond `X-Request-Id`. */
interface HeaderSpec {
  retryAfter?: 'required' | 'optional';
  wwwAuthenticate?: boolean;
  setCookie?: boolean;
  contentDisposition?: boolean;
}

function headers(spec: HeaderSpec = {}) {
  return z.object({
    'X-Request-Id': requestIdHeader,
    ...(spec.retryAfter === 'required' ? { 'Retry-After': retryAfterHeader } : {}),
    ...(spec.retryAfter === 'optional' ? { 'Retry-After': retryAfterHeader.optional() } : {}),
    ...(spec.wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticateHeader.optional() } : {}),
    ...(spec.setCookie ? { 'Set-Cookie': setCookieHeader.optional() } : {}),
    ...(spec.contentDisposition ? { 'Content-Disposition': contentDispositionHeader } : {}),
  });
}

// ---- responses ----

type Responses = ZodOpenApiOperationObject['responses'];

function json(description: string, schema: z.core.$ZodType, spec?: HeaderSpec): ZodOpenApiResponseObject {
  return { description, headers: headers(spec), content: { 'application/json': { schema } } };
}

function empty(description: string, spec?: HeaderSpec): ZodOpenApiResponseObject {
  return { description, headers: headers(spec) };
}

/** An error response: the error body, with the codes it may carry named in the description. */
function error(codes: readonly string[], what: string, spec?: HeaderSpec): ZodOpenApiResponseObject {
  return json(`${what} Error codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`, errorBodySchema, spec);
}

/** Every route: an `Origin` outside `PORTHOLE_ALLOWED_ORIGINS` is refused before anything else. */
const originRefused = error(['origin_not_allowed'], 'The `Origin` header is not an allowed origin.');

const tooMany = (what: string) => error(['rate_limited'], `Too many ${what}.`, { retryAfter: 'required' });

/** 502/503 of a route that calls Mattermost (503 `mattermost_unavailable` also when a proxy answers 502–504 for it). */
function mattermostFailures(more503: readonly string[] = []): Responses {
  return {
    '502': error(['mattermost_error'], 'Mattermost refused the request (its own text only in `detail`, outside production).'),
    '503': error(
      ['mattermost_unavailable', ...more503],
      'Unavailable for now (Mattermost unreachable, or this companion is starting or cannot reach its store); retry after `Retry-After`.',
      { retryAfter: 'optional' },
    ),
  };
}

const badJson = (expected: string) =>
  error(['invalid_json', 'invalid_body'], `The body is not valid JSON, or not ${expected}; the message names each field that is wrong.`);
const tooLarge = (bytes: number, codes: readonly string[] = ['body_too_large']) => error(codes, `The body is larger than ${bytes} bytes.`);
const notJson = error(['unsupported_media_type'], 'A non-empty body without `Content-Type: application/json`.');

// ---- security ----

const SECURITY_SCHEMES: Record<OpenApiOptions['mode'], Record<string, ZodOpenApiSecuritySchemeObject>> = {
  gateway: {
    portholeToken: {
      type: 'http',
      scheme: 'bearer',
      description: 'The Porthole token from `POST /v1/session` (signed by the companion; `expiresAt` says when it expires).',
    },
  },
  direct: {
    visitorToken: {
      type: 'http',
      scheme: 'bearer',
      description:
        "The visitor's Mattermost access token from `POST /v1/session` (only tokens of visitor accounts this companion created act on anything).",
    },
  },
};

const visitorCookieScheme: ZodOpenApiSecuritySchemeObject = {
  type: 'apiKey',
  in: 'cookie',
  name: VISITOR_COOKIE,
  description:
    'The signed visitor id the companion sets on `POST /v1/session`: an anonymous visitor who sends it back gets the same conversation. Optional; tampered values count as absent (a new visitor).',
};

const metricsScheme: ZodOpenApiSecuritySchemeObject = {
  type: 'http',
  scheme: 'bearer',
  description: '`PORTHOLE_METRICS_TOKEN` (compared in constant time).',
};

// ---- operations ----

function sessionPost(mode: OpenApiOptions['mode']): ZodOpenApiOperationObject {
  const gateway = mode === 'gateway';
  const maxBytes = gateway ? MAX_GATEWAY_SESSION_BODY_BYTES : MAX_SESSION_BODY_BYTES;
  return {
    operationId: 'createSession',
    summary: gateway
      ? 'Start or resume a visitor session (returns a Porthole token)'
      : 'Start or resume a visitor session (mints a Mattermost token)',
    description: gateway
      ? 'No Mattermost call and no store write: a conversation appears only with its first message. With `identity` (an HS256 JWT signed with `PORTHOLE_IDENTITY_SECRET`) the visitor is known by its `sub`; without, by the visitor cookie (a new one when missing or tampered).'
      : "Creates (or finds) the visitor's Mattermost user and channel and mints a short-lived access token for them. With `identity` the visitor is known by its `sub`; without, by the visitor cookie.",
    security: [{}, { visitorCookie: [] }],
    requestBody: {
      required: false,
      description: `Every field is optional; an empty body is fine. At most ${maxBytes} bytes.`,
      content: { 'application/json': { schema: gateway ? gatewaySessionRequestSchema : sessionRequestSchema } },
    },
    responses: {
      '200': json(
        gateway ? 'The session: a Porthole token for this conversation.' : "The session: the visitor's Mattermost token and channel.",
        gateway ? gatewaySessionSchema : sessionResponseSchema,
        { setCookie: true },
      ),
      '400': badJson('an object of the documented fields'),
      '401': error(
        ['identity_not_accepted', 'invalid_identity'],
        'The identity is forged, expired or unsigned, or identities are not accepted.',
      ),
      '403': originRefused,
      '413': tooLarge(maxBytes),
      '415': notJson,
      '429': tooMany('session requests (per address, per site for new visitors, per visitor for returning ones)'),
      ...(gateway ? {} : mattermostFailures(['capacity_reached'])),
    },
  };
}

function sessionDelete(mode: OpenApiOptions['mode']): ZodOpenApiOperationObject {
  const gateway = mode === 'gateway';
  return {
    operationId: 'deleteSession',
    summary: 'Log out',
    description: gateway
      ? 'Revokes every Porthole token of the conversation issued until now (an expired but authentic token may still log out), closes its live sockets on every instance, and clears the visitor cookie.'
      : "Revokes the visitor's Mattermost tokens and clears the visitor cookie. A token that is not a visitor's of this companion revokes nothing (still 204).",
    security: gateway ? [{ portholeToken: [] }] : [{ visitorToken: [] }],
    responses: {
      '204': empty('Logged out.', { setCookie: true }),
      '401': error(
        gateway ? ['missing_token', 'token_malformed', 'token_invalid'] : ['missing_token'],
        'No bearer token, or (gateway) one the companion did not sign.',
        { wwwAuthenticate: true, setCookie: true },
      ),
      '403': originRefused,
      '429': tooMany('session requests'),
      ...(gateway
        ? { '503': error(['gateway_starting', 'store_unavailable'], 'Starting, or the store is unreachable.', { retryAfter: 'optional' }) }
        : mattermostFailures()),
    },
  };
}

const forgetCookie: ZodOpenApiOperationObject = {
  operationId: 'forgetVisitor',
  summary: 'Forget the anonymous visitor (expire the visitor cookie)',
  description:
    "The widget's `shutdown()`: expires the `porthole_vid` cookie with the attributes it was set with, so the next `POST /v1/session` starts a new visitor. No token (it works before any session) and nothing else changes: `DELETE /v1/session` revokes the tokens (and clears the cookie too).",
  responses: {
    '204': empty('The cookie is expired.', { setCookie: true }),
    '403': originRefused,
  },
};

const tokenRefused = error(
  ['missing_token', 'token_malformed', 'token_invalid', 'token_expired', 'token_revoked'],
  'No Porthole token, or one that is forged, expired or revoked (logout): get a new one from `POST /v1/session`.',
  { wwwAuthenticate: true },
);

const GATEWAY_503 = ['gateway_starting', 'store_unavailable', 'conversation_busy'];

const visitorOperations = {
  messagesGet: {
    operationId: 'listMessages',
    summary: "Read the conversation's messages",
    description: `Oldest first. Without \`before\`/\`since\`: the newest page; \`before=<message id>\`: the page before it; \`since=<ms>\`: what was posted, edited or deleted since (as a fallback to \`/v1/live\`). Up to ${MAX_PAGE} per page.`,
    security: [{ portholeToken: [] }],
    requestParams: { query: messagesQuerySchema },
    responses: {
      '200': json('A page of messages.', messagesResponseSchema),
      '400': error(
        ['invalid_query', 'invalid_cursor'],
        'A query parameter is malformed, both `before` and `since` are given, or `before` is not a message of this conversation.',
      ),
      '401': tokenRefused,
      '403': originRefused,
      '429': tooMany('reads of this conversation'),
      ...mattermostFailures(GATEWAY_503),
    },
  },
  messagesPost: {
    operationId: 'sendMessage',
    summary: 'Send a message',
    description: `Posts as a reply in the conversation's thread (the first message creates the thread). Idempotent per \`clientId\`: a repeat answers 200 with the first post. While Mattermost is unreachable the companion stores the message and answers 202 (store and forward). \`contact\` (the contact form's \`name\`, \`email\`) is shown to agents in the thread. At most ${MAX_MESSAGE_RUNES} characters as posted (every @-word gains one invisible character).`,
    security: [{ portholeToken: [] }],
    requestBody: {
      required: true,
      description: `At most ${MAX_MESSAGE_BODY_BYTES} bytes.`,
      content: { 'application/json': { schema: sendRequestSchema } },
    },
    responses: {
      '200': json('A repeat of a client id: the message as first posted.', sendResponseSchema),
      '201': json('The message, posted.', sendResponseSchema),
      // Offline part (store and forward).
      '202': json(
        'Mattermost is unreachable (or this conversation still has queued messages, which keep their order): the message is stored and will be posted once Mattermost is back, in order, once. A repeat of a queued client id answers 202 again.',
        queuedResponseSchema,
      ),
      '400': badJson(
        '`{"clientId": UUID, "text": non-blank string (blank only with fileIds), "fileIds"?: ids of files uploaded in this conversation, at most 10}`',
      ),
      '401': tokenRefused,
      '403': originRefused,
      '413': tooLarge(MAX_MESSAGE_BODY_BYTES, ['body_too_large', 'message_too_long']),
      '415': notJson,
      '422': error(['message_refused'], 'Mattermost refused this message itself; sending it again will not help.'),
      '429': tooMany('messages (per conversation and per address) or new conversations'),
      // erasure_in_progress: DELETE /v1/conversation is under way for this conversation (any instance);
      // queue_full: Mattermost is unreachable and this conversation already has the most messages waiting.
      ...mattermostFailures([...GATEWAY_503, 'erasure_in_progress', 'queue_full']),
    },
  },
  page: {
    operationId: 'reportPage',
    summary: "Tell the agents the page the visitor is on (the widget's `report-pages`)",
    description: `Posts "Visitor is on <title> — <url>" as a bot reply in the conversation's thread, marked with \`props.porthole_page\` and never shown to the visitor (history, \`/v1/live\`, transcript). Nothing is posted (still 204) before the visitor's first message (a report never starts a conversation) or for a repeat of the last page reported. The URL must be on one of the allowed origins. At most ${PAGE_REPORTS_PER_MINUTE} a minute per conversation, and counted with the address's sends.`,
    security: [{ portholeToken: [] }],
    requestBody: {
      required: true,
      description: `At most ${MAX_PAGE_BODY_BYTES} bytes.`,
      content: { 'application/json': { schema: pageReportSchema } },
    },
    responses: {
      '204': empty('Reported, or nothing to report.'),
      '400': badJson('`{"url": http(s) URL of at most 2048 characters, "title"?: string of at most 1000 characters}`'),
      '401': tokenRefused,
      '403': originRefused,
      '413': tooLarge(MAX_PAGE_BODY_BYTES),
      '415': notJson,
      '422': error(['page_not_allowed'], 'The URL is not on one of the allowed origins (`PORTHOLE_ALLOWED_ORIGINS`).'),
      '429': tooMany('page reports (per conversation) or sends (per address)'),
      ...mattermostFailures(GATEWAY_503),
    },
  },
  typing: {
    operationId: 'sendTyping',
    summary: 'Say the visitor is typing',
    description: 'Shown to agents in Mattermost (at most one notice every 2 s reaches it). No conversation yet: nothing to tell.',
    security: [{ portholeToken: [] }],
    responses: {
      '204': empty('Noted.'),
      '401': tokenRefused,
      '403': originRefused,
      '429': tooMany('typing notices (per conversation and per address)'),
      ...mattermostFailures(GATEWAY_503),
    },
  },
  agents: {
    operationId: 'listAgents',
    summary: 'The agents who posted in this conversation',
    security: [{ portholeToken: [] }],
    responses: {
      '200': json('The agents, with their display names.', agentsResponseSchema),
      '401': tokenRefused,
      '403': originRefused,
      '429': tooMany('reads of this conversation'),
      ...mattermostFailures(GATEWAY_503),
    },
  },
} satisfies Record<string, ZodOpenApiOperationObject>;

// ---- files (gateway mode) ----

/** `POST /v1/files`'s answer. */
const fileUploadResponseSchema = z.object({ file: wireFileSchema });

const binary = z.string().meta({ format: 'binary' });
/** What `GET /v1/files/{fileId}` may answer with (anything but these types is served as octet-stream). */
const SERVED_FILE_TYPES = [...SHOWN_AS_IS, 'application/octet-stream'];
const fileIdParam = z.object({ fileId: z.string().meta({ description: "A file id from `POST /v1/files` or a message's `files`." }) });

const fileOperations = {
  upload: {
    operationId: 'uploadFile',
    summary: 'Upload a file',
    description: `The raw bytes as the body (not multipart), with the file's MIME type as \`Content-Type\` and a \`Content-Length\`. Size and type are checked before Mattermost sees a byte (\`PORTHOLE_MAX_UPLOAD_BYTES\`, \`PORTHOLE_UPLOAD_TYPES\`, default ${DEFAULT_UPLOAD_LIMITS.types.join(', ')}; the name's extension must not stand for a type outside them); then it is streamed to Mattermost as the bot, and a body longer than announced is cut off with 413. The file belongs to this conversation only: attach it with \`fileIds\` in \`POST /v1/messages\`. A visitor who has not written yet gets the conversation's thread started.`,
    security: [{ portholeToken: [] }],
    requestParams: {
      header: z.object({
        'X-Porthole-File-Name': z.string().meta({
          description: '`encodeURIComponent(name)`: 1–255 characters (≤ 255 bytes in UTF-8) decoded, no `/`, `\\` or control characters.',
        }),
      }),
    },
    requestBody: {
      required: true,
      description: `At most \`PORTHOLE_MAX_UPLOAD_BYTES\` (default ${DEFAULT_UPLOAD_LIMITS.maxBytes}) bytes.`,
      content: Object.fromEntries(DEFAULT_UPLOAD_LIMITS.types.map((t) => [t, { schema: binary }])),
    },
    responses: {
      '201': json("The file, stored in Mattermost and recorded as this conversation's.", fileUploadResponseSchema),
      '400': error(['invalid_request'], 'No `X-Porthole-File-Name`, a bad name, an empty body or a malformed `Content-Length`.'),
      '401': tokenRefused,
      '403': originRefused,
      '411': error(['length_required'], 'No `Content-Length`.'),
      '413': error(['file_too_large'], "Larger than the limit (by `Content-Length` or counted), or than Mattermost's own `MaxFileSize`."),
      '415': error(['file_type_not_allowed'], 'A type outside `PORTHOLE_UPLOAD_TYPES` (the message lists those accepted).'),
      '429': tooMany('uploads in this conversation (`PORTHOLE_UPLOADS_PER_MINUTE`, default 10)'),
      ...mattermostFailures([...GATEWAY_503, 'erasure_in_progress']),
    },
  },
  read: {
    operationId: 'downloadFile',
    summary: 'Download a file of this conversation',
    description:
      "A file uploaded in this conversation or attached to a message of its thread (an agent's), streamed from Mattermost; any other id answers 404. Always an attachment, with `X-Content-Type-Options: nosniff`; types other than common images, PDF and plain text are served as `application/octet-stream`.",
    security: [{ portholeToken: [] }],
    requestParams: { path: fileIdParam },
    responses: {
      '200': {
        description: 'The bytes.',
        headers: z.object({
          'X-Request-Id': requestIdHeader,
          'Content-Disposition': z.string().meta({ description: '`attachment; filename="…"; filename*=UTF-8\'\'…`' }),
          'X-Content-Type-Options': z.literal('nosniff'),
          'Cache-Control': z.literal('private, max-age=300'),
        }),
        content: Object.fromEntries(SERVED_FILE_TYPES.map((t) => [t, { schema: binary }])),
      },
      '401': tokenRefused,
      '403': originRefused,
      '404': error(['not_found'], 'No such file in this conversation.'),
      '429': tooMany('reads of this conversation'),
      ...mattermostFailures(GATEWAY_503),
    },
  },
} satisfies Record<string, ZodOpenApiOperationObject>;

// ---- agents and availability ----

const availabilityDescription =
  "`closed` outside `PORTHOLE_OFFICE_HOURS`; else `online` (an agent online), `away` (away or do-not-disturb), `offline`, from the configured agents' Mattermost statuses, asked at most every 30 s per instance; `unreachable` (still 200) when Mattermost cannot be asked.";

const agentOperations = {
  availability: (mode: OpenApiOptions['mode']): ZodOpenApiOperationObject => ({
    operationId: 'getAvailability',
    summary: 'Whether the team is around',
    description:
      mode === 'gateway'
        ? availabilityDescription
        : `${availabilityDescription} Direct mode: no token (it says nothing about a visitor), at most 30 a minute per address.`,
    ...(mode === 'gateway' ? { security: [{ portholeToken: [] }] } : {}),
    responses: {
      '200': json('The availability, with the expected-reply text and the contact form the site asks for.', availabilityResponseSchema),
      ...(mode === 'gateway' ? { '401': tokenRefused } : {}),
      '403': originRefused,
      '429': tooMany(mode === 'gateway' ? 'reads of this conversation' : 'availability requests from this address'),
      ...(mode === 'gateway' ? mattermostFailures(GATEWAY_503) : {}),
    },
  }),
  image: {
    operationId: 'getAgentImage',
    summary: "An agent's profile image",
    description:
      "The Mattermost profile image of an agent who posted in this conversation or is configured (`PORTHOLE_AGENTS`, else the support channel's people); anyone else answers 404. PNG, JPEG, GIF or WebP only, with `X-Content-Type-Options: nosniff`.",
    security: [{ portholeToken: [] }],
    requestParams: { path: z.object({ userId: z.string().meta({ description: "The agent's Mattermost user id." }) }) },
    responses: {
      '200': {
        description: 'The image.',
        headers: z.object({
          'X-Request-Id': requestIdHeader,
          'X-Content-Type-Options': z.literal('nosniff'),
          'Cache-Control': z.literal('private, max-age=3600'),
        }),
        content: Object.fromEntries(['image/png', 'image/jpeg', 'image/gif', 'image/webp'].map((t) => [t, { schema: binary }])),
      },
      '401': tokenRefused,
      '403': originRefused,
      '404': error(['agent_not_found'], 'Not an agent of this conversation.'),
      '429': tooMany('reads of this conversation'),
      ...mattermostFailures(GATEWAY_503),
      '502': error(
        ['mattermost_error', 'unexpected_image_type'],
        'Mattermost refused the request, or answered with a type that is not one of those images.',
      ),
    },
  } satisfies ZodOpenApiOperationObject,
};

/** Who the privacy routes act for: the Porthole token (gateway) or the visitor's Mattermost token (direct). */
function privacyOperations(mode: OpenApiOptions['mode']) {
  const gateway = mode === 'gateway';
  const security = gateway ? [{ portholeToken: [] }] : [{ visitorToken: [] }];
  const refused = gateway
    ? tokenRefused
    : error(
        ['missing_token', 'invalid_token'],
        'No bearer token, or one that is not the Mattermost token of a visitor this companion created.',
        { wwwAuthenticate: true },
      );
  const unavailable = gateway ? GATEWAY_503 : [];
  return {
    transcript: {
      operationId: 'downloadTranscript',
      summary: "Download the conversation's transcript",
      description:
        'Every message, oldest first, with attachment metadata (the files stay in Mattermost); a visitor who has not written yet gets `messages: []`. Recorded in the audit log (`conversation.exported`).',
      security,
      responses: {
        '200': json('The transcript, as a download.', transcriptSchema, { contentDisposition: true }),
        '401': refused,
        '403': originRefused,
        '429': tooMany(
          gateway
            ? 'transcript downloads of this conversation (5 a minute)'
            : 'transcript downloads (10 a minute per visitor, 30 privacy requests a minute per address)',
        ),
        ...mattermostFailures(unavailable),
      },
    },
    erase: {
      operationId: 'eraseConversation',
      summary: 'Erase the conversation for good',
      description: gateway
        ? "Deletes the conversation's posts and files permanently in Mattermost, revokes the visitor's tokens, closes its live sockets and clears the visitor cookie; while it runs, sends to the conversation answer 503 `erasure_in_progress`. A repeat with the token the erasure revoked resumes an erasure that stopped part-way (`erasure_incomplete`), or answers 204 again when it finished. Recorded in the audit log (`conversation.erased`)."
        : "Deletes the visitor's channel, its posts and files, their inbox notice, then the Mattermost user with its credentials, permanently, and clears the visitor cookie. The token works until that last step: a repeat after `erasure_incomplete` finishes the erasure; once done, the token dies with the user and a repeat answers 401. Recorded in the audit log (`conversation.erased`).",
      security,
      responses: {
        '204': empty('Erased (or nothing was left to erase).', { setCookie: true }),
        '401': refused,
        '403': originRefused,
        '429': tooMany(
          gateway
            ? 'erasures (per conversation and per address)'
            : 'erasures (3 a minute per visitor, 30 privacy requests a minute per address)',
        ),
        '502': error(['mattermost_error'], 'Mattermost refused a deletion (its own text only in `detail`, outside production).'),
        '503': error(
          ['erasure_unavailable', 'erasure_incomplete', 'mattermost_unavailable', ...unavailable],
          '`erasure_unavailable`: the companion cannot erase (the message says which Mattermost setting or token to change; nothing was deleted). `erasure_incomplete`: it stopped part-way; ask again.',
          { retryAfter: 'optional' },
        ),
      },
    },
  } satisfies Record<string, ZodOpenApiOperationObject>;
}

const healthOperations = {
  healthz: {
    operationId: 'health',
    summary: 'Liveness: the process answers',
    responses: { '200': json('Up.', healthBodySchema), '403': originRefused },
  },
  readyz: {
    operationId: 'readiness',
    summary: 'Readiness: whether this instance should get traffic',
    description:
      "`ready` and `degraded` (an outage every instance shares: Mattermost, Redis, seats) answer 200; `not_ready` (this instance's own fault: starting, draining, its bot socket) answers 503.",
    responses: {
      '200': json('Ready or degraded.', readinessReportSchema),
      '403': originRefused,
      '503': json('Not ready.', readinessReportSchema),
    },
  },
} satisfies Record<string, ZodOpenApiOperationObject>;

/** Loose on purpose: it describes itself; the JSON Schema of OpenAPI 3.1 is not restated here. */
const openApiDocumentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

const documentOperation: ZodOpenApiOperationObject = {
  operationId: 'openApiDocument',
  summary: 'This document',
  responses: {
    '200': json('The OpenAPI 3.1 document of this companion (its mode and configuration).', openApiDocumentSchema),
    '403': originRefused,
  },
};

const metricsOperation: ZodOpenApiOperationObject = {
  operationId: 'metrics',
  summary: 'Prometheus metrics',
  description:
    'Mounted only when `PORTHOLE_METRICS_TOKEN` is set (else 404). Not subject to CORS. See docs/companion.md for the catalogue.',
  security: [{ metricsToken: [] }],
  responses: {
    '200': {
      description: 'The Prometheus text exposition format.',
      headers: headers(),
      content: { 'text/plain': { schema: z.string() } },
    },
    '401': error(['unauthorized'], 'No bearer token, or not `PORTHOLE_METRICS_TOKEN`.', { wwwAuthenticate: true }),
  },
};

/** The `/v1/live` WebSocket, beside the HTTP paths (OpenAPI has no WebSocket operation). */
function liveExtension() {
  return {
    path: '/v1/live',
    description:
      'Gateway mode only. A WebSocket at `<serverUrl>/v1/live`; the upgrade must carry an allowed `Origin`. The first frame is `auth` with the Porthole token; the companion answers `ready`, then sends `posted`/`edited`/`deleted`/`typing` frames. Frames are JSON text. Send `auth` again with a refreshed token before `expiresAt`.',
    clientFrames: { $ref: '#/components/schemas/LiveClientFrame' },
    serverFrames: { $ref: '#/components/schemas/LiveServerFrame' },
    maxFrameBytes: LIVE_MAX_FRAME_BYTES,
    authTimeoutMs: LIVE_AUTH_TIMEOUT_MS,
    maxFramesPerMinute: LIVE_MAX_FRAMES_PER_MINUTE,
    closeCodes: LiveCloseCode,
  };
}

/**
 * The OpenAPI 3.1 document of a companion in `options.mode`: every HTTP route it serves, each
 * status it can answer (with the error codes), the bearer and cookie schemes, and — gateway mode —
 * the `/v1/live` frames under `components.schemas` and `x-porthole-live`.
 *
 * @example
 * ```ts
 * const doc = createOpenApiDocument({ mode: 'gateway', metrics: false });
 * Object.keys(doc.paths ?? {}); // ['/v1/session', '/v1/messages', …, '/openapi.json']
 * ```
 */
export function createOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const gateway = options.mode === 'gateway';
  const paths: Record<string, Partial<Record<'get' | 'post' | 'delete', ZodOpenApiOperationObject>>> = {
    '/v1/session': { post: sessionPost(options.mode), delete: sessionDelete(options.mode) },
    '/v1/session/cookie': { delete: forgetCookie },
  };
  if (gateway) {
    paths['/v1/messages'] = { get: visitorOperations.messagesGet, post: visitorOperations.messagesPost };
    paths['/v1/typing'] = { post: visitorOperations.typing };
    paths['/v1/conversation/page'] = { post: visitorOperations.page };
    paths['/v1/files'] = { post: fileOperations.upload };
    paths['/v1/files/{fileId}'] = { get: fileOperations.read };
    paths['/v1/agents'] = { get: visitorOperations.agents };
    paths['/v1/agents/{userId}/image'] = { get: agentOperations.image };
  }
  paths['/v1/availability'] = { get: agentOperations.availability(options.mode) };
  const privacy = privacyOperations(options.mode);
  paths['/v1/transcript'] = { get: privacy.transcript };
  paths['/v1/conversation'] = { delete: privacy.erase };
  paths['/healthz'] = { get: healthOperations.healthz };
  paths['/readyz'] = { get: healthOperations.readyz };
  paths[OPENAPI_PATH] = { get: documentOperation };
  if (options.metrics) paths['/metrics'] = { get: metricsOperation };

  const securitySchemes: Record<string, ZodOpenApiSecuritySchemeObject> = {
    ...SECURITY_SCHEMES[options.mode],
    visitorCookie: visitorCookieScheme,
    ...(options.metrics ? { metricsToken: metricsScheme } : {}),
  };

  return createDocument({
    openapi: '3.1.0',
    info: {
      title: `Porthole companion (${options.mode} mode)`,
      version: '1',
      description: gateway
        ? 'Gateway mode: visitors talk only to the companion, which acts in Mattermost through one bot. Every error is `{"error": {code, message, requestId}}`. Generated from the zod schemas the routes validate with; see docs/http-api.md.'
        : 'Direct mode: the companion mints each visitor a Mattermost user, channel and short-lived token; the widget then talks to Mattermost\'s own API. Every error is `{"error": {code, message, requestId}}`. Generated from the zod schemas the routes validate with; see docs/http-api.md.',
      license: { name: 'MIT' },
    },
    paths,
    components: {
      securitySchemes,
      ...(gateway ? { schemas: { LiveClientFrame: clientFrameSchema, LiveServerFrame: serverFrameSchema } } : {}),
    },
    ...(gateway ? { 'x-porthole-live': liveExtension() } : {}),
  });
}

/**
 * `GET /openapi.json` → the document, serialised once. Mount it behind the shell (request id, CORS
 * like the health routes, the error handler): `app.route('/', openApiRoute(doc))`.
 */
export function openApiRoute(document: OpenApiDocument): Hono {
  const body = JSON.stringify(document);
  const route = new Hono();
  route.get(OPENAPI_PATH, (c) => {
    c.header('Cache-Control', `public, max-age=${OPENAPI_MAX_AGE_S}`);
    c.header('Content-Type', 'application/json; charset=utf-8');
    return c.body(body, 200);
  });
  return route;
}
