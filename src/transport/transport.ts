/**
 * The widget's own view of a chat backend. Everything above `src/transport/` speaks only
 * these types; implementations validate wire data before it crosses this boundary.
 */

/** A file attached to a message (Mattermost's file info, as far as the widget needs it). */
export interface ChatFile {
  /** Mattermost file id. */
  id: string;
  /** File name as uploaded (untrusted text: render as text only). */
  name: string;
  /** Size in bytes. */
  size: number;
  /** MIME type as Mattermost recorded it. */
  type: string;
  /** Pixel size of an image, when Mattermost knows it (previews reserve this space). */
  width?: number;
  height?: number;
}

/**
 * Whether the team is around, and what the visitor should be told. `unreachable`: Mattermost
 * cannot be reached (gateway mode still accepts messages and forwards them once it is back).
 */
export interface Availability {
  state: 'online' | 'away' | 'offline' | 'closed' | 'unreachable';
  /** The site's expected-reply text (e.g. "We usually answer within an hour"). */
  expectedReply?: string;
  /** Fields of the pre-chat / offline form the site asks for (none: no form). */
  fields: Array<'name' | 'email'>;
  /** The site has configured answers by email too (say "and by email" only then, and only once an email was given). */
  emailReplies: boolean;
}

/** A message in the conversation, as the widget sees it. */
export interface ChatMessage {
  /** Server id of the post. */
  id: string;
  /** The id the sending widget gave the message before sending it, if any. */
  clientId?: string;
  /** Author's user id. */
  userId: string;
  /** Plain text as written. */
  text: string;
  /** Creation time, ms since epoch (server clock). */
  createAt: number;
  /** Last change (edit, delete), ms since epoch (server clock). */
  updateAt: number;
  /** The post was deleted. */
  deleted: boolean;
  /** The post was edited after it was sent. */
  edited: boolean;
  /** Files attached to the post (none: absent or empty). */
  files?: ChatFile[];
}

// Offline part (store and forward)
/** A send the companion accepted while Mattermost was down (`202 {queued}`): it arrives as a post, with the same client id, once Mattermost is back. */
export interface QueuedSend {
  queued: { clientId: string; createAt: number };
}

/** What the visitor typed in the contact form; it travels with their next message (agents see it in the thread). */
export interface ContactDetails {
  name?: string;
  email?: string;
}

/** Whether a send was queued rather than posted. */
export const isQueued = (r: ChatMessage | QueuedSend): r is QueuedSend => 'queued' in r;

/** A page of history, oldest first. */
export interface ChatPage {
  messages: ChatMessage[];
  /** Older messages exist before the first one of this page. */
  hasMore: boolean;
}

/** State of the live connection. */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** Something the live connection reported. */
export type TransportEvent =
  | { type: 'posted' | 'edited' | 'deleted'; message: ChatMessage }
  | { type: 'typing'; userId: string }
  | { type: 'status'; status: ConnectionState }
  /**
   * The server refused the token on the live connection (`reason`: what it said). Nothing arrives
   * live until a new one is handed over with `setToken()`: the session controller renews the
   * session, as for a TransportError `auth`.
   */
  | { type: 'refused'; reason: string };

/**
 * How the widget reaches the conversation: `direct` talks to Mattermost with the visitor's own
 * token; `gateway` talks to the companion, which relays to Mattermost.
 */
export type SessionMode = 'direct' | 'gateway';

/** What the companion endpoint (or the host's `getToken()`) hands the widget. */
export interface Session {
  /** Which transport serves this session (`direct` when the response names none). */
  mode: SessionMode;
  serverUrl: string;
  token: string;
  /** Expiry, ms since epoch. */
  expiresAt: number;
  userId: string;
  channelId: string;
  /**
   * What the companion lets visitors upload (files): at most `maxBytes` per file, of `types`
   * (MIME types or `type/*`). Absent (an older companion): the widget offers no attachments.
   */
  uploads?: { maxBytes: number; types: string[] };
}

/**
 * Why a transport call failed. `network`, `unavailable` and `rate_limited` are worth retrying;
 * `rate_limited` (HTTP 429) is the server pacing this visitor, not an outage: try again after
 * the error's `retryAfter`, and do not count it against the service's health.
 */
