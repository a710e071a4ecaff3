import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ja } from './ja';
import { adminEn, adminJa } from '../admin/messages';
import { careEn, careJa } from './care';
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

  it('has the same keys in the patient screens\' catalogue (care.ts), none shadowing a core or console key', () => {
    expect(Object.keys(careEn).sort()).toEqual(Object.keys(careJa).sort());
    for (const v of [...Object.values(careJa), ...Object.values(careEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(careJa)) {
      expect(k in ja, k).toBe(false);
      expect(k in en, k).toBe(false);
      expect(k in adminJa, k).toBe(false);
    }
  });

  it('keeps the patient screens\' messages out of the first load, and every one of them is used', () => {
    const files = sources();
    const first = firstLoad(files, 'main.tsx');
    for (const f of ['ui/app.tsx', 'ui/lists.tsx', 'ui/lazy.tsx', 'i18n/index.ts', 'i18n/ja.ts']) expect(first.has(f), f).toBe(true); // the walk follows static imports
    expect('i18n/care.ts' in files).toBe(true);
    for (const f of ['i18n/care.ts', 'ui/onboard.tsx', 'ui/consents.tsx', 'ui/team.tsx', 'ui/access-log.tsx', 'team.ts', 'admin/messages.ts']) expect(first.has(f), f).toBe(false);
    // Screens not on the first screen load when opened (app.tsx).
    for (const f of ['i18n/en.ts', 'ui/patient.tsx', 'ui/record-new.tsx', 'ui/record-view.tsx', 'ui/conflicts.tsx', 'ui/settings.tsx', 'ui/vitals-chart.tsx']) expect(first.has(f), f).toBe(false);
    const careKeys = Object.keys(careJa);
    for (const f of first) {
      // A key (or a template that makes one) in a first-load module would show as the raw key until a screen loads.
      for (const k of careKeys) expect(files[f]!.includes(`'${k}'`), `${k} in ${f}`).toBe(false);
      for (const re of templates(files[f]!)) expect(careKeys.filter((k) => re.test(k)), `${re} in ${f}`).toEqual([]);
    }
    const code = Object.entries(files).filter(([f]) => !/^i18n\/(ja|en|care)\.ts$/.test(f)).map(([, src]) => src);
    const made = code.flatMap(templates);
    const unused = careKeys.filter((k) => !code.some((src) => src.includes(`'${k}'`)) && !made.some((re) => re.test(k)));
    expect(unused).toEqual([]);
  });

  it('uses an added catalogue once registered, also for error codes', () => {
    setLang('ja');
    expect(errorMessage('own_alert')).toBe(ja['error.unknown']); // the console's own code, before it loads
    addMessages({ ja: adminJa, en: adminEn });
    for (const code of ['admin_only', 'own_account_change', 'profession_not_grantable', 'login_id_taken', 'password_policy', 'own_alert']) {
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

/** The app's sources (tests left out), by path under src/. */
function sources(): Record<string, string> {
  const all = import.meta.glob<string>(['/src/**/*.ts', '/src/**/*.tsx', '!/src/**/*.test.ts'], { query: '?raw', import: 'default', eager: true });
  return Object.fromEntries(Object.entries(all).map(([p, src]) => [p.replace(/^\/src\//, ''), src]));
}

/** The modules reached from `entry` by static imports (import() and `import type` do not load anything). */
function firstLoad(files: Record<string, string>, entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
    for (const m of files[f]!.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      const parts: string[] = [];
      for (const seg of (dir + m[1]!).split('/')) {
        if (seg === '..') parts.pop();
        else if (seg !== '.') parts.push(seg);
      }
      const base = parts.join('/');
      const hit = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`].find((c) => c in files);
      if (hit) walk(hit);
    }
  };
  walk(entry);
  return seen;
}

/** The patient screens' keys a template literal makes, e.g. `team.status.${st}`, as patterns. */
function templates(src: string): RegExp[] {
  return [...src.matchAll(/`((?:onboard|consent|team|accesslog)\.[^`]*\$\{[^`]*)`/g)].map(
    (m) => new RegExp(`^${m[1]!.split(/\$\{[^}]*\}/).map((s) => s.replace(/[.*+?^()|[\]\\]/g, '\\$&')).join('[a-z0-9_.]+')}$`),
  );
}
