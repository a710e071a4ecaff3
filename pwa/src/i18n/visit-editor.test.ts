import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ja } from './ja';
import { visitEditorEn, visitEditorJa } from './visit-editor';

describe('visit editor messages', () => {
  it('has both languages, no empty message, none shadowing a core key', () => {
    expect(Object.keys(visitEditorEn).sort()).toEqual(Object.keys(visitEditorJa).sort());
    for (const v of [...Object.values(visitEditorJa), ...Object.values(visitEditorEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(visitEditorJa)) expect(k in ja || k in en, k).toBe(false);
  });
});
