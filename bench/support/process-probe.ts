// What a process costs, measured from inside it: memory (RSS, V8 heap, optionally after a full GC),
// CPU since the last reset (user + system, as % of one core) and the event loop's delay
// (perf_hooks.monitorEventLoopDelay). Used by the benchmark helpers that hold sockets
// (support/live-server.ts, support/socket-load.ts) and reported to the parent over IPC.
import fs from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The histogram's timer period, ms. It records each period's full length: the delay is the excess. */
export const ELD_RESOLUTION_MS = 10;

export interface ProcessSample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Whether a full GC ran just before (needs `--expose-gc`). */
  afterGc: boolean;
  /** CPU since the last reset, % of one core (200 % = both cores of this machine). */
  cpuPct: number;
  /** Wall time since the last reset, ms. */
  wallMs: number;
  /** Event-loop delay since the last reset, ms beyond the timer's period. */
  eld: { p50: number; p99: number; max: number; mean: number; samples: number };
  /** Open file descriptors. */
  fds: number;
  /** Stalls of the event loop of at least {@link STALL_MS} in the window: when (ms after its start) and how long (ms). */
  stalls: { at: number; ms: number }[];
}

/** A gap between two ticks of a 10 ms interval this much longer than 10 ms is a stall. */
export const STALL_MS = 50;

const excess = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

/**
 * One process's meter. `reset()` starts a window; `sample()` reports it.
 *
 * @example
 * const probe = new ProcessProbe();
 * probe.reset(); await hold(30_000); const s = probe.sample();
 */
export class ProcessProbe {
  readonly #eld: IntervalHistogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  #cpu = process.cpuUsage();
  #t0 = performance.now();
  #stalls: { at: number; ms: number }[] = [];
  #tick = performance.now();

  constructor() {
    this.#eld.enable();
    // The histogram says how long the loop stalled, not when: a 10 ms interval of our own notes when.
    setInterval(() => {
      const now = performance.now();
      const late = now - this.#tick - ELD_RESOLUTION_MS;
      if (late >= STALL_MS && this.#stalls.length < 1000) this.#stalls.push({ at: this.#tick - this.#t0, ms: late });
      this.#tick = now;
    }, ELD_RESOLUTION_MS).unref();
  }

  /** Starts a new window for CPU and event-loop delay. */
  reset(): void {
    this.#eld.reset();
    this.#cpu = process.cpuUsage();
    this.#t0 = performance.now();
    this.#stalls = [];
  }

  /**
   * The window so far. With `gc`, a full collection runs first (twice: the first may leave
   * weakly-held garbage) and the window is reset afterwards, since the collection itself would
   * show as CPU and delay.
   */
  sample(o: { gc?: boolean } = {}): ProcessSample {
    const cpu = process.cpuUsage(this.#cpu);
    const wallMs = performance.now() - this.#t0;
    const eld = {
      p50: excess(this.#eld.percentile(50)),
      p99: excess(this.#eld.percentile(99)),
      max: excess(this.#eld.max),
      mean: excess(this.#eld.mean),
      samples: this.#eld.count,
    };
    const gc = (globalThis as { gc?: () => void }).gc;
    const afterGc = !!(o.gc && gc);
    if (afterGc) {
      gc!();
      gc!();
    }
    const m = process.memoryUsage();
    let fds = NaN;
    try {
      fds = fs.readdirSync('/proc/self/fd').length;
    } catch {}
    const stalls = this.#stalls.slice();
    if (afterGc) this.reset();
    return {
      stalls,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      afterGc,
      cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      wallMs,
      eld,
      fds,
    };
  }
}
