import { describe, expect, it } from 'vitest';
import { diffContent, leaves, previousOf, versionKind, type Content } from './diff';
import type { VersionOut } from './schemas';

describe('leaves', () => {
  it('lists every field that holds a value, in display order, drugs numbered from 1', () => {
    const c: Content = {
      text: '様子は安定',
      vitals: { temperature_c: 37, spo2: 96, consciousness: 'I-1' },
      fields: { wound: '仙骨部 2cm', design_r: 9, plan: '体位変換', drugs_checked: [{ name: 'A錠', dose: '1錠', leftover: 0 }, { name: 'B錠' }], flag_to_doctor: false },
      plan_changed: true,
      attachment_ids: ['a1', 'a2'],
      status: 'final',
    };
    expect(leaves(c)).toEqual([
      ['vitals.temperature_c', '37'],
      ['vitals.spo2', '96'],
      ['vitals.consciousness', 'I-1'],
      ['fields.wound', '仙骨部 2cm'],
      ['fields.design_r', '9'],
      ['fields.plan', '体位変換'],
      ['fields.drugs_checked.1.name', 'A錠'],
      ['fields.drugs_checked.1.dose', '1錠'],
      ['fields.drugs_checked.1.leftover', '0'],
      ['fields.drugs_checked.2.name', 'B錠'],
      ['text', '様子は安定'],
      ['plan_changed', 'true'],
      ['attachment_ids', 'a1 a2'],
    ]);
    expect(leaves(undefined)).toEqual([]);
    expect(leaves({ status: 'entered_in_error' })).toEqual([['status', 'entered_in_error']]);
  });
});

describe('diffContent', () => {
  const before: Content = {
    text: '発赤あり',
    vitals: { temperature_c: 37.8, pulse: 88 },
    fields: { wound: '仙骨部 2cm', design_r: 12, drugs_checked: [{ name: 'A錠', leftover: 3 }] },
  };

  it('is empty when nothing changed', () => {
    expect(diffContent(before, structuredClone(before))).toEqual([]);
  });

  it('names each changed, added and removed field with its old and new value, in display order', () => {
    const after: Content = {
      text: '発赤あり',
      vitals: { temperature_c: 36.8, spo2: 97 },
      fields: { wound: '仙骨部 1.5cm', design_r: 12, drugs_checked: [{ name: 'A錠', leftover: 1 }], side_effects: 'ふらつき' },
      next_visit_on: '2026-12-10',
    };
    expect(diffContent(before, after)).toEqual([
      { path: 'vitals.temperature_c', before: '37.8', after: '36.8' },
      { path: 'vitals.pulse', before: '88' },
      { path: 'vitals.spo2', after: '97' },
      { path: 'fields.wound', before: '仙骨部 2cm', after: '仙骨部 1.5cm' },
      { path: 'fields.drugs_checked.1.leftover', before: '3', after: '1' },
      { path: 'fields.side_effects', after: 'ふらつき' },
      { path: 'next_visit_on', after: '2026-12-10' },
    ]);
  });

  it('sees a record marked entered in error, and a new drug row', () => {
    const after: Content = { ...before, status: 'entered_in_error', fields: { ...before.fields, drugs_checked: [...before.fields!.drugs_checked!, { name: 'C錠', leftover: 10 }] } };
    expect(diffContent(before, after)).toEqual([
      { path: 'status', after: 'entered_in_error' },
      { path: 'fields.drugs_checked.2.name', after: 'C錠' },
      { path: 'fields.drugs_checked.2.leftover', after: '10' },
    ]);
  });

  it('orders drug 10 after drug 2', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `薬${i + 1}` }));
    const d = diffContent({ fields: { drugs_checked: many(1) } }, { fields: { drugs_checked: many(10) } });
    expect(d.map((c) => c.path)).toEqual(Array.from({ length: 9 }, (_, i) => `fields.drugs_checked.${i + 2}.name`));
  });

  it('compares against nothing for a first version', () => {
    expect(diffContent(undefined, { text: 'x' })).toEqual([{ path: 'text', after: 'x' }]);
  });
});

describe('versions', () => {
  const v = (version: number, entered_by: string, parent_version?: number) => ({ version, entered_by, parent_version }) as VersionOut;

  it('finds the version an amendment was based on', () => {
    const vs = [v(1, 'a'), v(2, 'b', 1), v(3, 'a', 1)];
    expect(previousOf(vs, vs[0]!)).toBeUndefined();
    expect(previousOf(vs, vs[1]!)?.version).toBe(1);
    expect(previousOf(vs, vs[2]!)?.version).toBe(1); // a stale parent: compared with what it amended
    expect(previousOf(vs, v(4, 'a'))?.version).toBe(3);
  });

  it('labels another member\'s amendment a correction (訂正), a first version by someone else 代行入力', () => {
    expect(versionKind(v(1, 'author'), 'author')).toBe('original');
    expect(versionKind(v(1, 'clerk'), 'author')).toBe('proxy');
    expect(versionKind(v(2, 'nurse2', 1), 'author')).toBe('correction_by_other');
    expect(versionKind(v(2, 'author', 1), 'author')).toBe('correction');
  });
});
