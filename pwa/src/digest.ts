// Pure helpers of the doctor's digest and the 在宅医療情報連携加算 report (imported only
// by their lazily loaded screens).

import type { DigestPatient } from './schemas';

type Flag = { field: string; level: string; value: string; threshold: string };
type Vitals = NonNullable<DigestPatient['abnormal_vitals']>[number];

/** The abnormal vitals of every patient, newest first, each with its patient. */
export function vitalsAcross(patients: readonly DigestPatient[]): { p: DigestPatient; v: Vitals }[] {
  return patients
    .flatMap((p) => (p.abnormal_vitals ?? []).map((v) => ({ p, v })))
    .sort((a, b) => b.v.occurred_at.localeCompare(a.v.occurred_at) || a.v.record_id.localeCompare(b.v.record_id));
}

/** 「SpO2 89(低: 基準 < 93)」: which value, how, and the rule it crossed. */
export function flagText(f: Flag, msg: (key: never, vars?: Record<string, string | number>) => string): string {
  const m = msg as (key: string, vars?: Record<string, string | number>) => string;
  const name = f.field.replace(/^vitals\./, '');
  return m('digest.flag', { label: m(`digest.v.${name}`), value: f.value, level: m(`digest.level.${f.level}`), rule: f.threshold });
}

/** YYYY-MM of a Tokyo day YYYY-MM-DD. */
export const monthOf = (day: string) => day.slice(0, 7);

/** The month `delta` months from `month` (YYYY-MM). */
export function shiftMonth(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const i = y * 12 + (m - 1) + delta;
  return `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** Whether s is a month the report takes (YYYY-MM, 2000–2100). */
export const validMonth = (s: string | undefined): s is string => !!s && /^(20\d\d|2100)-(0[1-9]|1[0-2])$/.test(s);
