import { describe, expect, it } from 'vitest';
import { MAX_PAGES, checkConsent, checkPatient, pages, patientBody, wareki, type PatientForm } from './onboard';

describe('wareki', () => {
  it('writes the example of the registration form', () => {
    expect(wareki('1940-03-02')).toBe('昭和15年3月2日');
  });
  it.each([
    ['2019-04-30', '平成31年4月30日'],
    ['2019-05-01', '令和元年5月1日'],
    ['2020-01-01', '令和2年1月1日'],
    ['1989-01-07', '昭和64年1月7日'],
    ['1989-01-08', '平成元年1月8日'],
    ['1926-12-24', '大正15年12月24日'],
    ['1926-12-25', '昭和元年12月25日'],
    ['1912-07-29', '明治45年7月29日'],
    ['1912-07-30', '大正元年7月30日'],
    ['1900-01-01', '明治33年1月1日'],
  ])('%s is %s', (day, want) => {
    expect(wareki(day)).toBe(want);
  });
  it('answers nothing for what is not yet a whole, real date', () => {
    for (const s of ['', '1940', '1940-03', '1940-3-2', '1940-02-30', '2019-13-01', '1872-12-31']) expect(wareki(s)).toBeUndefined();
  });
});

const ok: PatientForm = { name: '見本 花子', name_kana: 'ミホン はなこ', birth_date: '1940-03-02', sex: 'female', address: '架空県つなぐ市1-1', phone: '000-0000-0000' };

describe('checkPatient', () => {
  const today = '2026-12-04';
  it('accepts a complete form, and an empty address and phone', () => {
    expect(checkPatient(ok, today)).toEqual({});
    expect(checkPatient({ ...ok, address: '', phone: '' }, today)).toEqual({});
  });
  it('names each field and its rule', () => {
    expect(checkPatient({ name: ' ', name_kana: '', birth_date: '', sex: '', address: '', phone: '' }, today))
      .toEqual({ name: 'required', name_kana: 'required', birth_date: 'required', sex: 'required' });
    expect(checkPatient({ ...ok, name_kana: '見本' }, today)).toEqual({ name_kana: 'kana' });
    expect(checkPatient({ ...ok, name: 'あ'.repeat(101) }, today)).toEqual({ name: 'too_long' });
    expect(checkPatient({ ...ok, birth_date: '1940-02-30' }, today)).toEqual({ birth_date: 'date' });
    expect(checkPatient({ ...ok, birth_date: '2026-12-05' }, today)).toEqual({ birth_date: 'future' });
    expect(checkPatient({ ...ok, birth_date: '2026-12-04' }, today)).toEqual({});
    expect(checkPatient({ ...ok, birth_date: '1899-12-31' }, today)).toEqual({ birth_date: 'too_old' });
    expect(checkPatient({ ...ok, phone: '03-1234-ABCD' }, today)).toEqual({ phone: 'phone' });
    expect(checkPatient({ ...ok, phone: '0'.repeat(21) }, today)).toEqual({ phone: 'too_long' });
    expect(checkPatient({ ...ok, address: 'あ'.repeat(301) }, today)).toEqual({ address: 'too_long' });
  });
  it('sends trimmed text', () => {
    expect(patientBody({ ...ok, name: '  見本 花子 ', phone: ' 000 ' })).toMatchObject({ name: '見本 花子', phone: '000', sex: 'female' });
  });
});

describe('pages of a signed form', () => {
  it('adds in order and drops what does not fit', () => {
    let list: string[] = [];
    ({ list } = pages.add(list, ['p1', 'p2']));
    ({ list } = pages.add(list, ['p3']));
    expect(list).toEqual(['p1', 'p2', 'p3']);
    const full = pages.add(list, Array.from({ length: 30 }, (_, i) => `x${i}`));
    expect(full.list).toHaveLength(MAX_PAGES);
    expect(full.dropped).toBe(30 - (MAX_PAGES - 3));
    expect(full.list.slice(0, 4)).toEqual(['p1', 'p2', 'p3', 'x0']);
  });
  it('removes one page and keeps the order of the others', () => {
    expect(pages.remove(['p1', 'p2', 'p3'], 1)).toEqual(['p1', 'p3']);
    expect(pages.remove(['p1'], 5)).toEqual(['p1']);
  });
  it('moves a page earlier or later, never off the ends', () => {
    expect(pages.move(['p1', 'p2', 'p3'], 2, -1)).toEqual(['p1', 'p3', 'p2']);
    expect(pages.move(['p1', 'p2', 'p3'], 0, 1)).toEqual(['p2', 'p1', 'p3']);
    expect(pages.move(['p1', 'p2', 'p3'], 0, -1)).toEqual(['p1', 'p2', 'p3']);
    expect(pages.move(['p1', 'p2', 'p3'], 2, 1)).toEqual(['p1', 'p2', 'p3']);
  });
});

describe('checkConsent', () => {
  const today = '2026-12-04';
  const good = { obtained_on: today, scope: 'full' as const, obtained_by: 'me', pages: 2 };
  it('accepts a complete consent', () => expect(checkConsent(good, today)).toEqual({}));
  it('needs the photographed form, within the page limit', () => {
    expect(checkConsent({ ...good, pages: 0 }, today)).toEqual({ pages: 'no_pages' });
    expect(checkConsent({ ...good, pages: MAX_PAGES + 1 }, today)).toEqual({ pages: 'too_many_pages' });
    expect(checkConsent({ ...good, pages: MAX_PAGES }, today)).toEqual({});
  });
  it('names a missing scope, who, and a date in the future', () => {
    expect(checkConsent({ ...good, scope: '', obtained_by: '', obtained_on: '2026-12-05' }, today))
      .toEqual({ scope: 'required', obtained_by: 'required', obtained_on: 'future' });
    expect(checkConsent({ ...good, obtained_on: '' }, today)).toEqual({ obtained_on: 'required' });
  });
});

describe('checkPatient: 介護保険 numbers', () => {
  const today = '2026-11-21';
  it('takes them optional, checks the 保険者番号 check digit and the 10 digits, and sends them', () => {
    expect(checkPatient({ ...ok, insurer_number: '131011', insured_number: '0000012345' }, today)).toEqual({});
    expect(checkPatient({ ...ok, insurer_number: '131012', insured_number: '12345' }, today)).toEqual({ insurer_number: 'insurer', insured_number: 'insured' });
    expect(patientBody({ ...ok, insurer_number: '131011', insured_number: '0000012345' })).toMatchObject({ insurer_number: '131011', insured_number: '0000012345' });
    expect(patientBody(ok)).not.toHaveProperty('insurer_number');
  });
});
