// Calendar arithmetic on Tokyo calendar days (YYYY-MM-DD strings). Japan has no
// daylight saving, so a day is always 24 h and noon (+09:00) is a safe anchor.
// Weeks start on Monday, as in the server's series rule (care.Occurrences).

const DAY = 86_400_000;
const JST = 9 * 3_600_000;

/** Weekday codes of the API's recurrence rule, Monday first (index = column). */
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const noon = (day: string) => Date.parse(`${day}T12:00:00+09:00`);
const dayOf = (ms: number) => new Date(ms + JST).toISOString().slice(0, 10);

export function addDays(day: string, n: number): string {
  return dayOf(noon(day) + n * DAY);
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: string): number {
  return (new Date(noon(day)).getUTCDay() + 6) % 7;
}

export function weekdayCode(day: string): Weekday {
  return WEEKDAYS[weekdayIndex(day)]!;
}

/** The Monday of the week of `day`. */
export function weekStart(day: string): string {
  return addDays(day, -weekdayIndex(day));
}

export function weekDays(start: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(start, i));
}

/** First day of the month of `day`. */
export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/** The first day of the month `n` months after that of `day`. */
export function addMonths(day: string, n: number): string {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7)) - 1 + n;
  const yy = y + Math.floor(m / 12);
  const mm = ((m % 12) + 12) % 12;
  return `${String(yy).padStart(4, '0')}-${String(mm + 1).padStart(2, '0')}-01`;
}

/**
 * The weeks (Monday first) that show the month of `day`: whole weeks, so the first
 * and last rows carry days of the neighbouring months.
 */
export function monthGrid(day: string): string[][] {
  const first = monthStart(day);
  const next = addMonths(first, 1);
  const weeks: string[][] = [];
  for (let w = weekStart(first); w < next; w = addDays(w, 7)) weeks.push(weekDays(w));
  return weeks;
}

/** An instant (RFC 3339, +09:00) from a Tokyo day and a wall time HH:MM. */
export function atTokyo(day: string, hm: string): string {
  return `${day}T${hm}:00+09:00`;
}

/** HH:MM of an instant in Tokyo. */
export function tokyoTime(iso: string): string {
  return new Date(Date.parse(iso) + JST).toISOString().slice(11, 16);
}

/** YYYY-MM-DD of an instant in Tokyo. */
export function tokyoDate(iso: string): string {
  return dayOf(Date.parse(iso));
}

/** Whole days from a to b (both YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((noon(b) - noon(a)) / DAY);
}

/** Anything with a start and an exclusive end (a visit, an occurrence). */
export interface Span { starts_at: string; ends_at: string }

/** The Tokyo day a span starts on. */
export function firstDay(s: Span): string {
  return tokyoDate(s.starts_at);
}

/**
 * The last Tokyo day a span covers. The end is exclusive, as the server stores
 * it: an all-day entry of the 20th ends at midnight starting the 21st, and a
 * visit ending at midnight does not reach the next day. A span without length
 * covers its start day.
 */
export function lastDay(s: Span): string {
  const start = Date.parse(s.starts_at);
  const end = Date.parse(s.ends_at);
  return end > start ? dayOf(end - 1) : dayOf(start);
}

/** Whether a span covers any part of Tokyo day `day`. */
export function coversDay(s: Span, day: string): boolean {
  return firstDay(s) <= day && day <= lastDay(s);
}

/** Whether a span covers any day of from..to (inclusive, YYYY-MM-DD). */
export function overlapsDays(s: Span, from: string, to: string): boolean {
  return firstDay(s) <= to && lastDay(s) >= from;
}

/**
 * The entries covering `day`, as a day of a calendar lists them: those running
 * through the whole day (all-day, or continuing from an earlier day) first, then
 * by start.
 */
export function entriesOn<T extends Span & { all_day?: boolean }>(xs: T[], day: string): T[] {
  const whole = (x: T) => x.all_day || firstDay(x) < day;
  return xs
    .filter((x) => coversDay(x, day))
    .sort((a, b) => Number(whole(b)) - Number(whole(a)) || Date.parse(a.starts_at) - Date.parse(b.starts_at));
}

/**
 * How a span sits on `day`: 'all' (all-day, or through the whole day), 'start'
 * (starts on it, goes on after), 'end' (came from before, ends on it) or 'within'.
 */
export function partOfDay(s: Span & { all_day?: boolean }, day: string): 'all' | 'start' | 'end' | 'within' {
  if (s.all_day) return 'all';
  const starts = firstDay(s) === day;
  const ends = lastDay(s) === day;
  if (starts && ends) return 'within';
  if (starts) return 'start';
  if (ends) return 'end';
  return 'all';
}
