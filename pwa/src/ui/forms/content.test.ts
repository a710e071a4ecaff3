import { describe, expect, it } from 'vitest';
import { KIND_FIELDS, bpOrderWrong, changed, emptyState, isEmpty, stateOf, toContent, type FormState } from './content';

const at = '2026-12-04T10:00';
const with_ = (s: FormState, patch: Partial<FormState>): FormState => ({ ...s, ...patch });

describe('form → record content', () => {
  it('makes a nursing visit: vitals as numbers with the JCS code, wound and DESIGN-R, only its own fields', () => {
    const s = with_(emptyState('nursing_visit', at), {
      vitals: { temperature_c: '37.0', bp_systolic: '132', spo2: ' ' },
      jcs: 'I-2',
      f: { observations: ' 顔色良好 ', wound: '仙骨部 2×3cm', design_r: '12', excretion: '', intake: '7割', findings: '他の種類の欄' },
      text: '  ', next: '2026-12-08', plan: true, careNotes: '水分を促す',
    });
    expect(toContent(s)).toEqual({
      text: '',
      fields: { observations: '顔色良好', wound: '仙骨部 2×3cm', design_r: 12, intake: '7割' },
      vitals: { temperature_c: 37, bp_systolic: 132, consciousness: 'I-2' },
      next_visit_on: '2026-12-08', plan_changed: true, care_notes: '水分を促す',
    });
  });

  it('makes a medication record: drugs with leftover counts, and a report to the doctor asks the doctor to look', () => {
    const s = with_(emptyState('medication', at), {
      drugs: [{ name: 'アムロジピン', dose: '5mg 朝', leftover: '14', note: '' }, { name: ' ', dose: '1錠', leftover: '3', note: '' }, { name: 'マグミット', dose: '', leftover: '0', note: '便秘時' }],
      f: { adherence: 'partial', report_to_doctor: '残薬が多く、朝の内服を忘れがち', side_effects: '' },
    });
    const c = toContent(s);
    expect(c.fields).toEqual({
      drugs_checked: [{ name: 'アムロジピン', dose: '5mg 朝', leftover: 14 }, { name: 'マグミット', note: '便秘時', leftover: 0 }],
      adherence: 'partial', report_to_doctor: '残薬が多く、朝の内服を忘れがち', flag_to_doctor: true,
    });
    expect(c.vitals).toBeUndefined();
    expect(toContent(with_(s, { f: { adherence: 'good' } })).fields.flag_to_doctor).toBeUndefined();
    expect(toContent(with_(s, { f: {}, flag: true })).fields.flag_to_doctor).toBe(true);
  });

  it('keeps to each kind its own fields and vitals only on chart kinds', () => {
    const f = { observations: 'a', findings: 'b', coordination: 'c', conference_on: '2026-12-10', instruction_valid_until: '2026-12-31', title: 'd' };
    for (const kind of ['nursing_visit', 'doctor_note', 'medication', 'care_note', 'note'] as const) {
      const c = toContent(with_(emptyState(kind, at), { f, vitals: { pulse: '70' } }));
      for (const k of Object.keys(c.fields)) expect(KIND_FIELDS[kind], `${kind}.${k}`).toContain(k);
      expect(!!c.vitals, kind).toBe(kind !== 'care_note' && kind !== 'note');
    }
    expect(toContent(with_(emptyState('care_note', at), { f })).fields).toEqual({ coordination: 'c', conference_on: '2026-12-10' });
    expect(toContent(with_(emptyState('doctor_note', at), { f })).fields).toEqual({ findings: 'b', instruction_valid_until: '2026-12-31' });
  });

  it('gives back the form of a stored record for its amendment', () => {
    const rec = {
      kind: 'medication' as const, text: '訪問', vitals: { temperature_c: 36.5, consciousness: '0' as const },
      fields: { drugs_checked: [{ name: 'A', leftover: 2 }], adherence: 'good', report_to_doctor: '報告', flag_to_doctor: true },
      next_visit_on: '2026-12-09', plan_changed: false, care_notes: '',
    };
    const s = stateOf(rec, at);
    expect(s.vitals).toEqual({ temperature_c: '36.5' });
    expect(s.jcs).toBe('0');
    expect(s.drugs).toEqual([{ name: 'A', dose: '', leftover: '2', note: '' }]);
    const c = toContent(s);
    expect(c).toMatchObject({ text: '訪問', vitals: { temperature_c: 36.5, consciousness: '0' }, next_visit_on: '2026-12-09', fields: rec.fields });
  });

  it('knows an empty form, a changed one and a diastolic pressure that is not below the systolic', () => {
    const e = emptyState('medication', at);
    expect(isEmpty(toContent(e))).toBe(true);
    expect(isEmpty(toContent(with_(e, { f: { adherence: 'unknown' } })))).toBe(true);
    expect(isEmpty(toContent(with_(e, { f: { adherence: 'poor' } })))).toBe(false);
    expect(changed(e, emptyState('medication', at))).toBe(false);
    expect(changed(e, with_(e, { text: 'x' }))).toBe(true);
    expect(bpOrderWrong(toContent(with_(emptyState('nursing_visit', at), { vitals: { bp_systolic: '120', bp_diastolic: '120' } })))).toBe(true);
    expect(bpOrderWrong(toContent(with_(emptyState('nursing_visit', at), { vitals: { bp_systolic: '120', bp_diastolic: '80' } })))).toBe(false);
  });
});

describe('record fields as the timeline shows them', () => {
  it('lists what a form wrote with its label, leftovers with each medicine, and shortens long texts', async () => {
    const { fieldLines } = await import('../record-fields');
    const s = with_(emptyState('medication', at), {
      drugs: [{ name: 'アムロジピン', dose: '5mg', leftover: '14', note: '' }],
      f: { adherence: 'partial', report_to_doctor: 'あ'.repeat(200) }, careNotes: '転倒に注意',
    });
    const lines = fieldLines({ ...toContent(s), fields: toContent(s).fields }, 20);
    expect(lines.map(([k]) => k)).toEqual(['確認した薬', '服薬状況', '医師への報告(服薬情報提供)', 'チームへの留意事項']);
    expect(lines[0]![1]).toBe('アムロジピン 5mg 残薬 14');
    expect(lines[1]![1]).toBe('一部飲み忘れ');
    expect(lines[2]![1]).toBe(`${'あ'.repeat(20)}…`);
    expect(fieldLines({ fields: { adherence: 'unknown' } })).toEqual([]);
  });
});
