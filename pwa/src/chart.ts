// The vitals trend, framework-free: which records it draws, the scales and the
// summary a screen reader speaks. The panel (ui/vitals-chart.tsx) draws an inline
// SVG from this; no chart library (the whole app's JavaScript budget is 60 KiB).

import type { RecordDetail } from './schemas';
import { band, flagOf, rangeOf, type VitalKey } from './vitals';

/** The panels of the trend: blood pressure draws both values in one. */
export const PANELS: { id: string; keys: VitalKey[] }[] = [
  { id: 'temperature_c', keys: ['temperature_c'] },
  { id: 'bp', keys: ['bp_systolic', 'bp_diastolic'] },
  { id: 'pulse', keys: ['pulse'] },
  { id: 'spo2', keys: ['spo2'] },
];

/** How many of the newest measured records the trend shows. */
export const TREND_LENGTH = 14;

export interface Point { at: string; value: number; abnormal: boolean; recordId: string }

type WithVitals = Pick<RecordDetail, 'id' | 'occurred_at' | 'vitals' | 'status'>;

/** The newest records with any charted vital, oldest first; entered-in-error ones never count. */
export function measured<T extends WithVitals>(records: T[], limit = TREND_LENGTH): T[] {
  const keys = PANELS.flatMap((p) => p.keys);
  return records
    .filter((r) => r.status !== 'entered_in_error' && keys.some((k) => typeof r.vitals?.[k] === 'number'))
    .sort((a, b) => a.occurred_at.localeCompare(b.occurred_at))
    .slice(-limit);
}

export function points(records: WithVitals[], key: VitalKey): Point[] {
  const s = rangeOf(key);
  return records.flatMap((r) => {
    const v = r.vitals?.[key];
    return typeof v === 'number' ? [{ at: r.occurred_at, value: v, abnormal: flagOf(s, v) !== undefined, recordId: r.id }] : [];
  });
}

/**
 * The value range of a panel: every value and the 基準範囲 (so the band is
 * always in view), widened to whole steps with a little air.
 */
export function valueDomain(keys: VitalKey[], pts: Point[]): [number, number] {
  const vals = pts.map((p) => p.value);
  for (const k of keys) vals.push(...(band(k) ?? []));
  if (vals.length === 0) vals.push(0, 1);
  const step = niceStep(Math.max(...vals) - Math.min(...vals));
  return [Math.floor(Math.min(...vals) / step) * step - step, Math.ceil(Math.max(...vals) / step) * step + step];
}

/** A step of 1, 2 or 5 × 10ⁿ that cuts `span` into about four parts. */
export function niceStep(span: number): number {
  const raw = Math.max(span, 0.4) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

export function ticks([lo, hi]: [number, number]): number[] {
  const step = niceStep(hi - lo);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

export interface Summary { count: number; latest?: Point; min?: number; max?: number; abnormal: number }

/** What the trend says in words (the SVG's accessible description). */
export function summarize(pts: Point[]): Summary {
  if (pts.length === 0) return { count: 0, abnormal: 0 };
  const vals = pts.map((p) => p.value);
  return { count: pts.length, latest: pts.at(-1), min: Math.min(...vals), max: Math.max(...vals), abnormal: pts.filter((p) => p.abnormal).length };
}
