// Vital signs: input limits (what can be typed at all) and the usual adult range used
// for hints and "out of range" flags. The flags help, they do not diagnose.

import type { Profession, RecordKind, Vitals } from './schemas';

/** The numeric vitals (consciousness is a text field the app does not take yet). */
export type VitalKey = Exclude<keyof Vitals, 'consciousness'>;

export interface VitalSpec { key: VitalKey; min: number; max: number; step: number; normal: [number, number] }

export const VITALS: VitalSpec[] = [
  { key: 'temperature_c', min: 30, max: 43, step: 0.1, normal: [35.5, 37.4] },
  { key: 'bp_systolic', min: 40, max: 260, step: 1, normal: [90, 139] },
  { key: 'bp_diastolic', min: 20, max: 160, step: 1, normal: [50, 89] },
  { key: 'pulse', min: 20, max: 250, step: 1, normal: [50, 100] },
  { key: 'spo2', min: 50, max: 100, step: 1, normal: [95, 100] },
  { key: 'respiration', min: 4, max: 60, step: 1, normal: [12, 20] },
  { key: 'weight_kg', min: 10, max: 250, step: 0.1, normal: [10, 250] },
  { key: 'pain', min: 0, max: 10, step: 1, normal: [0, 3] },
];

export function outOfRange(spec: VitalSpec, v: number | undefined): boolean {
  return v !== undefined && !Number.isNaN(v) && (v < spec.normal[0] || v > spec.normal[1]);
}

export function abnormal(v: Vitals | undefined): VitalKey[] {
  if (!v) return [];
  return VITALS.filter((s) => outOfRange(s, v[s.key])).map((s) => s.key);
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
/** Kinds that carry 在宅医療情報連携加算 items (next visit date, plan change). */
export const kindHasPlan = (k: RecordKind) => k === 'nursing_visit' || k === 'doctor_note' || k === 'medication' || k === 'care_note';
