// One place that turns the harness's `.porthole/mattermost.json` into the companion's environment
// (`PORTHOLE_*` variables, read by `loadConfig`), for the demo, the end-to-end suites and the
// benchmarks. Each caller adds what is its own: origins, secrets, limits.

/**
 * @typedef {object} HarnessInfo What `npm run mattermost:up` writes to `.porthole/mattermost.json`.
 * @property {string} url
 * @property {string} adminToken
 * @property {string} teamId
 * @property {string} inboxChannelId
 * @property {{ id: string }[]} agents
 */

/**
 * The companion's environment for the harness's Mattermost, with `overrides` on top.
 *
 * @param {HarnessInfo} mm
 * @param {Record<string, string | undefined>} [overrides]
 * @returns {Record<string, string | undefined>}
 */
export function companionEnv(mm, overrides = {}) {
  return {
    PORTHOLE_MM_URL: mm.url,
    PORTHOLE_MM_TOKEN: mm.adminToken,
    PORTHOLE_TEAM_ID: mm.teamId,
    PORTHOLE_AGENT_IDS: mm.agents.map((a) => a.id).join(','),
    PORTHOLE_INBOX_CHANNEL_ID: mm.inboxChannelId,
    ...overrides,
  };
}

/**
 * The `PORTHOLE_*` variables set in `env` (non-empty), so a command such as `npm start` lets the
 * caller's environment win over its defaults: `PORTHOLE_RATE_LIMIT_PER_MINUTE=1000 npm start`.
 *
 * @param {Record<string, string | undefined>} env
 * @returns {Record<string, string>}
 */
export function portholeVariables(env) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [key, value] of Object.entries(env)) if (key.startsWith('PORTHOLE_') && value) out[key] = value;
  return out;
}