export type TransportErrorKind = 'network' | 'unavailable' | 'rate_limited' | 'auth' | 'rejected' | 'invalid';

/** A failed transport call, classified. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly status?: number,
    /** How long the server asked to wait before trying again, ms (its `Retry-After`), if it said. */
    readonly retryAfter?: number,
    /** The companion's error code, when it sent one (`mattermost_unavailable`: the companion answers, Mattermost does not). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** True when trying the same call later may succeed. */
export const isRetryable = (e: unknown): boolean =>
  !(e instanceof TransportError) || e.kind === 'network' || e.kind === 'unavailable' || e.kind === 'rate_limited';

/**
 * A `Retry-After` header as milliseconds from `now`: delta-seconds (what the companion sends)
 * or an HTTP date; undefined when absent or unreadable, 0 for a date in the past.
 */
export function parseRetryAfter(v: string | null | undefined, now: number): number | undefined {
  if (!v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/**
 * A chat backend bound to one session (one visitor, one conversation channel). Every method
 * that does async work takes an optional `signal` last: once it aborts, the call rejects with
 * an AbortError (the signal's reason) and its result is never delivered.
 */
export interface Transport {
  /** Open the live connection. Status changes arrive as `status` events. */
  connect(): void;
  /** Close the live connection for good and drop listeners' socket. */
  disconnect(): void;
  /** Use a refreshed token for the next requests and the next socket authentication. */
  setToken(token: string): void;
  /** The newest `perPage` messages. */
  latest(perPage: number, signal?: AbortSignal): Promise<ChatPage>;
  /**
   * `perPage` messages older than `oldest`, plus any message created in the same millisecond as
   * `oldest` that an earlier page cut off.
   */
  before(oldest: Pick<ChatMessage, 'id' | 'createAt'>, perPage: number, signal?: AbortSignal): Promise<ChatPage>;
  /** Every message created, edited or deleted after `since` (ms, server clock). */
  since(since: number, signal?: AbortSignal): Promise<ChatMessage[]>;
  /**
   * Post a message. `clientId` makes repeats of the same send idempotent. Gateway mode answers
   * {@link QueuedSend} while Mattermost is down: the companion stored it and posts it once it is back.
   */
  send(
    message: { clientId: string; text: string; fileIds?: string[]; contact?: ContactDetails },
    signal?: AbortSignal,
  ): Promise<ChatMessage | QueuedSend>;
  /** Tell the other side the visitor is typing. Best effort. */
  typing(): void;
  /** Display names by user id. */
  names(userIds: string[], signal?: AbortSignal): Promise<Record<string, string>>;
  /** Listen to live events. Returns the unsubscribe function. */
  subscribe(listener: (event: TransportEvent) => void): () => void;
  // Files
  /**
   * Uploads `file` into the conversation (not yet attached: `send` it with its id), reporting
   * the bytes sent. A 413/415 refusal is a TransportError `rejected` whose message holds the
   * server's code (`file_too_large`, `file_type_not_allowed`).
   */
  upload(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<ChatFile>;
  /** The bytes of a file of the conversation, fetched with the visitor's credential. */
  file(fileId: string, signal?: AbortSignal): Promise<Blob>;
  // Agents and availability
  /**
   * An agent's profile image (Mattermost's), fetched with the visitor's credential; undefined when
   * there is none to show (not an agent of this conversation: 404). A transport without it shows initials.
   */
  avatar?(userId: string, signal?: AbortSignal): Promise<Blob | undefined>;
  /** Whether the team is around (`GET /v1/availability`). A transport without it shows no availability line. */
  availability?(signal?: AbortSignal): Promise<Availability>;
  /**
   * SPA life cycle: tells the team the page the visitor is on (`report-pages`; gateway mode's
   * `POST /v1/conversation/page`). A transport without it (direct mode) reports nothing.
   */
  reportPage?(page: { url: string; title?: string }, signal?: AbortSignal): Promise<void>;
}

/** Builds the transport for a session, at once or once its code has loaded. */
export type TransportFactory = (session: Session) => Transport | Promise<Transport>;
