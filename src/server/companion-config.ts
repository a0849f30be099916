// The companion's configuration in either mode: `PORTHOLE_MODE` picks gateway (the default) or
// direct, and each mode reads its own variables (config.ts, gateway/config.ts); the HTTP server's
// own settings (port, host, the session rate limit) are common to both.
import {
  ConfigError,
  loadDirectConfig,
  readVariables,
  serverSettings,
  serverVariables,
  type DirectConfig,
  type ServerSettings,
} from './config.js';
import { loadGatewayConfig, loadMode, type GatewayConfig } from './gateway/config.js';
import { loadAvailabilitySettings, type AvailabilitySettings } from './availability.js';

/** Gateway mode's settings, plus the HTTP server's. */
export interface GatewayCompanionConfig extends GatewayConfig, ServerSettings {
  /** Visitors talk only to the companion, which acts through one bot (`PORTHOLE_MODE=gateway`, the default). */
  mode: 'gateway';
}

/** The companion's validated settings, in the mode `PORTHOLE_MODE` chose (see docs/companion.md). */
export type CompanionConfig = GatewayCompanionConfig | DirectConfig;

/**
 * Reads and validates the companion's settings from environment variables: gateway mode unless
 * `PORTHOLE_MODE=direct`. Empty variables count as unset; unknown ones are ignored.
 *
 * @param env - usually `process.env`.
 * @throws {ConfigError} with one line per problem: which variable, what is wrong, what was received
 *   (secrets are described by length only).
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * if (config.mode === 'gateway') console.log(config.supportChannelId);
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): CompanionConfig {
  const problems: string[] = [];
  // Agents and availability: the same variables in both modes.
  let availability: AvailabilitySettings | undefined;
  try {
    availability = loadAvailabilitySettings(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (loadMode(env) === 'direct') {
    let direct: DirectConfig | undefined;
    try {
      direct = loadDirectConfig(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.unshift(...err.problems);
    }
    if (problems.length || !direct) throw new ConfigError(problems);
    return { ...direct, availability };
  }
  let gateway: GatewayConfig | undefined;
  try {
    gateway = loadGatewayConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const server = readVariables(serverVariables, env);
  if (!server.ok) problems.push(...server.problems);
  if (problems.length || !gateway || !server.ok) throw new ConfigError(problems);
  return {
    ...gateway,
    availability,
    mode: 'gateway',
    ...serverSettings(server.vars),
  };
}
