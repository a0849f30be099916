import { html, type TemplateResult } from 'lit';
import type { Strings } from '../i18n/index.js';

const formats = new Map<string, Intl.DateTimeFormat>();
/** One formatter per locale and style (building them is the expensive part). */
const format = (locale: string | undefined, style: Intl.DateTimeFormatOptions, key: string): Intl.DateTimeFormat => {
  const id = `${locale}|${key}`;
  let f = formats.get(id);
  if (!f) formats.set(id, (f = new Intl.DateTimeFormat(locale, style)));
  return f;
};

/** The visitor's local calendar day of `ms` as a number (days since 1970 on their clock). */
export const localDay = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / 864e5;
};

/**
 * A message's time: `<time part="time" datetime>` with the locale's short time, the full date
 * and time as its title.
 */
export const renderTime = (ms: number, locale?: string): TemplateResult =>
  html`<time
    part="time"
    datetime=${new Date(ms).toISOString()}
    title=${format(locale, { dateStyle: 'full', timeStyle: 'short' }, 'f').format(ms)}
    >${format(locale, { timeStyle: 'short' }, 't').format(ms)}</time
  >`;

/**
 * The label of a day separator for a message created at `ms`, or '' when the message before it
 * (`previous`, ms) is of the same day: "Today", "Yesterday", else the locale's date. Days are the
 * visitor's, in their time zone; `now` decides which day is today.
 */
export function dayLabel(ms: number, previous: number | undefined, now: number, labels: Strings, locale?: string): string {
  const day = localDay(ms);
  if (previous !== undefined && localDay(previous) === day) return '';
  const ago = localDay(now) - day;
  return ago === 0 ? labels.today : ago === 1 ? labels.yesterday : format(locale, { dateStyle: 'long' }, 'd').format(ms);
}

/** The visitor's local calendar date of `ms` as `YYYY-MM-DD` (the day its separator names, not UTC's). */
export const localDate = (ms: number): string => {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(d.getFullYear()).padStart(4, '0')}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};

/** A day separator (`part="day"`) above the first message of a day: its `datetime` is the local date it names. */
export const renderDay = (label: string, ms: number): TemplateResult =>
  html`<p part="day" class="day" role="separator" aria-label=${label}>
    <time datetime=${localDate(ms)}>${label}</time>
  </p>`;
