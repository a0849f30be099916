import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Transport } from '../transport/transport.js';

/**
 * Agents' profile images as `blob:` URLs, fetched once per user id for the panel's life through
 * the transport (`avatar()`; a transport without it, a failure or a 404: none, so initials show).
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
  #runs = new AbortController();

  constructor(host: ReactiveControllerHost, transport: () => Transport | undefined) {
    this.#host = host;
    this.#transport = transport;
    host.addController(this);
  }

  /** The image of `userId` if it arrived; asks for it the first time (the host updates when it comes). */
  url(userId: string): string | undefined {
    const known = this.#urls.get(userId);
    if (known !== undefined) return known || undefined;
    const transport = this.#transport();
    if (!transport?.avatar) return undefined;
    this.#urls.set(userId, '');
    const { signal } = this.#runs;
    transport.avatar(userId, signal).then(
      (blob) => {
        if (signal.aborted || !blob?.type.startsWith('image/')) return;
        this.#urls.set(userId, URL.createObjectURL(blob));
        this.#host.requestUpdate();
      },
      // Failed (not aborted): ask again next time it is shown.
      () => signal.aborted || this.#urls.delete(userId),
    );
    return undefined;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#runs.abort();
    this.#runs = new AbortController();
    for (const url of this.#urls.values()) if (url) URL.revokeObjectURL(url);
    this.#urls.clear();
  }
}
