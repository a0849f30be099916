// Commands the tests take from Debian's packages (nginx for the scale-out suite, promtool for the
// alert rules), installed on a fresh machine when running as root — without leaving behind the
// service a package's postinst starts, which would hold a port (nginx :80, prometheus :9090).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { HarnessError } from './mattermost/config.mjs';
import { ensurePackages, which } from './mattermost/system.mjs';

/**
 * @typedef {object} CommandNeed What a test needs from Debian.
 * @property {string} command The executable, e.g. `promtool`.
 * @property {string} package The Debian package that installs it, e.g. `prometheus`.
 * @property {string[]} [services] Services the package's postinst may start; they are stopped and
 *   disabled after an install (e.g. `prometheus`, listening on :9090).
 * @property {string[]} [paths] Where else to look when it is not on `PATH` (e.g. `/usr/sbin/nginx`).
 */

/**
 * Where `need.command` is: on `PATH` or one of `need.paths`; else null.
 *
 * @param {CommandNeed} need
 * @returns {string | null}
 */
export function locateCommand(need) {
  return which(need.command) ?? (need.paths ?? []).find((p) => fs.existsSync(p)) ?? null;
}

/**
 * Whether Debian's package `name` is installed (`dpkg-query` says `… ok installed`, held packages too); false
 * where there is no dpkg.
 *
 * @param {string} name
 * @returns {boolean}
 */
export function isPackageInstalled(name) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return r.status === 0 && / ok installed$/.test(r.stdout);
}

/**
 * Stops and disables a service a package just started: `systemctl disable --now` under systemd;
 * otherwise its init script's `stop` (a no-op when it is not running, e.g. under a policy-rc.d
 * that forbade the start) and `update-rc.d … disable`.
 *
 * @param {string} name
 * @returns {string} what was done, for the log
 */
export function stopService(name) {
  if (fs.existsSync('/run/systemd/system')) {
    const r = spawnSync('systemctl', ['disable', '--now', `${name}.service`], { encoding: 'utf8' });
    return `systemctl disable --now ${name}: exit ${r.status}`;
  }
  const script = `/etc/init.d/${name}`;
  if (!fs.existsSync(script)) return `${name}: no systemd and no ${script}, nothing started`;
  const stop = spawnSync(script, ['stop'], { encoding: 'utf8' });
  const disable = spawnSync('update-rc.d', [name, 'disable'], { encoding: 'utf8' });
  return `${script} stop: exit ${stop.status}; update-rc.d ${name} disable: exit ${disable.status}`;
}

/**
 * The absolute path of `need.command`, installing `need.package` from Debian first when it is
 * missing and this process is root (then stopping and disabling `need.services` — only when this
 * call installed the package: the services of a package the machine already had are left alone).
 *
 * @param {CommandNeed} need
 * @param {{ isRoot?: boolean, log?: (line: string) => void }} [options]
 * @returns {string}
 * @throws {HarnessError} when it is missing and this is not root (saying what to install), or the
 *   install failed or did not provide it.
 */
export function ensureCommand(need, { isRoot = process.getuid?.() === 0, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const found = locateCommand(need);
  if (found) return found;
  const hadPackage = isPackageInstalled(need.package);
  try {
    ensurePackages([need.package], { isRoot });
  } catch (err) {
    throw new HarnessError(
      `${need.command} is missing (Debian's ${need.package} package): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!hadPackage) for (const service of need.services ?? []) log(`harness: ${stopService(service)}`);
  const installed = locateCommand(need);
  if (!installed) {
    const where = ['PATH', ...(need.paths ?? [])].join(', ');
    throw new HarnessError(`apt-get installed ${need.package}, but ${need.command} is still not found (looked in ${where})`);
  }
  return installed;
}
