// The wire protocol of gateway mode, shared by the companion and the widget's gateway transport
// (src/protocol/ is the one folder both may import; test/package/boundaries.test.ts checks it):
// the message shape of the visitor API, every frame of the `/v1/live` WebSocket, and its close
// codes. Browser-safe: it imports only `zod/mini` (≈4 KB in the widget; classic zod is ≈20 KB).
import * as z from 'zod/mini';

/** Largest frame the companion accepts on `/v1/live`, in bytes; a bigger one closes with 1009. */
export const LIVE_MAX_FRAME_BYTES = 4096;

/** How long a new `/v1/live` socket may take to send its `auth` frame, in ms (then 4408). */
export const LIVE_AUTH_TIMEOUT_MS = 10_000;

/** Frames a socket may send per minute (pings and re-auths included); past it, 4429. */
export const LIVE_MAX_FRAMES_PER_MINUTE = 120;

export { MAX_MESSAGE_RUNES } from './limits.js';

/**
 * Close codes of `/v1/live`. Codes 4xxx mirror the HTTP status they correspond to. A bad frame
 * closes only the socket that sent it.
 */
export const LiveCloseCode = {
  /** The visitor logged out or the client closed normally. */
  normal: 1000,
  /** A frame was larger than {@link LIVE_MAX_FRAME_BYTES}. */
  tooBig: 1009,
  /** An unexpected failure in the companion; reconnect with backoff. */
  internalError: 1011,
  /** The companion is restarting or shutting down; reconnect with backoff. */
  restarting: 1012,
  /** A frame was not JSON, not text, or not a valid frame (see the close reason). */
  invalidFrame: 4400,
  /**
   * The token was refused (malformed, forged, expired, revoked) or expired on an open socket; the
   * close reason is the error code (`token_expired`, …). Get a new session, then reconnect.
   */
  unauthorized: 4401,
  /** A re-authentication carried a token for another conversation. */
  wrongConversation: 4403,
  /** No `auth` frame within {@link LIVE_AUTH_TIMEOUT_MS}. */
  authTimeout: 4408,
  /** More than {@link LIVE_MAX_FRAMES_PER_MINUTE} frames in a minute. */
  tooManyFrames: 4429,
} as const;

/** A file attached to a message (`POST /v1/files` answers with one; messages carry them). */
export const wireFileSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  type: z.string(),
  width: z.optional(z.number()),
  height: z.optional(z.number()),
});
export type WireFile = z.infer<typeof wireFileSchema>;

/** One message of the conversation, oldest first in lists (same fields as the widget's ChatMessage). */
export const wireMessageSchema = z.object({
  /** Mattermost post id. */
  id: z.string(),
  /** The client id the widget gave the message when sending it (visitor messages only). */
  clientId: z.optional(z.string()),
  /** The visitor's opaque id for their own messages; the agent's Mattermost user id otherwise. */
  userId: z.string(),
  /** Text as written (empty once deleted). */
  text: z.string(),
  /** Creation time, ms since the epoch (Mattermost's clock). */
  createAt: z.number(),
  /** Last change (edit or delete), ms since the epoch. */
  updateAt: z.number(),
  deleted: z.boolean(),
  edited: z.boolean(),
  /** Files attached to the post (absent: none). */
  files: z.optional(z.array(wireFileSchema)),
});

/** A message as sent by the visitor API and `/v1/live`. */
export type WireMessage = z.infer<typeof wireMessageSchema>;

// ---- frames the widget sends ----

