// The transcript a visitor downloads (`GET /v1/transcript`) and an operator exports
// (`porthole-server export`), the same in both modes: GDPR Art. 15 and 20 (access, portability).
// Shared by the companion and the widget; browser-safe, so it imports only `zod/mini`.
import * as z from 'zod/mini';

/** The `format` of every transcript this version writes. A change of shape gets a new number. */
export const TRANSCRIPT_FORMAT = 'porthole-transcript/1';

/** An ISO 8601 time in UTC, as `Date.prototype.toISOString` writes it. */
const isoTime = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be an ISO 8601 UTC time (toISOString)'));

/** A file attached to a message: its metadata only (the content stays in Mattermost). */
export const transcriptFileSchema = z.object({
  /** The file name as uploaded. */
  name: z.string(),
  /** Size in bytes. */
  size: z.number().check(z.int(), z.nonnegative()),
  /** MIME type as Mattermost recorded it (may be empty). */
  mimeType: z.string(),
});

/** One message of a transcript. */
export const transcriptMessageSchema = z.object({
  /** The message's id (a Mattermost post id). */
  id: z.string(),
  /** Who wrote it: the visitor, or an agent of the support team. */
  author: z.enum(['visitor', 'agent']),
  /** The name shown for the author in the widget. */
  authorName: z.string(),
  /** The text as it reads now (after edits). */
  text: z.string(),
  createdAt: isoTime,
  /** When it was last edited, if it was. */
  editedAt: z.optional(isoTime),
  files: z.array(transcriptFileSchema),
  /** Offline part: `true` for a message the companion accepted while Mattermost was down and has not posted yet (its id is `queued:<clientId>`). */
  queued: z.optional(z.boolean()),
});

/**
 * A conversation's transcript: `GET /v1/transcript` (both modes), `porthole-server export`.
 * Messages are oldest first; a visitor who has not written yet gets `messages: []`.
 *
 * @example
 * ```ts
 * const transcript = transcriptSchema.parse(await (await fetch(`${url}/v1/transcript`, { headers })).json());
 * ```
 */
export const transcriptSchema = z.object({
  format: z.literal(TRANSCRIPT_FORMAT),
  /** When the transcript was made. */
  exportedAt: isoTime,
  conversation: z.object({
    /** The conversation's id: the session's `channelId` (gateway), the visitor's channel id (direct). */
    id: z.string(),
    /** When the conversation started; `null` before the first message. */
    createdAt: z.nullable(isoTime),
    /** The visitor's name as the conversation shows it. */
    visitorName: z.string(),
  }),
  messages: z.array(transcriptMessageSchema),
});

/** A transcript (see {@link transcriptSchema}). */
export type Transcript = z.infer<typeof transcriptSchema>;
/** One message of a {@link Transcript}. */
export type TranscriptMessage = z.infer<typeof transcriptMessageSchema>;
/** A file's metadata in a {@link TranscriptMessage}. */
export type TranscriptFile = z.infer<typeof transcriptFileSchema>;

/** The download's file name for a transcript made at `at`: `porthole-transcript-<YYYY-MM-DD>.json` (UTC date). */
export function transcriptFileName(at: Date): string {
  return `porthole-transcript-${at.toISOString().slice(0, 10)}.json`;
}
