import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isAbortError } from '../transport/abort.js';
import { isRetryable, TransportError, type ChatFile, type Session, type Transport } from '../transport/transport.js';

/** Most files one message carries (Mattermost's `file_ids` limit: PostFileidsMaxRunes fits 10 ids). */
export const MAX_FILES = 10;

/** What the companion accepts: the session's `uploads`. */
export type UploadLimits = NonNullable<Session['uploads']>;

/**
 * Why an attachment cannot go. Checked before any byte is sent: `too_large`, `type`, `empty`
 * (Mattermost refuses a 0-byte body), `too_many` (over {@link MAX_FILES}). From the server:
 * `network`, `unavailable`, `rate_limited` (retryable), `auth`, `refused` (413/415 and other
 * refusals), `invalid`.
 */
export type UploadFailure =
  'too_large' | 'type' | 'empty' | 'too_many' | 'network' | 'unavailable' | 'rate_limited' | 'auth' | 'refused' | 'invalid';

/** One file the visitor attached to the message being written. */
export interface Attachment {
  /** Local id of this attachment (stable while it is listed). */
  readonly key: number;
  readonly file: File;
  /** `uploading` (see `sent`), `done` (see `uploaded`) or `failed` (see `failure`). */
  readonly state: 'uploading' | 'done' | 'failed';
  /** Bytes sent so far. */
  readonly sent: number;
  /** The server's file once uploaded. */
  readonly uploaded?: ChatFile;
  readonly failure?: UploadFailure;
  /** Trying again may help (network trouble, the server down or pacing uploads): offer Retry. */
  readonly retryable: boolean;
  /** The error's own words (for logs and events; the UI words the `failure`). */
  readonly error?: string;
}

export interface UploadOptions {
  /** The current session's transport (undefined before it is built). */
  transport: () => Transport | undefined;
  /** The current session's `uploads` (undefined: the companion accepts no uploads). */
  limits: () => UploadLimits | undefined;
  /** An upload failed (also for early refusals, with no error). */
  onError?: (attachment: Attachment) => void;
}

/** True when `type` is allowed by `types` (exact MIME types or `major/*`), case-insensitively. */
export function typeAllowed(type: string, types: readonly string[]): boolean {
  const t = type.toLowerCase().split(';')[0].trim();
  if (!t) return false;
  return types.some((a) => {
    const allowed = a.toLowerCase().trim();
    return allowed === t || (allowed.endsWith('/*') && t.startsWith(allowed.slice(0, -1)));
  });
}

/** The early check of one file: why it cannot go, or undefined. */
export function checkFile(file: File, limits: UploadLimits): UploadFailure | undefined {
  if (!typeAllowed(file.type, limits.types)) return 'type';
  if (file.size > limits.maxBytes) return 'too_large';
  if (file.size === 0) return 'empty';
  return undefined;
}

const failureOf = (e: unknown): UploadFailure => {
  if (!(e instanceof TransportError)) return 'network';
  return e.kind === 'rejected' ? 'refused' : e.kind;
};

let keys = 0;

/**
 * The files attached to the message being written: checks each against the session's `uploads`
 * before a byte is sent, uploads the rest at once (each with its own AbortController, reporting
 * progress), and hands their server ids to the outbox when the message goes (`take()`). A failed
 * upload is kept with its reason; `retry()` only where it can help. Cancelling, removing, `clear()`
 * and the host going away abort the uploads concerned, and their late results are dropped. Never
 * renders: the host reads `items` and updates when asked.
 *
 * @example
 * const uploads = new UploadController(panel, { transport: () => session.transport, limits: () => session.current?.uploads });
 * uploads.add(input.files);
 * // later, on send:
 * const files = uploads.take(); // undefined while some are not uploaded
 * if (files) outbox.enqueue(text, files);
 */
