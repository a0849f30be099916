// Whether the team is around: the configured agents' Mattermost statuses, office hours and the
// site's expected-reply text, as the widget's Availability (both modes; see docs/companion.md).
import { z } from 'zod';
import type { AvailabilityResponse as Availability } from '../protocol/gateway.js';
import { ConfigError } from './config.js';
import { isOpen, parseOfficeHours, type OfficeHours } from './office-hours.js';

/** A Mattermost status (`POST /api/v4/users/status/ids`), as far as availability cares. */
export type AgentStatus = 'online' | 'away' | 'dnd' | 'offline';

/** `POST /api/v4/users/status/ids` answers, validated (public/model/status.go). */
export const mmStatusesSchema = z.array(
  z.object({
    user_id: z.string(),
    status: z.string().transform((s): AgentStatus => (s === 'online' || s === 'away' || s === 'dnd' ? s : 'offline')),
  }),
);

/** The availability settings, validated (docs/companion.md). */
export interface AvailabilitySettings {
  /** `PORTHOLE_AGENTS`: agent usernames; undefined: the mode's default (see docs/companion.md). */
  agents: string[] | undefined;
  /** `PORTHOLE_OFFICE_HOURS` in `PORTHOLE_TIMEZONE`; undefined: always open. */
  officeHours: OfficeHours | undefined;
  /** `PORTHOLE_EXPECTED_REPLY` (≤ 200 characters). */
  expectedReply: string | undefined;
  /** `PORTHOLE_CONTACT_FIELDS` (`name,email`; default none). */
  fields: Array<'name' | 'email'>;
  /** `PORTHOLE_EMAIL_REPLIES` (default false). */
  emailReplies: boolean;
}

/** The environment variables of availability (both modes). */
export const AVAILABILITY_VARIABLES = [
  'PORTHOLE_AGENTS',
  'PORTHOLE_OFFICE_HOURS',
  'PORTHOLE_TIMEZONE',
  'PORTHOLE_EXPECTED_REPLY',
  'PORTHOLE_CONTACT_FIELDS',
  'PORTHOLE_EMAIL_REPLIES',
] as const;

/** Most agents whose statuses are asked (a default taken from a big channel is cut here). */
export const MAX_AGENTS = 50;

const USERNAME = /^[a-z0-9._-]{1,64}$/;

/**
 * Reads the availability settings from `env` (empty values count as unset).
 *
 * @throws {ConfigError} one line per problem: which variable, what was expected, what was received.
 */
export function loadAvailabilitySettings(env: Record<string, string | undefined>): AvailabilitySettings {
  const problems: string[] = [];
  const get = (name: (typeof AVAILABILITY_VARIABLES)[number]) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const received = (v: string) => `received ${JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v)}`;
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const rawAgents = get('PORTHOLE_AGENTS');
  const agents = list(rawAgents)?.map((u) => u.replace(/^@/, '').toLowerCase());
  const badAgent = agents?.find((u) => !USERNAME.test(u));
  if (badAgent !== undefined)
    problems.push(`PORTHOLE_AGENTS: every entry must be a Mattermost username, comma-separated (received ${JSON.stringify(badAgent)})`);
  else if (agents && agents.length > MAX_AGENTS) problems.push(`PORTHOLE_AGENTS: at most ${MAX_AGENTS} agents (received ${agents.length})`);

  const timeZone = get('PORTHOLE_TIMEZONE') ?? 'UTC';
  let officeHours: OfficeHours | undefined;
  const rawHours = get('PORTHOLE_OFFICE_HOURS');
  try {
    // The zone alone is checked too, so a typo shows even without office hours.
    parseOfficeHours('Mon 00:00-24:00', timeZone);
  } catch (e) {
    problems.push(`PORTHOLE_TIMEZONE: ${(e as Error).message}`);
  }
  if (rawHours && !problems.some((p) => p.startsWith('PORTHOLE_TIMEZONE')))
    try {
      officeHours = parseOfficeHours(rawHours, timeZone);
    } catch (e) {
      problems.push(`PORTHOLE_OFFICE_HOURS: ${(e as Error).message}`);
    }

  const expectedReply = get('PORTHOLE_EXPECTED_REPLY');
  if (expectedReply && [...expectedReply].length > 200)
    problems.push(`PORTHOLE_EXPECTED_REPLY: must be at most 200 characters (received ${[...expectedReply].length})`);

  const rawFields = get('PORTHOLE_CONTACT_FIELDS');
  const fields = [...new Set(list(rawFields) ?? [])];
  const badField = fields.find((f) => f !== 'name' && f !== 'email');
  if (badField !== undefined)
    problems.push(`PORTHOLE_CONTACT_FIELDS: must list name and/or email, comma-separated (${received(badField)})`);

  const rawEmail = get('PORTHOLE_EMAIL_REPLIES')?.toLowerCase();
  if (rawEmail !== undefined && rawEmail !== 'true' && rawEmail !== 'false')
    problems.push(`PORTHOLE_EMAIL_REPLIES: must be true or false (${received(rawEmail)})`);

  if (problems.length) throw new ConfigError(problems);
  return {
    agents,
    officeHours,
    expectedReply,
    fields: fields as Array<'name' | 'email'>,
    emailReplies: rawEmail === 'true',
  };
}

