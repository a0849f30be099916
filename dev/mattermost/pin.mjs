/**
 * The one place where the Mattermost server Porthole develops and tests against is pinned.
 *
 * Mattermost's Go module `github.com/mattermost/mattermost/server/v8` has no semver tags of its
 * own, so a release is reached by commit through a pseudo-version. The module proxy reachable
 * here only serves versions it already holds; `3321db82c3e7` is the commit tagged
 * `server/public/v0.1.22` (30 January 2026), the newest 11.x commit it serves for both the
 * server module and its `server/public` companion (which reports version 11.4.0).
 * See docs/testing.md for how it was chosen and what the two dependency overrides are for.
 */
export const pin = {
  commit: '3321db82c3e71486f17014e077677e6bb9fc1a91',
  serverModule: 'github.com/mattermost/mattermost/server/v8',
  serverVersion: 'v8.0.0-20260130160320-3321db82c3e7',
  publicModule: 'github.com/mattermost/mattermost/server/public',
  publicVersion: 'v0.1.22',
  /** The major.minor line the build must report; `up` fails if the running server is not on it. */
  expectedLine: '11.',
  /**
   * Dependency overrides applied to the copied module before building. The proxy here does not
   * serve these exact versions; each replacement is the nearest version it does serve.
   * - `mattermost/msgpack` is Mattermost's fork of msgpack (MM-66167); upstream v5.4.1 has the
   *   same API.
   * - `richardlehane/msoleps` v1.0.5 is not served; v1.0.6 is the next patch release.
   */
  dropReplace: ['github.com/vmihailenco/msgpack/v5'],
  replace: {
    'github.com/richardlehane/msoleps': 'github.com/richardlehane/msoleps@v1.0.6',
  },
};
