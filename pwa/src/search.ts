import type { Patient } from './schemas';
import { toHiragana } from './i18n';

/** Does the patient match a kana query? Script (hiragana/katakana), width and spaces are ignored. */
export function matchesKana(p: Pick<Patient, 'name' | 'name_kana'>, q: string): boolean {
  const norm = (s: string) => toHiragana(s).replace(/\s/g, '');
  const n = norm(q);
  if (!n) return true;
  return norm(p.name_kana ?? '').includes(n) || norm(p.name ?? '').includes(n);
}
