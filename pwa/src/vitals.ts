// Vital signs: the server's one table (GET /api/v1/vitals/ranges, care.VitalRanges)
// says which values are possible and which are flagged; the device keeps a copy
// (state.ts) and flags with it. No thresholds live here: before the first fetch the
// app shows no flags. The flags help, they do not diagnose.

import { signal } from '@preact/signals';
import { t } from './i18n';
import type { Profession, RecordKind, VitalRange, VitalTable, Vitals } from './schemas';

/** The numeric vitals, in display order (consciousness is a JCS code). */
export type VitalKey = Exclude<keyof Vitals, 'consciousness'>;
export const VITAL_KEYS: VitalKey[] = ['temperature_c', 'bp_systolic', 'bp_diastolic', 'pulse', 'spo2', 'respiration', 'weight_kg', 'pain'];

/** The served table this device holds; null until the first fetch. */
export const vitalTable = signal<VitalTable | null>(null);

export const rangeOf = (k: string, table = vitalTable.value): VitalRange | undefined => table?.ranges?.find((r) => r.key === k);

function crosses(x: number, rule: string, t: number): boolean {
  return rule === '<' ? x < t : rule === '<=' ? x <= t : rule === '>' ? x > t : rule === '>=' ? x >= t : false;
}

/** 'high' or 'low' when `x` crosses a threshold of `r` (the server's Flags rule), else undefined. */
export function flagOf(r: VitalRange | undefined, x: number | undefined): 'high' | 'low' | undefined {
  if (!r || x === undefined || Number.isNaN(x)) return undefined;
  if (r.high !== undefined && crosses(x, r.high_rule, r.high)) return 'high';
  if (r.low !== undefined && crosses(x, r.low_rule, r.low)) return 'low';
  return undefined;
}

/** The flagged vitals of `v` (consciousness when the JCS code is not alert). */
export function abnormal(v: Vitals | undefined, table = vitalTable.value): (VitalKey | 'consciousness')[] {
  if (!v || !table) return [];
  const out: (VitalKey | 'consciousness')[] = VITAL_KEYS.filter((k) => flagOf(rangeOf(k, table), v[k]) !== undefined);
  if (v.consciousness && v.consciousness !== table.consciousness.alert) out.push('consciousness');
  return out;
}

/** A value as shown: temperature and weight always with one decimal (37.0, not 37). */
export function formatVital(k: keyof Vitals, x: number | string): string {
  return typeof x === 'number' && (k === 'temperature_c' || k === 'weight_kg') ? x.toFixed(1) : String(x);
}

/** The measured vitals of `v` to show, in order, with their flags. */
export function vitalRows(v: Vitals | undefined, table = vitalTable.value): { key: keyof Vitals; text: string; abnormal: boolean }[] {
  if (!v) return [];
  const flags = abnormal(v, table);
  return [...VITAL_KEYS, 'consciousness' as const].flatMap((k) => {
    const x = v[k];
    return x === undefined || x === null || x === '' ? [] : [{ key: k, text: formatVital(k, x), abnormal: flags.includes(k) }];
  });
}

/**
 * The 基準範囲 of a row as bounds and their words: the values no threshold flags.
 * `from`/`to` say whether a bound itself is inside (以上/以下) or not (超/未満).
 */
export function normalRange(r: VitalRange | undefined): { lo?: number; hi?: number; loIn: boolean; hiIn: boolean } | undefined {
  if (!r || (r.low === undefined && r.high === undefined)) return undefined;
  return { lo: r.low, hi: r.high, loIn: r.low_rule === '<', hiIn: r.high_rule === '>' };
}

/** The 基準範囲 in words, e.g. 「35.0以上 37.5未満」; '' without thresholds or before the table came. */
export function rangeText(k: VitalKey, table = vitalTable.value): string {
  const n = normalRange(rangeOf(k, table));
  if (!n) return '';
  const lo = n.lo === undefined ? '' : t(n.loIn ? 'vital.from' : 'vital.above', { v: formatVital(k, n.lo) });
  const hi = n.hi === undefined ? '' : t(n.hiIn ? 'vital.to' : 'vital.below', { v: formatVital(k, n.hi) });
  return [lo, hi].filter(Boolean).join(' ');
}

/** The band a chart shades as 基準範囲: the thresholds, or the possible values where a side has none. */
export function band(k: VitalKey, table = vitalTable.value): [number, number] | undefined {
  const r = rangeOf(k, table);
  const n = normalRange(r);
  return r && n ? [n.lo ?? r.min, n.hi ?? r.max] : undefined;
}

const CLINICAL: Profession[] = ['doctor', 'dentist', 'pharmacist', 'nurse', 'msw'];

/** The record kinds a profession may write, the template's default first. */
export function kindsFor(p: Profession | string | undefined): RecordKind[] {
  switch (p) {
    case 'nurse': return ['nursing_visit', 'note', 'document'];
    case 'doctor':
    case 'dentist': return ['doctor_note', 'note', 'document'];
    case 'pharmacist': return ['medication', 'note', 'document'];
    case 'msw': return ['care_note', 'note', 'document'];
    default: return p && CLINICAL.includes(p as Profession) ? ['note', 'document'] : ['care_note', 'note', 'document'];
  }
}

/** Kinds whose template has vitals inputs. */
export const kindHasVitals = (k: RecordKind) => k === 'nursing_visit' || k === 'doctor_note' || k === 'medication';
