// Idempotent bootstrap: admin + token, support team, agents, inbox channel, and Porthole's settings.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './config.mjs';
import { call, request } from './mm-api.mjs';

export const TEAM = { name: 'porthole-support', display_name: 'Support', type: 'I' };
export const INBOX = { name: 'porthole-inbox', display_name: 'Porthole inbox', type: 'P' };
export const ADMIN = 'porthole-admin';
export const AGENTS = [
  { username: 'agent-ada', first_name: 'Ada', last_name: 'Agent' },
  { username: 'agent-grace', first_name: 'Grace', last_name: 'Agent' },
];

/** Origins the demo and the test suites serve pages from (8852: the privacy e2e; 8910, 8920: the files and agents e2e in direct mode); Mattermost must list them in AllowCorsFrom. */
export const DEV_ORIGINS = [8080, 8000, 8090, 8852, 8910, 8920].flatMap((p) => [`http://localhost:${p}`, `http://127.0.0.1:${p}`]);

/** The settings Porthole needs, as a config patch. */
export function portholeSettings(origins = DEV_ORIGINS) {
  return {
    ServiceSettings: {
      EnableUserAccessTokens: true,
      EnableBotAccountCreation: true,
      // Gateway mode: visitor messages are bot posts whose override name (and icon) Mattermost
      // clients show only when these are on (channels/app/post_metadata.go, notification_push.go).
      EnablePostUsernameOverride: true,
      EnablePostIconOverride: true,
      AllowCorsFrom: origins.join(' '),
      CorsExposedHeaders: 'Token X-Request-Id',
      CorsAllowCredentials: false,
      // Erasure (`porthole-server erase`, retention) deletes for good, not just hides: permanent
      // deletion of posts (and their files), users and channels is refused with 501 unless these
      // are on (channels/api4/post.go deletePost, user.go, channel.go), and needs a system admin.
      EnableAPIPostDeletion: true,
      EnableAPIUserDeletion: true,
      EnableAPIChannelDeletion: true,
    },
    TeamSettings: { MaxUsersPerTeam: 100000, EnableOpenServer: false, RestrictDirectMessage: 'team' },
    PrivacySettings: { ShowEmailAddress: false, ShowFullName: true },
  };
}

/**
 * Settings Mattermost reads once, when it starts: the CORS wrapper around every REST route is built
 * in `Server.Start` (channels/app/server.go, `cors.New(… AllowCorsFrom, CorsExposedHeaders,
 * CorsAllowCredentials …)`), so a patch of these saves the config but changes no response until
 * the server restarts. (The WebSocket's origin check, `App.OriginChecker`, reads the config on
 * every upgrade.)
 */
export const RESTART_SETTINGS = [
  'ServiceSettings.AllowCorsFrom',
  'ServiceSettings.CorsExposedHeaders',
  'ServiceSettings.CorsAllowCredentials',
];

/**
 * The settings as Mattermost's `MM_<SECTION>_<KEY>` environment variables, which the harness's
 * own server starts with, so everything — the CORS wrapper included — is in force from its first
 * request.
 */
export function settingsEnv(settings = portholeSettings()) {
  const env = {};
  for (const [section, values] of Object.entries(settings)) {
    for (const [key, value] of Object.entries(values)) env[`MM_${section}_${key}`.toUpperCase()] = String(value);
  }
  return env;
}

/** Whether `pw` signs `username` in; the session it made is ended again at once. */
async function passwordWorks(url, username, pw) {
  const r = await request({ url }, 'POST', '/users/login', { login_id: username, password: pw });
  if (r.status !== 200) return false;
  if (r.headers.token) await request({ url, token: r.headers.token }, 'POST', '/users/logout');
  return true;
}

const password = () => `Pt-${crypto.randomBytes(12).toString('base64url')}1!`;

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Patches only the settings that differ, so a second run changes nothing. The origins a server
 * already allows are kept (an existing server may serve other sites): the dev origins are added.
 * Returns the names (`Section.Key`) of the settings it changed.
 */
async function applySettings(conn, want) {
  const current = await call(conn, 'GET', '/config');
  const allowed = new Set(
    `${current.ServiceSettings?.AllowCorsFrom ?? ''} ${want.ServiceSettings.AllowCorsFrom}`.split(/\s+/).filter(Boolean),
  );
  want = { ...want, ServiceSettings: { ...want.ServiceSettings, AllowCorsFrom: [...allowed].join(' ') } };
  const patch = {};
  const changed = [];
  for (const [section, values] of Object.entries(want)) {
    for (const [key, value] of Object.entries(values)) {
      if (current[section]?.[key] === value) continue;
      (patch[section] ??= {})[key] = value;
      changed.push(`${section}.${key}`);
    }
  }
  if (changed.length) await call(conn, 'PUT', '/config/patch', patch);
  return changed;
}

async function findUser(conn, username) {
  const r = await request(conn, 'GET', `/users/username/${username}`);
  return r.status === 200 ? r.body : null;
}

/**
 * Local phase (only for the server the harness runs): creates the admin and mints its token over
 * the local-mode socket, where no credential is needed yet.
 */
