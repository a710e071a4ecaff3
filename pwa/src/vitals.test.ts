import { describe, expect, it } from 'vitest';
import { fitWithin } from './photo';
import { abnormal, kindsFor } from './vitals';

describe('vitals', () => {
  it('flags values outside the usual range only', () => {
    expect(abnormal({ temperature_c: 38.2, pulse: 72, spo2: 91 })).toEqual(['temperature_c', 'spo2']);
    expect(abnormal({})).toEqual([]);
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
