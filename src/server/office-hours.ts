// Office hours (`PORTHOLE_OFFICE_HOURS`, `PORTHOLE_TIMEZONE`): parsed once at start, asked at any
// instant. Hours are wall-clock times in the site's time zone, so a DST change moves nothing.

/** Days as `Intl` names them (`weekday: 'short'` in en-US), Monday first. */
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
type Day = (typeof DAYS)[number];

/** One span of opening: on `days` (0 = Monday), from `from` to `to` (minutes after midnight; `to` ≤ 1440). */
export interface OfficeSpan {
  days: number[];
  from: number;
  to: number;
}

/** Parsed office hours: spans in one IANA time zone. */
export interface OfficeHours {
  spans: OfficeSpan[];
  timeZone: string;
}

/** A time zone Intl knows, or an error message saying what was received. */
export function checkTimeZone(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `must be an IANA time zone such as Europe/Paris or UTC (received ${JSON.stringify(timeZone)})`;
  }
}

const SPAN = /^([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})$/;

const dayIndex = (name: string): number => DAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());

/**
 * Parses `Mon-Fri 09:00-17:00, Sat 10:00-14:00`: comma-separated spans, each a day or a day range
 * (`Fri-Mon` wraps over the week end) and a 24-hour time range (`to` may be `24:00`, must be after
 * `from`). Days are English three-letter names, any case.
 *
 * @throws {Error} saying which span is wrong, what was expected and what was received.
 */
export function parseOfficeHours(text: string, timeZone = 'UTC'): OfficeHours {
  const zoneProblem = checkTimeZone(timeZone);
  if (zoneProblem) throw new Error(zoneProblem);
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!parts.length) throw new Error('must list at least one span such as "Mon-Fri 09:00-17:00" (received nothing)');
  const spans = parts.map((part): OfficeSpan => {
    const m = SPAN.exec(part);
    const expected = `expected spans like "Mon-Fri 09:00-17:00, Sat 10:00-14:00" (received ${JSON.stringify(part)})`;
    if (!m) throw new Error(expected);
    const [, first, last, h1, m1, h2, m2] = m;
    const a = dayIndex(first!);
    const b = last ? dayIndex(last) : a;
    if (a < 0 || b < 0) throw new Error(`days must be ${DAYS.join(', ')}; ${expected}`);
    const from = Number(h1) * 60 + Number(m1);
    const to = Number(h2) * 60 + Number(m2);
    if (Number(m1) > 59 || Number(m2) > 59 || from >= 1440 || to > 1440) throw new Error(`times must be 00:00 to 24:00; ${expected}`);
    if (to <= from) throw new Error(`the closing time must be after the opening time (use two spans across midnight); ${expected}`);
    const days: number[] = [];
    for (let d = a; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === b) break;
    }
    return { days, from, to };
  });
  return { spans, timeZone };
}

/** The weekday (0 = Monday) and minute of the day of `at` (ms) on the wall clocks of `timeZone`. */
export function wallClock(at: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: DAYS.indexOf(get('weekday') as Day), minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether `at` (ms) falls inside the office hours. */
export function isOpen(hours: OfficeHours, at: number): boolean {
  const { day, minute } = wallClock(at, hours.timeZone);
  return hours.spans.some((s) => s.days.includes(day) && minute >= s.from && minute < s.to);
}