/** Availability's state from statuses: online (any online) > away (any away or dnd) > offline. */
export function stateOf(statuses: readonly AgentStatus[]): 'online' | 'away' | 'offline' {
  if (statuses.includes('online')) return 'online';
  if (statuses.includes('away') || statuses.includes('dnd')) return 'away';
  return 'offline';
}

/** What {@link AvailabilityService} needs. */
export interface AvailabilityDeps {
  settings: AvailabilitySettings;
  /** The agents' user ids (resolved once and cached with the statuses). */
  agentIds: () => Promise<string[]>;
  /** Their statuses (`POST /users/status/ids`); rejects when Mattermost cannot be reached. */
  statuses: (userIds: string[]) => Promise<AgentStatus[]>;
  now: () => number;
  /** How long one answer of Mattermost is reused, ms. Default 30 000. */
  cacheMs?: number;
  /** How long a failure is reused, ms (so an outage is not asked about on every request). Default 5 000. */
  failureCacheMs?: number;
  /** Told when Mattermost could not be asked (logged by the caller, never sent to visitors). */
  onError?: (e: unknown) => void;
}

/**
 * The team's availability for `GET /v1/availability`, one per companion instance: Mattermost is
 * asked at most once per `cacheMs` whatever the number of visitors (concurrent requests share the
 * call). Rules: `closed` (outside office hours: Mattermost is not asked) > `online` > `away` >
 * `offline`; Mattermost unreachable (or failing): `unreachable`, never an error.
 *
 * @example
 * const availability = new AvailabilityService({ settings, agentIds, statuses, now: Date.now });
 * app.get('/v1/availability', async (c) => c.json(await availability.get()));
 */
export class AvailabilityService {
  #deps: AvailabilityDeps;
  #cached?: { at: number; ttl: number; state: Availability['state'] };
  #pending?: Promise<Availability['state']>;

  constructor(deps: AvailabilityDeps) {
    this.#deps = deps;
  }

  /** The availability now. Never rejects. */
  async get(): Promise<Availability> {
    const { settings, now } = this.#deps;
    const state = settings.officeHours && !isOpen(settings.officeHours, now()) ? 'closed' : await this.#state();
    return {
      state,
      ...(settings.expectedReply ? { expectedReply: settings.expectedReply } : {}),
      fields: [...settings.fields],
      emailReplies: settings.emailReplies,
    };
  }

  #state(): Promise<Availability['state']> {
    const c = this.#cached;
    if (c && this.#deps.now() - c.at < c.ttl) return Promise.resolve(c.state);
    return (this.#pending ??= this.#ask().finally(() => (this.#pending = undefined)));
  }

  async #ask(): Promise<Availability['state']> {
    const d = this.#deps;
    let state: Availability['state'];
    let ttl = d.cacheMs ?? 30_000;
    try {
      const ids = await d.agentIds();
      state = stateOf(ids.length ? await d.statuses(ids.slice(0, MAX_AGENTS)) : []);
    } catch (e) {
      d.onError?.(e);
      state = 'unreachable';
      ttl = d.failureCacheMs ?? 5_000;
    }
    this.#cached = { at: d.now(), ttl, state };
    return state;
  }
}
