import { beforeAll, describe, expect, it } from 'vitest';
import { measured, niceStep, points, scale, summarize, ticks, valueDomain } from './chart';
import type { VitalTable } from './schemas';
import served from './testdata/vital-ranges.json';
import { vitalTable } from './vitals';

beforeAll(() => (vitalTable.value = served as VitalTable));

const rec = (id: string, day: string, vitals: Record<string, number> | undefined, status: 'final' | 'entered_in_error' = 'final') =>
  ({ id, occurred_at: `${day}T01:00:00Z`, vitals, status });

describe('vitals trend', () => {
  const recs = [
    rec('c', '2026-11-03', { temperature_c: 37.9, pulse: 104 }),
    rec('a', '2026-11-01', { temperature_c: 36.4, bp_systolic: 128, bp_diastolic: 76 }),
    rec('x', '2026-11-02', { temperature_c: 39.9 }, 'entered_in_error'),
    rec('n', '2026-11-02', undefined),
    rec('w', '2026-11-02', { weight_kg: 50 }), // weight is not charted
  ];

  it('draws the newest measured records, oldest first, never one entered in error', () => {
    expect(measured(recs).map((r) => r.id)).toEqual(['a', 'c']);
    expect(measured(recs, 1).map((r) => r.id)).toEqual(['c']);
  });

  it('flags values outside the 基準範囲 of the served table', () => {
    const t = points(measured(recs), 'temperature_c');
    expect(t.map((p) => [p.value, p.abnormal])).toEqual([[36.4, false], [37.9, true]]);
    expect(points(measured(recs), 'bp_diastolic').map((p) => p.recordId)).toEqual(['a']);
  });

  it('keeps the 基準範囲 in view and rounds the axis to whole steps', () => {
    const d = valueDomain(['spo2'], points([rec('s', '2026-11-01', { spo2: 88 })], 'spo2'));
    expect(d[0]).toBeLessThan(88);
    expect(d[1]).toBeGreaterThanOrEqual(100);
    expect(ticks(d).every((v) => v >= d[0] && v <= d[1])).toBe(true);
    expect(ticks([34, 40])).toEqual([34, 36, 38, 40]);
    expect([niceStep(7), niceStep(40), niceStep(0)]).toEqual([2, 10, 0.1]);
  });

  it('maps values onto the drawing and says what the trend shows', () => {
    const y = scale(30, 40, 100, 0);
    expect([y(30), y(35), y(40)]).toEqual([100, 50, 0]);
    expect(scale(5, 5, 0, 10)(5)).toBe(5);
    expect(summarize(points(measured(recs), 'pulse'))).toMatchObject({ count: 1, min: 104, max: 104, abnormal: 1, latest: { value: 104 } });
    expect(summarize([])).toEqual({ count: 0, abnormal: 0 });
  });
});
