import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ja } from './ja';
import { adminEn, adminJa } from '../admin/messages';
import { addMessages, age, errorMessage, formatDate, formatEraDate, setLang, t, toHiragana, tokyoDay, tx } from './index';

describe('i18n', () => {
  it('has the same keys in every catalogue and no empty message', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
    for (const v of [...Object.values(ja), ...Object.values(en)]) expect(v.trim()).not.toBe('');
  });

  it('has the same keys in the lazily added catalogues (the office console), none shadowing a core key', () => {
    expect(Object.keys(adminEn).sort()).toEqual(Object.keys(adminJa).sort());
    for (const v of [...Object.values(adminJa), ...Object.values(adminEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(adminJa)) if (k.startsWith('admin.')) expect(k in ja).toBe(false);
  });

  it('uses an added catalogue once registered, also for error codes', () => {
    setLang('ja');
    expect(errorMessage('not_available')).toBe(ja['error.unknown']); // the console's own code, before it loads
    addMessages({ ja: adminJa, en: adminEn });
    for (const code of ['admin_only', 'own_account_change', 'profession_not_grantable', 'login_id_taken', 'password_policy', 'not_available']) {
      expect(errorMessage(code)).not.toBe(ja['error.unknown']);
    }
    expect(tx('admin.alerts.rule.many_patients')).toBe('短時間に多数の患者を閲覧');
    setLang('en');
    expect(tx('admin.alerts.rule.many_patients')).toBe('Many patients read in a short time');
    expect(errorMessage('own_account_change')).toBe(adminEn['error.own_account_change']);
    expect(t('sync.waiting', { n: 1 })).toBe('1 waiting to send');
    setLang('ja');
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
