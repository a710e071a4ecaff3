import { describe, expect, it } from 'vitest';
import { ja } from '../../i18n/ja';
import { careJa } from '../../i18n/care';
import { formsEn, formsJa } from './messages';

describe('record form messages', () => {
  it('has both languages, nothing empty, and shadows no core or patient-screen key', () => {
    expect(Object.keys(formsEn).sort()).toEqual(Object.keys(formsJa).sort());
    for (const v of [...Object.values(formsJa), ...Object.values(formsEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(formsJa)) {
      expect(k in ja, k).toBe(false);
      expect(k in careJa, k).toBe(false);
    }
  });
  it('says 基準範囲, never 目安', () => {
    for (const v of [...Object.values(formsJa), ...Object.values(ja)]) expect(v).not.toContain('目安');
  });
});
