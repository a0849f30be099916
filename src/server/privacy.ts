// What export and erasure mean in both modes: the service each mode implements, the report of an
// erasure, its audit lines, and how Mattermost's refusals of permanent deletion become a 503 that
// says what to change (docs/companion.md, "Export and erasure").
import type { AuditLog } from './audit-log.js';
import { HttpError } from './errors.js';
import { MattermostError } from './mattermost-admin.js';
import type { Transcript } from '../protocol/transcript.js';

/** Who asked for an export or an erasure: `visitor:<id>`, `operator:cli` or `system:retention`. */
export interface PrivacyActor {
  /** The audit actor. */
  actor: string;
  /** The request id, when it came through HTTP. */
  requestId?: string;
}

/** What an erasure removed. */
export interface ErasureReport {
  /** The conversation (gateway) or the visitor's channel id (direct). */
  conversationId: string;
  /** False when there was nothing to erase (never started, or erased before): still a success. */
  found: boolean;
  /** Posts deleted for good (replies, the root or inbox notice, the channel's posts). */
  posts: number;
  /** Files among them. */
  files: number;
  /** Direct mode: whether the visitor's Mattermost user and channel were deleted. */
  user?: boolean;
  channel?: boolean;
}

/**
 * Export and erasure of one mode. `ref` is what an operator types: a conversation id (direct mode:
 * the visitor's channel id) or `sub:<identified visitor's sub>`.
 */
export interface PrivacyService {
  /** The transcript of `ref`; throws a 404 `conversation_not_found` when nothing is known of it. */
  exportConversation(ref: string, by: PrivacyActor): Promise<Transcript>;
  /** Erases `ref` for good (idempotent: nothing to erase is a success with `found: false`). */
  eraseConversation(ref: string, by: PrivacyActor): Promise<ErasureReport>;
}

/** Posts read per page of a thread or channel (Mattermost's maximum, web.PerPageMaximum). */
export const PAGE = 200;
/** At most this many pages (40,000 posts) are read for one conversation. */
export const MAX_PAGES = 200;

/** Waits `ms` (the default pause between retries; tests pass a fast one). */
export const defaultSleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The 503 for an erasure the companion cannot do, with what to change. */
export function erasureUnavailable(what: string): HttpError {
  return new HttpError(503, 'erasure_unavailable', `The conversation cannot be erased: ${what} Nothing was deleted.`);
}

/**
 * The 503 while another erasure of the conversation is under way (gateway: sends and new threads
 * are refused until it ends; it ends the conversation, so the widget then needs a new session).
 */
export function erasureInProgress(): HttpError {
  return new HttpError(
    503,
    'erasure_in_progress',
    'This conversation is being erased; nothing can be posted to it meanwhile. Try again in a moment (with a new session once it is erased).',
    { headers: { 'Retry-After': '5' } },
  );
}

/** The 503 for an erasure that stopped part-way: it is safe (and needed) to ask again. */
export function erasureIncomplete(what: string, cause?: unknown): HttpError {
  return new HttpError(
    503,
    'erasure_incomplete',
    `The erasure stopped part-way (${what}). What was erased stays erased; ask again to finish it.`,
    { headers: { 'Retry-After': '5' }, detail: cause instanceof Error ? cause.message : undefined, cause },
  );
}

/**
 * Mattermost's refusals that no retry fixes, as {@link erasureUnavailable}; `undefined` for the
 * others. api4/post.go deletePost answers 501 without ServiceSettings.EnableAPIPostDeletion and 403
 * without manage_system; api4/channel.go deleteChannel and api4/user.go deleteUser answer 401
 * `….not_enabled…` without EnableAPIChannelDeletion / EnableAPIUserDeletion.
 */
