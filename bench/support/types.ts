// What every benchmark receives and returns (see bench/support/child.mjs and bench/run.mjs).

export interface BenchContext {
  /** Quick pass with tiny counts: print figures, write no docs. */
  smoke: boolean;
  /** Progress line on stderr, prefixed with the benchmark's name. */
  log: (...args: string[]) => void;
  /** Registers clean-up that runs at the end, on a crash and when the runner stops the process. */
  defer: (fn: () => unknown) => void;
}

/** One line of the summary table. */
export interface Row {
  figure: string;
  /** Porthole's figure (median and spread, with its unit), or `skipped: why`. */
  porthole: string;
  /** The reference measured in the same run on the same machine. */
  reference: string;
  target: string;
  /** `met`, `missed` or `—` (not measured). */
  verdict: string;
}

export interface BenchResult {
  id?: string;
  title: string;
  /** Set when the benchmark could not run here (e.g. `dist/cdn missing`); rows may be empty. */
  skipped?: string;
  rows: Row[];
  /** How it was measured (Markdown). */
  method: string;
  /** More tables (Markdown). */
  details?: string;
  /** What limits a figure that misses its target (Markdown); empty when all are met. */
  limits?: string;
  /** Versions this benchmark saw (e.g. Mattermost's, peers'). */
  versions?: Record<string, string>;
  seconds?: number;
  measuredAt?: string;
}
