import type { MemoryTransport } from '../transport/memory-transport.js';
import {
  PrivacyError,
  defaultTranscriptName,
  type PrivacyApi,
  type PrivacyApiFactory,
  type PrivacyErrorKind,
} from '../controllers/privacy-controller.js';

/** A privacy call of the in-memory API. */
export type MemoryPrivacyOp = 'transcript' | 'erase';

/**
 * The companion's privacy API in memory, over a {@link MemoryTransport}'s conversation, for unit
 * tests and Storybook: the transcript is built from the transport's posts in the companion's
 * format (`porthole-transcript/1`), erasing empties the conversation. Failures and in-flight
 * states are scripted with `failNext()` and `hold()`.
 *
 * @example
 * const privacy = new MemoryPrivacyApi(server);
 * configurePrivacyMenu({ api: privacy.factory });
 * privacy.failNext('erase', 'erasure_unavailable', 503);
 */
export class MemoryPrivacyApi implements PrivacyApi {
  /** Calls made, in order (`transcript`, `erase`), with the bearer token they carried. */
  readonly calls: Array<{ op: MemoryPrivacyOp; token: string }> = [];
  /** The conversation was erased. */
  erased = false;
  #server: MemoryTransport;
  #token = '';
  #failures: Array<{ op: MemoryPrivacyOp; kind: PrivacyErrorKind; status?: number }> = [];
  #hold?: Promise<void>;

  constructor(server: MemoryTransport) {
    this.#server = server;
  }

  /** A factory handing out this API for every session (remembering the session's token). */
  readonly factory: PrivacyApiFactory = (session) => {
    this.#token = session.token;
    return this;
  };

  /** The next call of `op` fails with `kind` (and `status`, as the companion would answer). */
  failNext(op: MemoryPrivacyOp, kind: PrivacyErrorKind = 'network', status?: number): void {
    this.#failures.push({ op, kind, status });
  }

  /** Calls wait until the returned function is called; an abort still ends them. */
  hold(): () => void {
    let release!: () => void;
    this.#hold = new Promise((r) => (release = r));
    return () => {
      this.#hold = undefined;
      release();
    };
  }

  async transcript(signal: AbortSignal): Promise<{ blob: Blob; filename: string }> {
    await this.#call('transcript', signal);
    const server = this.#server;
    const live = server.posts.filter((p) => !p.deleted);
    const names = await server.names([...new Set(live.map((p) => p.userId))]);
    const iso = (ms: number) => new Date(ms).toISOString();
    const body = {
      format: 'porthole-transcript/1',
      exportedAt: iso(Date.now()),
      conversation: { id: 'memory', createdAt: live.length ? iso(live[0].createAt) : null, visitorName: 'Visitor' },
      messages: live.map((p) => ({
        id: p.id,
        author: p.userId === server.userId ? 'visitor' : 'agent',
        authorName: p.userId === server.userId ? 'Visitor' : (names[p.userId] ?? p.userId),
        text: p.text,
        createdAt: iso(p.createAt),
        ...(p.edited ? { editedAt: iso(p.updateAt) } : {}),
        files: [],
      })),
    };
    return { blob: new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' }), filename: defaultTranscriptName() };
  }

  async erase(signal: AbortSignal): Promise<void> {
    await this.#call('erase', signal);
    this.#server.posts.length = 0;
    this.erased = true;
  }

  async #call(op: MemoryPrivacyOp, signal: AbortSignal): Promise<void> {
    this.calls.push({ op, token: this.#token });
    const hold = this.#hold;
    if (hold)
      await new Promise<void>((resolve, reject) => {
        const stop = () => reject(signal.reason);
        signal.addEventListener('abort', stop, { once: true });
        void hold.then(() => (signal.removeEventListener('abort', stop), resolve()));
      });
    signal.throwIfAborted();
    const i = this.#failures.findIndex((f) => f.op === op);
    if (i < 0) return;
    const [f] = this.#failures.splice(i, 1);
    throw new PrivacyError(f.kind, `memory ${op} failed (${f.kind})`, f.status);
  }
}
