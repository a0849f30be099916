// CPU time of other processes and of the whole machine, from /proc (Linux): what Mattermost and
// PostgreSQL spend while a benchmark posts through them, and how busy both cores were. A benchmark
// process measures itself with process.cpuUsage() (support/process-probe.ts).
import fs from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc's times (USER_HZ; 100 on every Linux that matters here). */
const HZ = 100;

/** user + system ticks of a process, or NaN when it is gone. */
function ticksOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are space-separated.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

/** Pids whose command name (/proc/<pid>/comm) is `comm` (e.g. every PostgreSQL backend). */
export function pidsNamed(comm: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** Ticks of all cores (/proc/stat's first line): busy, total, and of those interrupts and steal. */
function machineTicks(): { busy: number; total: number; irq: number; steal: number } {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is in user already.
  const n = v.map(Number).slice(0, 8);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total, irq: (n[5] ?? 0) + (n[6] ?? 0), steal: n[7] ?? 0 };
}

/** CPU over a window, each as % of one core; `machine` is % of all cores (100 % = every core busy). */
export interface CpuWindow {
  byName: Record<string, number>;
  machine: number;
  /** Interrupt handling (hard and soft: loopback networking runs there), % of one core; no process is charged for it. */
  irq: number;
  /** Time the hypervisor gave the cores to someone else, % of one core. */
  steal: number;
  cores: number;
  /** Every process not in a group nor in `known`, by command name, % of one core, busiest first. */
  others: { comm: string; pct: number }[];
}

/** user + system ticks of every process, by pid, with its command name. */
function allTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), { comm, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {}
  }
  return out;
}

/**
 * Starts measuring the named groups of processes (`pids()` is asked at the start and the end, so a
 * process that started meanwhile counts from its birth); `stop()` reports the window, and what
 * every other process (not in a group nor `known`) took, by command name.
 *
 * @example
 * const cpu = cpuWindow({ mattermost: () => [mmPid], postgres: () => pidsNamed('postgres') });
 * await work(); const { byName } = cpu.stop();
 */
export function cpuWindow(groups: Record<string, () => number[]>, known: () => number[] = () => []): { stop(): CpuWindow } {
  const t0 = performance.now();
  const m0 = machineTicks();
  const all0 = allTicks();
  const start = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) start.set(pid, ticksOf(pid));
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      const m1 = machineTicks();
      const byName: Record<string, number> = {};
      for (const [name, pids] of Object.entries(groups)) {
        let ticks = 0;
        for (const pid of pids()) {
          const now = ticksOf(pid);
          const before = start.get(pid) ?? 0;
          if (Number.isFinite(now)) ticks += now - (Number.isFinite(before) ? before : 0);
        }
        byName[name] = (ticks / HZ / seconds) * 100;
      }
      const cores = os.cpus().length;
      const mine = new Set([...Object.values(groups).flatMap((pids) => pids()), ...known()]);
      const byComm = new Map<string, number>();
      for (const [pid, now] of allTicks()) {
        if (mine.has(pid)) continue;
        const ticks = now.ticks - (all0.get(pid)?.ticks ?? 0);
        if (ticks > 0) byComm.set(now.comm, (byComm.get(now.comm) ?? 0) + ticks);
      }
      const others = [...byComm].map(([comm, ticks]) => ({ comm, pct: (ticks / HZ / seconds) * 100 })).sort((a, b) => b.pct - a.pct);
      const share = (a: number, b: number) => ((a - b) / Math.max(1, m1.total - m0.total)) * 100 * cores;
      return {
        byName,
        machine: ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100,
        irq: share(m1.irq, m0.irq),
        steal: share(m1.steal, m0.steal),
        cores,
        others,
      };
    },
  };
}
