// Messages and date formats. The language is Japanese unless the user switched.

import { ja, type MessageKey } from './ja';

export type Lang = 'ja' | 'en';
export type { MessageKey };

// English loads on first use (loadLang): most users read Japanese, and the
// catalogue stays out of their first load. Until it is there, t() answers in Japanese.
const catalogues: Partial<Record<Lang, Record<MessageKey, string>>> = { ja };

/** Loads the catalogue of `l` if it is not here yet (the service worker precaches it). */
export async function loadLang(l: Lang): Promise<void> {
  if (!catalogues[l] && l === 'en') catalogues.en = (await import('./en')).en;
}
const LANG_KEY = 'tsunagu.lang';
const TZ = 'Asia/Tokyo';

let lang: Lang = readLang();

function readLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(LANG_KEY) === 'en' ? 'en' : 'ja';
  } catch {
    return 'ja';
  }
}

export function getLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  lang = l;
  try {
    globalThis.localStorage?.setItem(LANG_KEY, l);
  } catch {
    /* private mode: keep it for this session only */
  }
  if (globalThis.document) document.documentElement.lang = l;
}

/**
 * Catalogues a lazily loaded part of the app (e.g. the office console) adds when it
 * loads, so its messages stay out of the first load. A core key keeps its core message.
 */
const extra: Record<Lang, Record<string, string>> = { ja: {}, en: {} };
export function addMessages(more: Record<Lang, Record<string, string>>): void {
  for (const l of ['ja', 'en'] as Lang[]) Object.assign(extra[l], more[l]);
}

/** The message for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  return tx(key, vars);
}

/** t() for keys of an added catalogue (typed by its owner); unknown keys come back as themselves. */
export function tx(key: string, vars?: Record<string, string | number>): string {
  let s = (catalogues[lang] as Record<string, string> | undefined)?.[key] ?? extra[lang][key] ?? (ja as Record<string, string>)[key] ?? extra.ja[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** A message a user can act on for an API error code; unknown codes get a generic one. */
export function errorMessage(code: string): string {
  const key = `error.${code}`;
  return key in ja || key in extra.ja ? tx(key) : t('error.unknown');
}

const locale = () => (lang === 'ja' ? 'ja-JP' : 'en-GB');
const fmt = (o: Intl.DateTimeFormatOptions, loc = locale()) => new Intl.DateTimeFormat(loc, { timeZone: TZ, ...o });

/** 2025年11月21日(金) — a calendar date in Tokyo. */
export function formatDate(d: Date | string): string {
  return fmt({ year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' }).format(toDate(d));
}

/** 11月21日(金) 14:30 */
export function formatDateTime(d: Date | string): string {
  return fmt({ month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(toDate(d));
}

/** 11/21 — a short day for chart axes. */
export function formatShortDate(d: Date | string): string {
  return fmt({ month: 'numeric', day: 'numeric' }).format(toDate(d));
}

/** 2025年11月 */
export function formatMonth(d: Date | string): string {
  return fmt({ year: 'numeric', month: 'long' }).format(toDate(d));
}

/** 月, 火 … (ja) / Mon, Tue … (en) */
export function formatWeekday(d: Date | string): string {
  return fmt({ weekday: 'short' }).format(toDate(d));
}

export function formatTime(d: Date | string): string {
  return fmt({ hour: '2-digit', minute: '2-digit' }).format(toDate(d));
}

/** 令和7年11月21日 — Japanese era date, as forms use for birth dates (ja only). */
export function formatEraDate(d: Date | string): string {
  if (lang !== 'ja') return formatDate(d);
  return fmt({ era: 'long', year: 'numeric', month: 'long', day: 'numeric' }, 'ja-JP-u-ca-japanese').format(toDate(d));
}

/** YYYY-MM-DD of `d` in Tokyo. */
export function tokyoDay(d: Date | string = new Date()): string {
  return fmt({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(toDate(d));
}

function toDate(d: Date | string): Date {
  if (d instanceof Date) return d;
  // A bare date is a Tokyo calendar day, not UTC midnight.
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00+09:00` : d);
}

/** Age in whole years on `today` (both YYYY-MM-DD). */
export function age(birth: string, today = tokyoDay()): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Katakana → hiragana, for kana search that ignores the script. */
export function toHiragana(s: string): string {
  return s.normalize('NFKC').replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}
