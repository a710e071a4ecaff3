import { describe, expect, it } from 'vitest';
import { errorMessage, setLang, t } from './index';
import { notifyEn, notifyJa } from './notify';
import { ja } from './ja';

describe('notification settings messages', () => {
  it('have both languages, no empty message, no overlap with the first load', () => {
    expect(Object.keys(notifyEn).sort()).toEqual(Object.keys(notifyJa).sort());
    for (const v of [...Object.values(notifyJa), ...Object.values(notifyEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(notifyJa)) expect(k in ja).toBe(false);
  });
  it('name the e-mail errors of the server once the screen is loaded', () => {
    setLang('ja');
    for (const code of ['mail_not_configured', 'email_token_invalid', 'email_too_soon']) expect(errorMessage(code)).not.toBe(t('error.unknown'));
  });
});
