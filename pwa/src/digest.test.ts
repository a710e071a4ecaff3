import { describe, expect, it } from 'vitest';
import { flagText, monthOf, shiftMonth, validMonth, vitalsAcross } from './digest';
import { digestEn, digestJa } from './i18n/digest';
import { ja } from './i18n/ja';
import { careJa } from './i18n/care';
import { setLang, tx } from './i18n';
import type { DigestPatient } from './schemas';

const patient = (id: string, vitals: { record_id: string; occurred_at: string }[]): DigestPatient => ({
  patient_id: id, name: id, name_kana: id, by_profession: [], new_records: [], plan_changes: [], reports_to_doctor: [],
  instructions_awaiting: [], awaiting_confirmation: [],
  abnormal_vitals: vitals.map((v) => ({ ...v, kind: 'nursing_visit', status: 'final', author_id: 'a', author_name: 'n', author_profession: 'nurse', created_at: v.occurred_at, flags: [] })),
});

describe('digest', () => {
  it('lists abnormal vitals across patients, newest first', () => {
    const got = vitalsAcross([
      patient('p1', [{ record_id: 'r1', occurred_at: '2026-12-01T01:00:00Z' }]),
      patient('p2', [{ record_id: 'r2', occurred_at: '2026-12-02T01:00:00Z' }, { record_id: 'r3', occurred_at: '2026-11-30T01:00:00Z' }]),
    ]);
    expect(got.map(({ p, v }) => `${p.patient_id}/${v.record_id}`)).toEqual(['p2/r2', 'p1/r1', 'p2/r3']);
  });

  it('says which value is out of range and by which rule', () => {
    setLang('ja');
    expect(flagText({ field: 'vitals.spo2', level: 'low', value: '89', threshold: '< 93' }, tx as never)).toBe('SpO2 89(低: 基準 < 93)');
    setLang('en');
    expect(flagText({ field: 'vitals.temperature_c', level: 'high', value: '38.2', threshold: '>= 37.5' }, tx as never)).toBe('Temperature 38.2 (high: reference >= 37.5)');
    setLang('ja');
  });

  it('moves between months across years', () => {
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2026-06', -18)).toBe('2024-12');
    expect(monthOf('2026-12-04')).toBe('2026-12');
    for (const ok of ['2026-01', '2000-12', '2100-01']) expect(validMonth(ok), ok).toBe(true);
    for (const bad of ['2026-13', '2026-1', '1999-12', '202612', undefined, '']) expect(validMonth(bad), String(bad)).toBe(false);
  });

  it('has the same keys in both languages, none shadowing another catalogue', () => {
    expect(Object.keys(digestEn).sort()).toEqual(Object.keys(digestJa).sort());
    for (const v of [...Object.values(digestJa), ...Object.values(digestEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(digestJa)) {
      expect(k in ja, k).toBe(false);
      expect(k in careJa, k).toBe(false);
    }
  });
});
