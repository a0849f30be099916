// Summary statistics for repeated measurements: median, percentiles (linear interpolation
// between closest ranks, as numpy's default), spread, and the formatting every table uses.

/** Sorted copy of the finite numbers in `values`. */
function sorted(values: number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** The p-th percentile (0–100) of `values`, or NaN when there is none. */
export function percentile(values: number[], p: number): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  if (p <= 0) return s[0]!;
  if (p >= 100) return s[s.length - 1]!;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export const median = (values: number[]): number => percentile(values, 50);

/** Everything a table may want about one series. */
export interface Summary {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  const s = sorted(values);
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p25: percentile(s, 25),
    median: percentile(s, 50),
    p75: percentile(s, 75),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

/** A number with a sensible precision and thousands separators: 1,234 / 12.3 / 0.42. */
export function num(v: number, digits?: number): string {
  if (!Number.isFinite(v)) return '—';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/**
 * "123 ms (p25–p75 110–130, n=10)": the median and its spread. With fewer than 4 samples the
 * spread is min–max (quartiles of 2 or 3 values say nothing more).
 */
export function medianSpread(values: number[], unit = 'ms', digits?: number): string {
  const s = summarize(values);
  if (s.n === 0) return 'no sample';
  const u = unit ? ` ${unit}` : '';
  if (s.n === 1) return `${num(s.median, digits)}${u} (n=1)`;
  if (s.n < 4) return `${num(s.median, digits)}${u} (min–max ${num(s.min, digits)}–${num(s.max, digits)}, n=${s.n})`;
  return `${num(s.median, digits)}${u} (p25–p75 ${num(s.p25, digits)}–${num(s.p75, digits)}, n=${s.n})`;
}

/** "p50 12 · p95 20 · p99 31 ms (n=500)". */
export function tail(values: number[], unit = 'ms', digits?: number): string {
  const s = summarize(values);
  if (s.n === 0) return 'no sample';
  return `p50 ${num(s.median, digits)} · p95 ${num(s.p95, digits)} · p99 ${num(s.p99, digits)} ${unit} (n=${s.n})`;
}

/** 12,345 B. */
export const bytes = (v: number): string => `${num(v, 0)} B`;

/** 'met' / 'missed' / '—' (no measurement) for a target. */
export const verdict = (ok: boolean | undefined | null): string => (ok === undefined || ok === null ? '—' : ok ? 'met' : 'missed');
