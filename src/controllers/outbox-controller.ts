import type { ReactiveController, ReactiveControllerHost } from 'lit';
import * as z from 'zod/mini';
import { isQueued, isRetryable, TransportError, type ChatMessage, type ContactDetails, type Transport } from '../transport/transport.js';
import { backoff, systemClock, type Clock } from './clock.js';

/** A message the visitor wrote that the server has not confirmed yet. */
export interface OutboxItem {
  /** Given before the first send; the server sees it as `pending_post_id` and `props.porthole_client_id`. */
  clientId: string;
  text: string;
  createdAt: number;
  /**
   * `sending` is retried by itself (network trouble, a rate limit, a refused token); `failed`
   * (refused) waits for the visitor's retry. `queued`: the companion stored it while Mattermost is
   * down (store and forward); it stays shown until the post with its client id arrives
   * ({@link OutboxController.settle}) and is not sent again, but once after a reload: it stays
   * `queued` (shown as saved) and is posted again at once, without looking for it among the
   * recent posts first (the companion answers 202 again, or the post once forwarded).
   */
  state: 'sending' | 'failed' | 'queued';
  /**
   * Why a `failed` item was refused: `too_long` (over Mattermost's length as posted), `refused`
   * (the server will not take it as it is), `invalid` (the answer was not understood: a retry
   * may help). Only `invalid` offers a retry; every failed item can be edited or removed.
   */
  failure?: OutboxFailure;
  /** When the first send was attempted (client clock). */
  triedAt?: number;
  /** Files (uploaded already) that go with the message, and their names to show while it is pending. */
  fileIds?: string[];
  fileNames?: string[];
  /** The contact form's fields, sent with this message (offline part). */
  contact?: ContactDetails;
}

/** Why a message was refused; see {@link OutboxItem.failure}. */
export type OutboxFailure = 'too_long' | 'refused' | 'invalid';

/** A change a follower tab hands the leader tab's outbox (several tabs: {@link OutboxController.follow}). */
export type OutboxOp = { add: OutboxItem } | { retry: string } | { remove: string };

/** The failure of a refused send, from its error. */
export const failureOf = (e: unknown): OutboxFailure =>
  e instanceof TransportError && e.kind === 'invalid'
    ? 'invalid'
    : e instanceof TransportError && e.status === 413
      ? 'too_long'
      : 'refused';

const storedItem = z.object({
  clientId: z.string(),
  text: z.string(),
  createdAt: z.number(),
  // A queued item stays queued and is sent once more after a reload (see OutboxController.#resend).
  state: z.enum(['sending', 'failed', 'queued']),
  failure: z.optional(z.enum(['too_long', 'refused', 'invalid'])),
  triedAt: z.optional(z.number()),
  fileIds: z.optional(z.array(z.string())),
  fileNames: z.optional(z.array(z.string())),
  contact: z.optional(z.object({ name: z.optional(z.string()), email: z.optional(z.string()) })),
});
const stored = z.array(storedItem);

export interface OutboxOptions {
  clock?: Clock;
  /** Storage for the queue (default localStorage; null keeps it in memory). */
  storage?: Storage | null;
  /**
   * The server confirmed a message. `mine`: this tab wrote it (several tabs: the leader's outbox
   * sends for the others, and each reports its own; false for the one to merge only).
   */
  onSent?: (m: ChatMessage, mine: boolean) => void;
  /** A send failed: the item stays queued (retryable errors, `rate_limited` included) or becomes `failed`. */
  onError?: (e: unknown, item: OutboxItem) => void;
}

/** How long Mattermost de-duplicates `pending_post_id` (30 s), minus a margin. */
const DEDUPE_WINDOW = 25000;
/** How many recent posts are searched for a client id before a late resend. */
const RECENT = 100;

