// SPA life cycle: what `<porthole-chat>.update(changes)` takes. The launcher imports the type only;
// the schema is checked in the panel's chunk.
import * as z from 'zod/mini';

/** A page of the site, as `update({ page })` tells it (reported to the team with `report-pages`). */
export interface PortholePage {
  /** An http(s) URL of at most 2,048 characters; default `location.href` without its query (and without a fragment that is not a `#/route`). */
  url?: string;
  /** Default `document.title`. */
  title?: string;
}

/**
 * What changed in a single-page app, for `<porthole-chat>.update(changes)` (every field optional;
 * `update()` alone stands for a page change).
 *
 * @example
 * ```ts
 * chat.update({ identity: true }); // after the host signed someone else in or out
 * chat.update({ name: 'Ada' });
 * chat.update({ page: { title: 'Pricing' } }); // after a client-side navigation
 * ```
 */
export interface PortholeUpdate {
  /**
   * The signed-in visitor may have changed (the host's `getToken()` now answers for another user,
   * or the companion's cookie or identity changed): the widget asks for a new session, and starts
   * over with the new visitor when it is someone else.
   */
  identity?: boolean;
  /**
   * The visitor's display name (1–64 characters), sent with the next session request. Gateway mode:
   * the visitor's next messages carry it (an identity's own `name` wins). Direct mode: it names a
   * new visitor's Mattermost account only (an existing account keeps its name).
   */
  name?: string;
  /** The page the visitor is on now (reported with `report-pages`, gateway mode). */
  page?: PortholePage;
}

const pageSchema = z.strictObject({
  url: z.optional(z.string().check(z.maxLength(2048), z.regex(/^https?:\/\/[^\s]+$/i))),
  title: z.optional(z.string().check(z.maxLength(1000))),
});

const updateSchema = z.strictObject({
  identity: z.optional(z.boolean()),
  name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(64))),
  page: z.optional(pageSchema),
});

const EXPECTED =
  '{ identity?: boolean, name?: string of 1–64 characters, page?: { url?: http(s) URL of at most 2048 characters, title?: string of at most 1000 } }';

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? `an object with keys [${Object.keys(v as object)}]`
        : typeof v;

/**
 * `changes` as a {@link PortholeUpdate} (names trimmed).
 *
 * @throws {TypeError} saying what was expected and what was received.
 */
export function parseUpdate(changes: unknown): PortholeUpdate {
  if (changes === undefined) return {};
  const parsed = updateSchema.safeParse(changes);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : 'changes'));
  throw new TypeError(`porthole-chat update(): expected ${EXPECTED}; received ${describe(changes)} (check: ${where.join(', ')})`);
}
