import { TransportError, type Session, type SessionMode, type TransportFactory } from './transport.js';

/** The factory that builds a session's transport, per session mode. A mode without one is refused. */
export type TransportRegistry = Readonly<Partial<Record<SessionMode, TransportFactory>>>;

/**
 * The production transports. Each is loaded on first use by a dynamic `import()`, which the
 * build splits into a chunk of its own: a conversation downloads only its mode's transport (a
 * gateway conversation never pays for @mattermost/client; test/package/size.test.ts checks it).
 */
export const defaultTransports: TransportRegistry = {
  direct: async (session) => new (await import('./mattermost-transport.js')).MattermostTransport(session),
  gateway: async (session) => new (await import('./gateway-transport.js')).GatewayTransport(session),
};

/**
 * A factory that builds each session's transport with the registry's factory for the session's
 * `mode`; rejects with a TransportError (`invalid`) for a mode the registry has no transport for.
 *
 * @example
 * const factory = transportByMode({ direct: (s) => new MattermostTransport(s) });
 * const transport = await factory(session);
 */
export const transportByMode =
  (registry: TransportRegistry = defaultTransports): TransportFactory =>
  async (session: Session) => {
    const build = registry[session.mode];
    if (!build)
      throw new TransportError(
        'invalid',
        `no transport for session mode ${JSON.stringify(session.mode)}; expected one of ${Object.keys(registry).join(', ')}`,
      );
    return build(session);
  };