export class UploadController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: UploadOptions;
  #items: Attachment[] = [];
  #runs = new Map<number, AbortController>();

  constructor(host: ReactiveControllerHost, options: UploadOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** The attachments, in the order they were added. */
  get items(): readonly Attachment[] {
    return this.#items;
  }

  /** Some upload is still running. */
  get busy(): boolean {
    return this.#items.some((a) => a.state === 'uploading');
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // Nothing survives the panel: uploads in flight are aborted, the list forgotten.
    this.clear();
  }

  /**
   * Attaches `files`: each is checked first (type, size, emptiness, at most {@link MAX_FILES} per
   * message) and refused with its reason, or uploaded at once.
   */
  add(files: Iterable<File>): void {
    const limits = this.#options.limits();
    for (const file of files) {
      const key = ++keys;
      const failure = !limits
        ? 'refused'
        : this.#items.filter((a) => a.state !== 'failed' || a.retryable).length >= MAX_FILES
          ? 'too_many'
          : checkFile(file, limits);
      this.#items = [...this.#items, { key, file, state: failure ? 'failed' : 'uploading', sent: 0, failure, retryable: false }];
      if (failure) this.#options.onError?.(this.#items.at(-1)!);
      else void this.#upload(key);
    }
    this.#host.requestUpdate();
  }

  /** Stops an upload in flight (or drops a finished or failed attachment). */
  cancel(key: number): void {
    this.remove(key);
  }

  /** Drops an attachment, aborting its upload if it is still running. */
  remove(key: number): void {
    this.#runs.get(key)?.abort();
    this.#runs.delete(key);
    this.#items = this.#items.filter((a) => a.key !== key);
    this.#host.requestUpdate();
  }

  /** Uploads a failed attachment again, when that can help (`retryable`). */
  retry(key: number): void {
    const item = this.#items.find((a) => a.key === key);
    if (!item || item.state !== 'failed' || !item.retryable) return;
    this.#patch(key, { state: 'uploading', sent: 0, failure: undefined, retryable: false, error: undefined });
    void this.#upload(key);
  }

  /**
   * The uploaded files for the message being sent, and the list emptied; undefined (and nothing
   * changed) while an upload runs or one has failed: those need the visitor first.
   */
  take(): ChatFile[] | undefined {
    if (this.#items.some((a) => a.state !== 'done')) return undefined;
    const files = this.#items.map((a) => a.uploaded!);
    this.#items = [];
    this.#host.requestUpdate();
    return files;
  }

  /** Aborts every upload and forgets every attachment. */
  clear(): void {
    for (const run of this.#runs.values()) run.abort();
    this.#runs.clear();
    this.#items = [];
    this.#host.requestUpdate();
  }

  async #upload(key: number): Promise<void> {
    const item = this.#items.find((a) => a.key === key)!;
    this.#runs.get(key)?.abort();
    const run = new AbortController();
    this.#runs.set(key, run);
    const { signal } = run;
    try {
      const transport = this.#options.transport();
      if (!transport) throw new TransportError('unavailable', 'the chat is not connected yet');
      // The companion refuses names with path separators or control characters (a pasted or
      // generated file may have them): those characters become `_`.
      const safe = item.file.name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 255) || 'file';
      const file = safe === item.file.name ? item.file : new File([item.file], safe, { type: item.file.type });
      const uploaded = await transport.upload(file, (sent) => !signal.aborted && this.#patch(key, { sent }), signal);
      if (signal.aborted) return;
      this.#patch(key, { state: 'done', uploaded, sent: item.file.size });
    } catch (e) {
      if (signal.aborted || isAbortError(e)) return;
      this.#patch(key, { state: 'failed', failure: failureOf(e), retryable: isRetryable(e), error: (e as Error)?.message ?? String(e) });
      const failed = this.#items.find((a) => a.key === key);
      if (failed) this.#options.onError?.(failed);
    } finally {
      if (this.#runs.get(key) === run) this.#runs.delete(key);
    }
  }

  #patch(key: number, patch: Partial<Attachment>): void {
    this.#items = this.#items.map((a) => (a.key === key ? { ...a, ...patch } : a));
    this.#host.requestUpdate();
  }
}