/**
 * The visitor's unsent messages. Every message gets a client id (crypto.randomUUID) before it
 * is sent. The queue is persisted in localStorage under the visitor's Mattermost user id — but
 * only once `persist` is set (after the visitor opened the chat) — so a reload or a crash loses
 * nothing. Resends are idempotent: within Mattermost's ~30 s `pending_post_id` window the
 * server de-duplicates; after it, the channel's recent posts are checked for the client id
 * first. A rate-limited try (TransportError `rate_limited`) keeps the message `sending`, and
 * nothing is sent until the server's `Retry-After` (at least the usual backoff) has passed.
 * Attaching another transport, `clear()` and the host going away abort the send in flight (its
 * result no longer counts). Several tabs of the visitor have one queue: the leading tab's outbox
 * sends and stores it, the others show it and hand theirs over ({@link follow}, {@link lead}). Never renders.
 *
 * @example
 * const outbox = new OutboxController(this, { onSent: (m) => conversation.merge([m], false) });
 * outbox.attach(transport, session.userId);
 * outbox.enqueue('Hello');
 */
export class OutboxController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: OutboxOptions;
  #clock: Clock;
  #transport?: Transport;
  #user?: string;
  #items: OutboxItem[] = [];
  /** The send in flight (one at a time); aborting it discards its result. */
  #sending?: AbortController;
  #tries = new Map<string, number>();
  #timer?: unknown;
  /**
   * Client-clock time before which nothing is sent: the server rate-limited the last try
   * (`rate_limited`). Every `flush()` (a new message, the socket back, a probe) waits for it too,
   * or each of them would be one more refused try.
   */
  #notBefore = -Infinity;
  #persist = false;
  #paused = false;
  /**
   * Client ids of `queued` items restored from storage: posted once more (in order with the
   * `sending` ones) with no look among the recent posts first — that look fails with 503 while
   * Mattermost is down, and the companion's answer is idempotent by client id anyway.
   */
  #resend = new Set<string>();
  // Several tabs (src/transport/shared-transport.ts)
  /** Set while another tab leads: hands this tab's changes to the leader. */
  #tell?: (op: OutboxOp) => void;
  /** Set while this tab leads and others follow: tells them the queue. */
  #share?: (items: readonly OutboxItem[]) => void;
  /** A follower's messages the leader has not shown in its queue yet. */
  #mine: OutboxItem[] = [];
  /** Client ids the leader's queue held (a follower's late repeat of one is not taken again). */
  #taken = new Set<string>();
  /** Client ids of the messages written in this tab, and (the leader) of those taken from a follower: each tab reports its own. */
  #wrote = new Set<string | undefined>();
  #theirs = new Set<string | undefined>();

  constructor(host: ReactiveControllerHost, options: OutboxOptions = {}) {
    this.#host = host;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    host.addController(this);
  }

  /** Unconfirmed messages, oldest first. */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Whether the queue may be written to storage (set once the visitor opened the chat). */
  get persist(): boolean {
    return this.#persist;
  }
  set persist(on: boolean) {
    this.#persist = on;
    this.#save();
  }

  /** While paused (service unreachable) nothing is sent; unpausing flushes. */
  get paused(): boolean {
    return this.#paused;
  }
  set paused(on: boolean) {
    this.#paused = on;
    if (!on) this.flush();
  }

  hostConnected(): void {
    this.flush();
  }

  hostDisconnected(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#abortSend();
  }

  /** Sends through `transport` as `userId`, restoring that visitor's persisted queue first. */
  attach(transport: Transport | undefined, userId?: string): void {
    this.#abortSend();
    // Followed between transports: handed over below, once it is known whose the items are.
    const late = !this.#transport;
    this.#transport = transport;
    if (userId && userId !== this.#user) {
      // Messages queued before the first session belong to this visitor; another visitor's
      // queue (the host signed someone else in) stays under that visitor's key, unsent here.
      const mine = this.#user === undefined ? this.#items : [];
      this.#user = userId;
      this.#notBefore = -Infinity; // another conversation: another limit
      const have = new Set(mine.map((i) => i.clientId));
      const saved = this.#load().filter((i) => !have.has(i.clientId));
      for (const i of saved) if (i.state === 'queued') this.#resend.add(i.clientId);
      this.#items = [...saved, ...mine];
      this.#save();
    }
    if (late) this.#handOver();
    this.#host.requestUpdate();
    this.flush();
  }

  /** Queues `text` (with the uploaded `files`, and the contact form's fields, if any) and starts sending it. */
  enqueue(text: string, files?: Array<{ id: string; name: string }>, contact?: ContactDetails): OutboxItem {
    const item: OutboxItem = { clientId: crypto.randomUUID(), text, createdAt: this.#clock.now(), state: 'sending' };
    if (contact) item.contact = contact;
    if (files?.length) Object.assign(item, { fileIds: files.map((f) => f.id), fileNames: files.map((f) => f.name) });
    this.#items = [...this.#items, item];
    this.#wrote.add(item.clientId);
    if (this.#tell) (this.#mine.push(item), this.#tell({ add: item }));
    this.#save();
    this.#host.requestUpdate();
    this.flush();
    return item;
  }

  /** Tries a failed message again. */
  retry(clientId: string): void {
    this.#tell?.({ retry: clientId });
    this.#update(clientId, { state: 'sending', failure: undefined });
    this.#tries.delete(clientId);
    this.flush();
  }

  /** Drops a failed message (it was never stored by the server). Items still sending stay. */
  remove(clientId: string): void {
    if (this.#items.some((i) => i.clientId === clientId && i.state === 'failed')) this.#remove(clientId);
  }

  /**
   * Takes a failed message back for editing: removes it and returns its text (to put in the
   * composer; sending it again makes a new message). Only the text comes back: the item's files
   * and contact fields go with it (attach the files again). Undefined for an item that is not failed.
   */
  edit(clientId: string): string | undefined {
    const item = this.#items.find((i) => i.clientId === clientId && i.state === 'failed');
    if (item) this.#remove(clientId);
    return item?.text;
  }

  /**
   * Sends the queue one message at a time, oldest first, so Mattermost stores them in the order
   * they were written (parallel posts may land in any order). Failed items wait for `retry`.
   * After a rate-limited try nothing goes before the server's `Retry-After` has passed.
   */
  flush(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#transport || this.#paused || this.#sending || this.#tell) return;
    const next = this.#items.find((i) => i.state === 'sending' || (i.state === 'queued' && this.#resend.has(i.clientId)));
    if (!next) return;
    const wait = this.#notBefore - this.#clock.now();
    if (wait > 0) this.#timer = this.#clock.setTimeout(() => this.flush(), wait);
    else void this.#send(next, this.#transport);
  }

  /**
   * Drops the `queued` items whose post is among `shown` (arrived live or by resync): they show as
   * posts now, and each is reported to `onSent` (the server took it) like a send answered with its post.
   */
  settle(shown: readonly ChatMessage[]): void {
    if (!this.#items.some((i) => i.state === 'queued')) return;
    const arrived = new Map(shown.map((m) => [m.clientId, m]));
    for (const i of this.#items) {
      const post = i.state === 'queued' ? arrived.get(i.clientId) : undefined;
      if (!post) continue;
      this.#sent(post);
      this.#remove(i.clientId);
    }
  }

  /** Forgets the queue and its stored copy (logout; several tabs: each tab's outbox, the leader's removes it). */
  clear(): void {
    try {
      if (this.#user && !this.#tell) this.#storage?.removeItem(this.#key);
    } catch {
      /* storage unavailable */
    }
    this.#items = [];
    this.#resend.clear();
    this.#user = undefined;
    this.#notBefore = -Infinity;
    this.#abortSend();
    this.#host.requestUpdate();
  }

  // Several tabs: one queue, sent and stored by the leader tab's outbox alone.

  /**
   * Another tab of the visitor leads: from now on this outbox sends and stores nothing. It shows
   * the leader's queue ({@link mirror}) with its own new messages, and hands every change
   * (a message, a retry, a removal) to `tell`, for the leader to {@link apply}. Without `tell`
   * (the shared transport is let go): on its own again, as without other tabs.
   */
  follow(tell?: (op: OutboxOp) => void): void {
    this.#abortSend();
    this.#share = undefined;
    this.#tell = tell;
    this.#mine = [];
    // Between transports (a new session, maybe another visitor's): attach() hands them over.
    if (this.#transport) this.#handOver();
  }

  /**
   * This tab leads: it takes over the stored queue (the last leader's), with what it handed over
   * and nobody took, sends it, and tells every change to `share`.
   */
  lead(share?: (items: readonly OutboxItem[]) => void): void {
    this.#tell = undefined;
    this.#share = share;
    this.#mine = [];
    const have = new Set(this.#items.map((i) => i.clientId));
    this.#items = [...this.#items, ...(this.#user ? this.#load() : []).filter((i) => !have.has(i.clientId))];
    for (const i of this.#items) if (i.state === 'queued') this.#resend.add(i.clientId);
    this.#save();
    this.#host.requestUpdate();
    this.flush();
  }

  /** A follower: the leader's queue (unvalidated channel data), shown with this tab's messages it has not taken yet. */
  mirror(items: unknown): void {
    const r = stored.safeParse(items);
    if (!this.#tell || !r.success) return;
    const have = new Set(r.data.map((i) => i.clientId));
    this.#mine = this.#mine.filter((i) => !have.has(i.clientId));
    // A leader that took over may not have heard them: hand them over again (it takes each once).
    for (const add of this.#mine) this.#tell({ add });
    this.#items = [...r.data, ...this.#mine];
    this.#host.requestUpdate();
  }

  /** A follower: the leader's outbox sent `m` (reported as this tab's if it wrote it). */
  sent(m: ChatMessage): void {
    if (this.#tell) this.#sent(m);
  }

  /** The leader: a follower's change (unvalidated channel data). */
  apply(op: OutboxOp): void {
    if (this.#tell) return;
    if ('retry' in op) this.retry(op.retry);
    else if ('remove' in op) {
      if (this.#items.some((i) => i.clientId === op.remove && i.state !== 'sending')) this.#remove(op.remove);
    } else {
      const r = storedItem.safeParse(op.add);
      if (!r.success || this.#taken.has(r.data.clientId)) return;
      this.#theirs.add(r.data.clientId);
      this.#items = [...this.#items, r.data];
      this.#save();
      this.#host.requestUpdate();
      this.flush();
    }
  }

  /** A follower hands the leader its queue (the leader takes each item once). */
  #handOver(): void {
    if (this.#tell) for (const add of (this.#mine = [...this.#items])) this.#tell({ add });
  }

  /** Reports `m` sent, as this tab's unless a follower wrote it (the leader) or this tab did not (a follower). */
  #sent(m: ChatMessage): void {
    this.#options.onSent?.(m, this.#tell ? this.#wrote.has(m.clientId) : !this.#theirs.has(m.clientId));
  }

  #abortSend(): void {
    this.#sending?.abort();
    this.#sending = undefined;
  }

  async #send(item: OutboxItem, transport: Transport): Promise<void> {
    const { clientId } = item;
    const run = (this.#sending = new AbortController());
    const { signal } = run;
    let sent = false;
    let refused = false;
    try {
      let message: ChatMessage | undefined;
      const queued = item.state === 'queued';
      if (!queued && item.triedAt !== undefined && this.#clock.now() - item.triedAt > DEDUPE_WINDOW) {
        // Past the server's de-duplication window: the first try may have landed with its ack
        // lost. Look before posting again — unless Mattermost is down (the companion answers 503
        // `unavailable`): then post again, the companion is idempotent by client id (202 again, or the post).
        try {
          message = (await transport.latest(RECENT, signal)).messages.find((p) => p.clientId === clientId);
        } catch (e) {
          if (!(e instanceof TransportError && e.kind === 'unavailable') || signal.aborted) throw e;
        }
      } else if (item.triedAt === undefined) this.#update(clientId, { triedAt: this.#clock.now() });
      const answer = message ?? (await transport.send({ clientId, text: item.text, fileIds: item.fileIds, contact: item.contact }, signal));
      if (signal.aborted) return;
      this.#resend.delete(clientId);
      if (isQueued(answer)) {
        // Stored by the companion: shown as saved until its post arrives; the next one goes now.
        this.#update(clientId, { state: 'queued' });
        sent = true;
        return;
      }
      message = answer;
      // Its post may have arrived (settle) while this send was in flight: reported once (before the
      // removal: several tabs hear of the post before the item goes).
      if (this.#items.some((i) => i.clientId === clientId)) this.#sent(message);
      this.#remove(clientId);
      sent = true;
    } catch (e) {
      if (signal.aborted) return;
      const tries = (this.#tries.get(clientId) ?? 0) + 1;
      this.#tries.set(clientId, tries);
      // Refusals need the visitor; network trouble is retried with backoff until the health
      // controller pauses the outbox (and unpauses it when the service is back). A refused token
      // is not the message's fault: the panel gets a new session and the message goes then.
      const tokenRefused = e instanceof TransportError && e.kind === 'auth';
      if (!isRetryable(e) && !tokenRefused) {
        this.#resend.delete(clientId);
        this.#update(clientId, { state: 'failed', failure: failureOf(e) });
        refused = true;
      } else {
        // Rate limited: the server said when (`retryAfter`); wait that long, and at least the
        // usual backoff, before this item (and so the queue behind it) goes again.
        let wait = backoff(this.#clock, tries);
        if (e instanceof TransportError && e.kind === 'rate_limited') {
          wait = Math.max(wait, e.retryAfter ?? 0);
          this.#notBefore = this.#clock.now() + wait;
        }
        this.#clock.clearTimeout(this.#timer);
        this.#timer = this.#clock.setTimeout(() => this.flush(), wait);
      }
      this.#options.onError?.(e, item);
    } finally {
      if (!signal.aborted) {
        this.#sending = undefined;
        // The next one in line: after a success, or past a message that now waits for the visitor.
        if (sent || refused) this.flush();
      }
    }
  }

  #update(clientId: string, patch: Partial<OutboxItem>): void {
    this.#items = this.#items.map((i) => (i.clientId === clientId ? { ...i, ...patch } : i));
    this.#save();
    this.#host.requestUpdate();
  }

  #remove(clientId: string): void {
    this.#tell?.({ remove: clientId });
    this.#items = this.#items.filter((i) => i.clientId !== clientId);
    this.#tries.delete(clientId);
    this.#resend.delete(clientId);
    this.#save();
    this.#host.requestUpdate();
  }

  get #storage(): Storage | null {
    if (this.#options.storage !== undefined) return this.#options.storage;
    try {
      return localStorage;
    } catch {
      return null;
    }
  }

  get #key(): string {
    return `porthole:outbox:${this.#user}`;
  }

  #load(): OutboxItem[] {
    try {
      const raw = this.#storage?.getItem(this.#key);
      const r = raw ? stored.safeParse(JSON.parse(raw)) : undefined;
      return r?.success ? r.data : [];
    } catch {
      return [];
    }
  }

  #save(): void {
    if (this.#share) for (const i of this.#items) this.#taken.add(i.clientId);
    this.#share?.(this.#items);
    if (!this.#persist || !this.#user || this.#tell) return;
    try {
      if (this.#items.length) this.#storage?.setItem(this.#key, JSON.stringify(this.#items));
      else this.#storage?.removeItem(this.#key);
    } catch {
      // Full or blocked storage: the queue still lives in memory.
    }
  }
}