async function adminTokenViaLocalMode(cfg, secrets, changed) {
  const local = { socketPath: path.join(cfg.mmHome, 'local.socket') };
  changed.push(...(await applySettings(local, portholeSettings())));
  let admin = await findUser(local, ADMIN);
  if (!admin) {
    secrets.adminPassword = password();
    admin = await call(local, 'POST', '/users', {
      username: ADMIN,
      email: `${ADMIN}@porthole.invalid`,
      password: secrets.adminPassword,
      email_verified: true,
    });
  }
  if (!admin.roles.includes('system_admin')) {
    await call(local, 'PUT', `/users/${admin.id}/roles`, { roles: 'system_user system_admin' });
  }
  const t = await call(local, 'POST', `/users/${admin.id}/tokens`, { description: 'porthole harness' });
  return t.token;
}

/**
 * Runs the bootstrap and writes `.porthole/mattermost.json`. With an external server the admin
 * token comes from the environment; otherwise it is reused from the previous run while it works.
 * Returns the file's contents plus `restartNeeded`: the settings of {@link RESTART_SETTINGS} it
 * had to change, which the running server applies only after a restart.
 */
export async function bootstrap(cfg) {
  const changed = [];
  const url = cfg.external?.url ?? cfg.url;
  const secretsFile = path.join(cfg.stateDir, cfg.external ? 'external-secrets.json' : 'secrets.json');
  fs.mkdirSync(cfg.stateDir, { recursive: true });
  const secrets = readJson(secretsFile) ?? {};
  const previous = readJson(cfg.outFile);

  let token = cfg.external?.token;
  if (!token) {
    token = previous?.url === url ? previous.adminToken : secrets.adminToken;
    if (!token || (await request({ url, token }, 'GET', '/users/me')).status !== 200) {
      token = await adminTokenViaLocalMode(cfg, secrets, changed);
    }
    secrets.adminToken = token;
  }
  const conn = { url, token };
  const me = await request(conn, 'GET', '/users/me');
  if (me.status !== 200) throw new HarnessError(`the admin token is refused by ${url} (${me.status}: ${me.body?.message})`);
  if (!me.body.roles.includes('system_admin'))
    throw new HarnessError(`the admin token belongs to ${me.body.username}, who is not a system admin`);

  changed.push(...(await applySettings(conn, portholeSettings())));

  const found = await request(conn, 'GET', `/teams/name/${TEAM.name}`);
  let team = found.status === 200 ? found.body : null;
  if (!team) team = await call(conn, 'POST', '/teams', TEAM);
  await call(conn, 'POST', `/teams/${team.id}/members`, { team_id: team.id, user_id: me.body.id });

  secrets.agents ??= {};
  const agents = [];
  for (const a of AGENTS) {
    let user = await findUser(conn, a.username);
    let pw = secrets.agents[a.username];
    if (!user) {
      pw = password();
      user = await call(conn, 'POST', '/users', { ...a, email: `${a.username}@porthole.invalid`, password: pw, email_verified: true });
    } else if (!pw || !(await passwordWorks(url, a.username, pw))) {
      // Unknown here, or changed elsewhere (another state directory bootstrapping the same
      // server): set a new one, so the password written out always works.
      pw = password();
      await call(conn, 'PUT', `/users/${user.id}/password`, { new_password: pw });
    }
    if (user.delete_at) await call(conn, 'PUT', `/users/${user.id}/active`, { active: true });
    secrets.agents[a.username] = pw;
    await call(conn, 'POST', `/teams/${team.id}/members`, { team_id: team.id, user_id: user.id });
    agents.push({ username: a.username, password: pw, id: user.id });
  }

  const foundInbox = await request(conn, 'GET', `/teams/${team.id}/channels/name/${INBOX.name}?include_deleted=true`);
  let inbox = foundInbox.status === 200 ? foundInbox.body : null;
  if (!inbox) inbox = await call(conn, 'POST', '/channels', { ...INBOX, team_id: team.id });
  for (const a of agents) await call(conn, 'POST', `/channels/${inbox.id}/members`, { user_id: a.id });

  const ping = await call(conn, 'GET', '/system/ping?get_server_status=false');
  const version = String((await request(conn, 'GET', '/config/client?format=old')).body?.Version ?? ping.version ?? '');
  const secretsText = JSON.stringify(secrets, null, 2);
  if (secretsText !== JSON.stringify(readJson(secretsFile), null, 2)) fs.writeFileSync(secretsFile, secretsText, { mode: 0o600 });

  const out = {
    url,
    adminToken: token,
    adminUserId: me.body.id,
    teamId: team.id,
    teamName: team.name,
    agents,
    inboxChannelId: inbox.id,
    version,
    allowedOrigins: DEV_ORIGINS,
  };
  fs.mkdirSync(path.dirname(cfg.outFile), { recursive: true });
  const text = JSON.stringify(out, null, 2) + '\n';
  // It holds the admin token and the agents' passwords: owner-only, whoever created it.
  if (JSON.stringify(previous, null, 2) + '\n' !== text) fs.writeFileSync(cfg.outFile, text, { mode: 0o600 });
  fs.chmodSync(cfg.outFile, 0o600);
  return { ...out, restartNeeded: [...new Set(changed)].filter((s) => RESTART_SETTINGS.includes(s)) };
}
