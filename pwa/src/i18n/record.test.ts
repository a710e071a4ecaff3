import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ja } from './ja';
import { recordEn, recordJa } from './record';

describe('record view and summary messages (record.ts)', () => {
  it('has the same keys in both languages, none empty, none shadowing a first-load key', () => {
    expect(Object.keys(recordEn).sort()).toEqual(Object.keys(recordJa).sort());
    for (const v of [...Object.values(recordJa), ...Object.values(recordEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(recordJa)) expect(k in ja || k in en, k).toBe(false);
  });

  it('labels every structured field of every kind (internal/care/record.go KindFields)', async () => {
    const { FIELD_ORDER } = await import('../diff');
    for (const f of FIELD_ORDER) expect(recordJa, f).toHaveProperty(`rv.field.${f}`);
    for (const c of ['referral', 'medical_info', 'prescription', 'nursing_order', 'consent', 'lab_result', 'other']) expect(recordJa).toHaveProperty(`rv.doctype.${c}`);
    for (const a of ['good', 'partial', 'poor', 'unknown']) expect(recordJa).toHaveProperty(`rv.adherence.${a}`);
  });
});
