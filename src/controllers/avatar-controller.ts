import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Transport } from '../transport/transport.js';
import { systemClock, type Clock } from './clock.js';

/** How long a failed avatar is not asked for again (the panel renders it on every keystroke). */
export const AVATAR_RETRY = 5 * 60_000;

/**
 * Agents' profile images as `blob:` URLs, fetched once per user id for the panel's life through
 * the transport (`avatar()`; a transport without it, a failure or a 404: none, so initials show).
 * A failed fetch (not a 404) is asked again only after {@link AVATAR_RETRY} or with another
 * transport (a new session), however often the panel renders meanwhile.
 * Going away aborts what is in flight and revokes every URL. Never renders.
 *
 * @example
 * const avatars = new AvatarController(this, () => this.session.transport);
 * renderAvatar(name, avatars.url(userId));
 */
export class AvatarController implements ReactiveController {
  #host: ReactiveControllerHost;
  #transport: () => Transport | undefined;
  /** URL by user id; '' while asked or when there is none. */
  #urls = new Map<string, string>();
  /** Failed fetches by user id: when, and through which transport. */
  #failed = new Map<string, { at: number; transport: Transport }>();
  #runs = new AbortController();
  #clock: Clock;

  constructor(host: ReactiveControllerHost, transport: () => Transport | undefined, clock: Clock = systemClock) {
    this.#host = host;
    this.#transport = transport;
    this.#clock = clock;
    host.addController(this);
  }

  /** The image of `userId` if it arrived; asks for it the first time (the host updates when it comes). */
  url(userId: string): string | undefined {
    const known = this.#urls.get(userId);
    const transport = this.#transport();
    const failed = this.#failed.get(userId);
    const retry = failed && (failed.transport !== transport || this.#clock.now() - failed.at >= AVATAR_RETRY);
    if (known !== undefined && !retry) return known || undefined;
    if (!transport?.avatar) return undefined;
    this.#urls.set(userId, '');
    this.#failed.delete(userId);
    const { signal } = this.#runs;
    transport.avatar(userId, signal).then(
      (blob) => {
        if (signal.aborted || !blob?.type.startsWith('image/')) return;
        this.#urls.set(userId, URL.createObjectURL(blob));
        this.#host.requestUpdate();
      },
      // Failed (not aborted): initials meanwhile; asked again after AVATAR_RETRY or with a new session.
      () => signal.aborted || this.#failed.set(userId, { at: this.#clock.now(), transport }),
    );
    return undefined;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#runs.abort();
    this.#runs = new AbortController();
    for (const url of this.#urls.values()) if (url) URL.revokeObjectURL(url);
    this.#urls.clear();
    this.#failed.clear();
  }
}