/** First frame of every socket, and later to present a refreshed token (same conversation). */
export const authFrameSchema = z.object({
  type: z.literal('auth'),
  token: z.string().check(z.minLength(1), z.maxLength(LIVE_MAX_FRAME_BYTES)),
});
/** Keep-alive; answered with `pong`. */
export const pingFrameSchema = z.object({ type: z.literal('ping') });
/** Every frame the widget may send. */
export const clientFrameSchema = z.discriminatedUnion('type', [authFrameSchema, pingFrameSchema]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

// ---- frames the companion sends ----

/** The socket is authenticated (also the answer to a re-authentication). */
export const readyFrameSchema = z.object({
  type: z.literal('ready'),
  /** The visitor's opaque id (as in the session response). */
  userId: z.string(),
  /** When the presented token expires (ms); re-authenticate before. */
  expiresAt: z.number(),
});
export const pongFrameSchema = z.object({ type: z.literal('pong') });
/** A message was posted, edited or deleted in the conversation. */
export const messageFrameSchema = z.object({ type: z.enum(['posted', 'edited', 'deleted']), message: wireMessageSchema });
/** Someone else (an agent) is typing in the conversation. */
export const typingFrameSchema = z.object({ type: z.literal('typing'), userId: z.string() });
/** Every frame the companion may send. */
export const serverFrameSchema = z.union([readyFrameSchema, pongFrameSchema, messageFrameSchema, typingFrameSchema]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

// ---- REST responses of the visitor API ----

/** What the companion lets visitors upload, in the session response of both modes (files). */
export const uploadLimitsSchema = z.object({
  /** Largest file, in bytes. */
  maxBytes: z.number(),
  /** Allowed MIME types: exact (`image/png`) or a whole type (`image/*`). */
  types: z.array(z.string()),
});

/** `POST /v1/session` in gateway mode. */
export const gatewaySessionSchema = z.object({
  mode: z.literal('gateway'),
  /** The companion's base URL: REST at `<serverUrl>/v1/…`, the socket at `<serverUrl>/v1/live`. */
  serverUrl: z.string(),
  /** The Porthole token: send as `Authorization: Bearer …` and in the socket's `auth` frame. */
  token: z.string(),
  expiresAt: z.number(),
  /** The visitor's opaque id, stable for the visitor: their own messages carry it. */
  userId: z.string(),
  /** The conversation's opaque id, stable for the visitor. */
  channelId: z.string(),
  /** Files: what `POST /v1/files` accepts (absent from an older companion: no uploads). */
  uploads: z.optional(uploadLimitsSchema),
});
export type GatewaySession = z.infer<typeof gatewaySessionSchema>;

/** `GET /v1/messages`: oldest first; `hasMore` says older (or, with `since`, more recent) pages exist. */
export const messagesResponseSchema = z.object({ messages: z.array(wireMessageSchema), hasMore: z.boolean() });
export type MessagesResponse = z.infer<typeof messagesResponseSchema>;

/** `POST /v1/messages`. */
export const sendResponseSchema = z.object({ message: wireMessageSchema });

/** `GET /v1/agents`: the agents who posted in this conversation. */
// Offline part (store and forward).
/** `POST /v1/messages` → 202 while Mattermost is unreachable: the message is stored and will be posted once it is back. */
export const queuedResponseSchema = z.object({
  queued: z.object({
    /** The client id of the queued message. */
    clientId: z.string(),
    /** When the companion accepted it (ms). */
    createAt: z.number(),
  }),
});
export type QueuedResponse = z.infer<typeof queuedResponseSchema>;
/** What `POST /v1/messages` answers: the message (200/201) or, while Mattermost is down, `{queued}` (202). */
export const sendAnswerSchema = z.union([sendResponseSchema, queuedResponseSchema]);

export const agentsResponseSchema = z.object({ agents: z.array(z.object({ userId: z.string(), name: z.string() })) });
export type AgentsResponse = z.infer<typeof agentsResponseSchema>;

// Agents and availability
/** `GET /v1/availability` (both modes): the widget's `Availability`. */
export const availabilityResponseSchema = z.object({
  state: z.enum(['online', 'away', 'offline', 'closed', 'unreachable']),
  // 200 characters as the companion counts them: zod's maxLength counts code points (zod 4.6.7 as pinned; colinhacks/zod#6441).
  expectedReply: z.optional(z.string().check(z.maxLength(200))),
  fields: z.array(z.enum(['name', 'email'])),
  emailReplies: z.boolean(),
});
export type AvailabilityResponse = z.infer<typeof availabilityResponseSchema>;
