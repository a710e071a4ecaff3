import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ja } from './ja';
import { age, errorMessage, formatDate, formatEraDate, setLang, t, toHiragana, tokyoDay } from './index';

describe('i18n', () => {
  it('has the same keys in every catalogue and no empty message', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
    for (const v of [...Object.values(ja), ...Object.values(en)]) expect(v.trim()).not.toBe('');
  });

  it('maps the API error codes to Japanese messages, unknown ones to a generic one', () => {
    setLang('ja');
    for (const code of ['invalid_credentials', 'password_expired', 'account_dormant', 'totp_required', 'totp_invalid', 'not_found', 'forbidden', 'validation_failed', 'conflict']) {
      expect(errorMessage(code)).toBe(ja[`error.${code}` as keyof typeof ja]);
    }
    expect(errorMessage('no_such_code')).toBe(ja['error.unknown']);
  });

  it('fills placeholders and switches language', () => {
    setLang('ja');
    expect(t('sync.waiting', { n: 3 })).toBe('未送信 3件');
    setLang('en');
    expect(t('sync.waiting', { n: 3 })).toBe('3 waiting to send');
    setLang('ja');
  });

  it('formats dates in Tokyo, with the Japanese era where wanted', () => {
    setLang('ja');
    // 2025-11-20 16:00 UTC is already the 21st in Tokyo.
    expect(tokyoDay('2025-11-20T16:00:00Z')).toBe('2025-11-21');
    expect(formatDate('2025-11-20T16:00:00Z')).toContain('11月21日');
    expect(formatEraDate('1941-03-05')).toBe('昭和16年3月5日');
    expect(formatEraDate('2019-05-01')).toMatch(/^令和(元|1)年5月1日$/);
  });

  it('computes age and normalises kana', () => {
    expect(age('1941-03-05', '2025-03-04')).toBe(83);
    expect(age('1941-03-05', '2025-03-05')).toBe(84);
    expect(toHiragana('ヤマダ ハナコ')).toBe('やまだ はなこ');
  });
});