export function deletionRefusal(e: unknown, what: 'post' | 'channel' | 'user'): HttpError | undefined {
  if (!(e instanceof MattermostError)) return undefined;
  const setting = { post: 'EnableAPIPostDeletion', channel: 'EnableAPIChannelDeletion', user: 'EnableAPIUserDeletion' }[what];
  if (e.status === 501 || (e.status === 401 && /not_enabled/.test(e.mmId ?? '')))
    return erasureUnavailable(
      `Mattermost refuses to delete a ${what} permanently; turn on ServiceSettings.${setting} (System Console > Experimental > Features, or config.json).`,
    );
  if (e.status === 403)
    return erasureUnavailable(
      `Mattermost refuses to delete a ${what} permanently with PORTHOLE_MM_TOKEN; it must be a system admin's token (manage_system).`,
    );
  return undefined;
}

/** Whether a failed Mattermost call may succeed when tried again (it is down, or answered 5xx or 429). */
export function transient(e: unknown): boolean {
  return e instanceof MattermostError && (e.status === 0 || e.status === 429 || e.status >= 500) && e.status !== 501;
}

/** Calls `fn`, trying again up to `attempts` times while it fails {@link transient}ly. */
export async function withRetries<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !transient(e)) throw e;
      await sleep(250 * attempt);
    }
  }
}

/** The code an audit line gives a failure: the HTTP error's code, else `internal`. */
function reasonOf(e: unknown): string {
  if (e instanceof HttpError) return e.code;
  if (e instanceof MattermostError) return `mattermost_${e.status}`;
  return 'internal';
}

/** Records `conversation.exported` (ok) with the message and file counts. */
export function auditExport(audit: AuditLog, by: PrivacyActor, subject: string, transcript: Transcript, mode: string): void {
  audit.record({
    action: 'conversation.exported',
    actor: by.actor,
    subject,
    requestId: by.requestId,
    outcome: 'ok',
    detail: { mode, messages: transcript.messages.length, files: transcript.messages.reduce((n, m) => n + m.files.length, 0) },
  });
}

/** Records `conversation.erased`: ok with the counts, or failed with the reason (and rethrows). */
export async function auditedErasure(
  audit: AuditLog,
  by: PrivacyActor,
  subject: () => string,
  mode: string,
  erase: () => Promise<ErasureReport>,
): Promise<ErasureReport> {
  try {
    const report = await erase();
    const detail: Record<string, string | number | boolean> = { mode, found: report.found, posts: report.posts, files: report.files };
    if (report.user !== undefined) detail.user = report.user;
    if (report.channel !== undefined) detail.channel = report.channel;
    audit.record({
      action: 'conversation.erased',
      actor: by.actor,
      // Direct mode: the channel may be gone already (a repeat); then the user id or handle.
      subject: report.conversationId || subject(),
      requestId: by.requestId,
      outcome: 'ok',
      detail,
    });
    return report;
  } catch (e) {
    audit.record({
      action: 'conversation.erased',
      actor: by.actor,
      subject: subject(),
      requestId: by.requestId,
      outcome: 'failed',
      detail: { mode, reason: reasonOf(e) },
    });
    throw e;
  }
}

/** A time in ms as the transcript writes it. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** What a `<visitor>` argument names. */
export type VisitorRef = { kind: 'id'; id: string } | { kind: 'sub'; sub: string };

/**
 * Parses a `<visitor>` argument: `sub:<sub>` (an identified visitor) or a 26-character id.
 *
 * @throws {TypeError} saying what was expected and what was received.
 */
export function parseVisitorRef(ref: string): VisitorRef {
  if (ref.startsWith('sub:')) {
    const sub = ref.slice(4);
    if (sub === '' || sub.length > 256)
      throw new TypeError(`Expected "sub:<the identity's sub>" with a sub of 1 to 256 characters; received ${sub.length} characters.`);
    return { kind: 'sub', sub };
  }
  if (!/^[a-z0-9]{26}$/.test(ref))
    throw new TypeError(
      `Expected a conversation id (26 lowercase letters and digits; direct mode: the visitor's channel id) or "sub:<sub>"; received ${JSON.stringify(ref.slice(0, 40))}.`,
    );
  return { kind: 'id', id: ref };
}

/** The 404 for a `<visitor>` nothing is known of. */
export function conversationNotFound(ref: string): HttpError {
  return new HttpError(404, 'conversation_not_found', `No conversation is known for ${JSON.stringify(ref.slice(0, 80))}.`);
}
