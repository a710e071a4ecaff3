// Patient onboarding without the screens: the Japanese era of a birth date
// (和暦), the checks of the registration and consent forms (the server's
// rules, so a mistake is shown before anything is sent), and the list of
// photographed pages of a signed consent form.

import { validInsured, validInsurer } from './careplan';

/** The eras since the Gregorian calendar (明治6年 = 1873), newest first, with their first day. */
export const ERAS: readonly { name: string; start: string; en: string }[] = [
  { name: '令和', start: '2019-05-01', en: 'Reiwa' },
  { name: '平成', start: '1989-01-08', en: 'Heisei' },
  { name: '昭和', start: '1926-12-25', en: 'Showa' },
  { name: '大正', start: '1912-07-30', en: 'Taisho' },
  { name: '明治', start: '1873-01-01', en: 'Meiji' },
];

/** A real calendar day YYYY-MM-DD (no 2月30日). */
export function isDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/**
 * The date in the Japanese era, e.g. 1940-03-02 → 昭和15年3月2日; the first year
 * of an era is 元年 (1989-01-08 → 平成元年1月8日). undefined for what is not yet a
 * whole date or is before 1873. Years count from the era's first day, which is
 * how the eras are written: 1989-01-07 is still 昭和64年.
 */
export function wareki(day: string): string | undefined {
  if (!isDay(day)) return undefined;
  const era = ERAS.find((e) => day >= e.start);
  if (!era) return undefined;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const first = Number(era.name === '明治' ? 1868 : era.start.slice(0, 4));
  const n = y - first + 1;
  return `${era.name}${n === 1 ? '元' : n}年${m}月${d}日`;
}

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export const SEXES: readonly Sex[] = ['female', 'male', 'other', 'unknown'];

export interface PatientForm {
  name: string;
  name_kana: string;
  birth_date: string;
  sex: Sex | '';
  address: string;
  phone: string;
  /** 介護保険 保険者番号 and 被保険者番号 (optional; the keys of care-plan data files). */
  insurer_number?: string;
  insured_number?: string;
}

/** What is wrong with a field, as a message key suffix (onboard.err.<rule>). */
export type FieldError = 'required' | 'too_long' | 'kana' | 'date' | 'future' | 'too_old' | 'phone' | 'insurer' | 'insured';
export type PatientErrors = Partial<Record<keyof PatientForm, FieldError>>;

const KANA = /^[\p{Script=Hiragana}\p{Script=Katakana}ー・\s]*$/u;

/** The server's rules for a new patient (POST /patients), checked on the device. */
export function checkPatient(f: PatientForm, today: string): PatientErrors {
  const e: PatientErrors = {};
  if (!f.name.trim()) e.name = 'required';
  else if (f.name.trim().length > 100) e.name = 'too_long';
  if (!f.name_kana.trim()) e.name_kana = 'required';
  else if (!KANA.test(f.name_kana)) e.name_kana = 'kana';
  else if (f.name_kana.trim().length > 100) e.name_kana = 'too_long';
  if (!f.birth_date) e.birth_date = 'required';
  else if (!isDay(f.birth_date)) e.birth_date = 'date';
  else if (f.birth_date > today) e.birth_date = 'future';
  else if (f.birth_date < '1900-01-01') e.birth_date = 'too_old';
  if (!f.sex) e.sex = 'required';
  if (f.address.trim().length > 300) e.address = 'too_long';
  if (f.phone.length > 20) e.phone = 'too_long';
  else if (!/^[0-9+() -]*$/.test(f.phone)) e.phone = 'phone';
  if (f.insurer_number && !validInsurer(f.insurer_number)) e.insurer_number = 'insurer';
  if (f.insured_number && !validInsured(f.insured_number)) e.insured_number = 'insured';
  return e;
}

/** The body of POST /patients from a checked form. */
export function patientBody(f: PatientForm): Record<string, string> {
  const b: Record<string, string> = { name: f.name.trim(), name_kana: f.name_kana.trim(), birth_date: f.birth_date, sex: f.sex, address: f.address.trim(), phone: f.phone.trim() };
  if (f.insurer_number) b.insurer_number = f.insurer_number;
  if (f.insured_number) b.insured_number = f.insured_number;
  return b;
}

/** A signed consent form has at most this many pages (the server's limit). */
export const MAX_PAGES = 20;

/** The pages of a form in order; each page is whatever the screen keeps of a photo. */
export const pages = {
  /** Adds photographed pages at the end, as many as still fit; the rest are dropped. */
  add<T>(list: readonly T[], more: readonly T[]): { list: T[]; dropped: number } {
    const room = Math.max(0, MAX_PAGES - list.length);
    return { list: [...list, ...more.slice(0, room)], dropped: Math.max(0, more.length - room) };
  },
  remove<T>(list: readonly T[], i: number): T[] {
    return list.filter((_, j) => j !== i);
  },
  /** Moves page i by delta (-1: one page earlier); out of range leaves the list as is. */
  move<T>(list: readonly T[], i: number, delta: number): T[] {
    const j = i + delta;
    if (i < 0 || i >= list.length || j < 0 || j >= list.length) return [...list];
    const out = [...list];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
};

export type Scope = 'full' | 'calendar_shared';

export interface ConsentForm {
  obtained_on: string;
  scope: Scope | '';
  obtained_by: string;
  pages: number;
}

export type ConsentErrors = Partial<Record<keyof ConsentForm, FieldError | 'no_pages' | 'too_many_pages'>>;

/** The checks of a new consent: a date obtained (not in the future), a scope, who, and the photographed form. */
export function checkConsent(f: ConsentForm, today: string): ConsentErrors {
  const e: ConsentErrors = {};
  if (!f.obtained_on) e.obtained_on = 'required';
  else if (!isDay(f.obtained_on)) e.obtained_on = 'date';
  else if (f.obtained_on > today) e.obtained_on = 'future';
  else if (f.obtained_on < '1900-01-01') e.obtained_on = 'too_old';
  if (!f.scope) e.scope = 'required';
  if (!f.obtained_by) e.obtained_by = 'required';
  if (f.pages === 0) e.pages = 'no_pages';
  else if (f.pages > MAX_PAGES) e.pages = 'too_many_pages';
  return e;
}
