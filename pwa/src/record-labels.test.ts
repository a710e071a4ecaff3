import { describe, expect, it } from 'vitest';
import { setLang } from './i18n';
import { fieldLabel, fieldValue } from './ui/record-content';

describe('field labels and values of the record view and the summary', () => {
  it('labels every kind of leaf in Japanese', () => {
    setLang('ja');
    expect(fieldLabel('vitals.temperature_c')).toBe('体温(℃)');
    expect(fieldLabel('vitals.consciousness')).toBe('意識レベル(JCS)');
    expect(fieldLabel('fields.wound')).toBe('褥瘡・創傷の評価');
    expect(fieldLabel('fields.drugs_checked.2.leftover')).toBe('薬2 残薬');
    expect(fieldLabel('next_visit_on')).toBe('次回訪問予定日');
    expect(fieldLabel('status')).toBe('状態');
  });

  it('shows codes as words, temperatures with one decimal, dates as dates', () => {
    setLang('ja');
    expect(fieldValue('vitals.temperature_c', '37')).toBe('37.0');
    expect(fieldValue('vitals.consciousness', 'II-10')).toBe('II-10');
    expect(fieldValue('fields.document_type', 'nursing_order')).toBe('訪問看護指示書');
    expect(fieldValue('fields.adherence', 'partial')).toBe('一部飲み忘れ');
    expect(fieldValue('status', 'entered_in_error')).toBe('入力誤り');
    expect(fieldValue('attachment_ids', 'a b c')).toBe('3枚');
    expect(fieldValue('fields.conference_on', '2026-12-10')).toContain('12月10日');
    expect(fieldValue('plan_changed', 'true')).toBe('あり');
    expect(fieldValue('fields.wound', undefined)).toBe('(なし)');
  });
});
