import { afterEach, describe, expect, it } from 'vitest';
import { fitWithin } from './photo';
import { setLang } from './i18n';
import type { VitalTable } from './schemas';
import served from './testdata/vital-ranges.json';
import { abnormal, band, formatVital, kindsFor, rangeText, vitalRows, vitalTable } from './vitals';

// The server's table as GET /api/v1/vitals/ranges answers it (api/reference_test.go keeps the file equal).
const table = served as VitalTable;

describe('vitals', () => {
  afterEach(() => (vitalTable.value = null));

  it('flags by the served table only, and nothing before it came', () => {
    expect(abnormal({ temperature_c: 38.2, pulse: 72, spo2: 91 })).toEqual([]);
    vitalTable.value = table;
    expect(abnormal({ temperature_c: 38.2, pulse: 72, spo2: 91 })).toEqual(['temperature_c', 'spo2']);
    // The server's thresholds and rules, not a copy of the app's own: SpO2 93 is within (< 93 flags), 37.5 °C is not (>= 37.5).
    expect(abnormal({ spo2: 93, temperature_c: 37.4, pulse: 100 })).toEqual([]);
    expect(abnormal({ spo2: 92, temperature_c: 37.5, pulse: 101 })).toEqual(['temperature_c', 'pulse', 'spo2']);
    expect(abnormal({ consciousness: 'I-1' })).toEqual(['consciousness']);
    expect(abnormal({ consciousness: '0' })).toEqual([]);
    expect(abnormal({})).toEqual([]);
    // The same table with another threshold flags otherwise: nothing else decides.
    const stricter = { ...table, ranges: table.ranges!.map((r) => (r.key === 'spo2' ? { ...r, low: 95 } : r)) };
    expect(abnormal({ spo2: 94 }, stricter)).toEqual(['spo2']);
  });

  it('shows temperatures with one decimal and states the 基準範囲 in words', () => {
    setLang('ja');
    expect(formatVital('temperature_c', 37)).toBe('37.0');
    expect(formatVital('pulse', 72)).toBe('72');
    vitalTable.value = table;
    expect(rangeText('temperature_c')).toBe('35.0以上 37.5未満');
    expect(rangeText('spo2')).toBe('93以上');
    expect(rangeText('pulse')).toBe('50以上 100以下');
    expect(rangeText('weight_kg')).toBe('');
    expect(band('spo2')).toEqual([93, 100]);
    expect(vitalRows({ temperature_c: 37, spo2: 90, consciousness: 'II-10' })).toEqual([
      { key: 'temperature_c', text: '37.0', abnormal: false },
      { key: 'spo2', text: '90', abnormal: true },
      { key: 'consciousness', text: 'II-10', abnormal: true },
    ]);
  });
  it('gives each profession its template first and keeps chart kinds to clinical staff', () => {
    expect(kindsFor('nurse')[0]).toBe('nursing_visit');
    expect(kindsFor('pharmacist')[0]).toBe('medication');
    expect(kindsFor('care_worker')).not.toContain('nursing_visit');
    expect(kindsFor('care_manager')).toEqual(['care_note', 'note', 'document']);
  });
});

describe('photo', () => {
  it('fits the long side within 2048 px and never upscales', () => {
    expect(fitWithin(4032, 3024)).toEqual([2048, 1536]);
    expect(fitWithin(3024, 4032)).toEqual([1536, 2048]);
    expect(fitWithin(800, 600)).toEqual([800, 600]);
  });
});
