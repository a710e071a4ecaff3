import { describe, expect, it } from 'vitest';
import { fileFault, insurerCheckDigit, validInsured, validInsurer } from './careplan';

describe('介護保険 numbers', () => {
  it('checks the 保険者番号 check digit as the server does', () => {
    for (const ok of ['131011', '141002', '271007', '011007', '435073', '139998']) expect(validInsurer(ok)).toBe(true);
    for (const bad of ['131012', '13101', '1310111', '13101a', '']) expect(validInsurer(bad)).toBe(false);
    expect(insurerCheckDigit('13999')).toBe('8');
  });
  it('takes 10 digits, or H and 9 (生保単独), as a 被保険者番号', () => {
    expect(validInsured('0000012345')).toBe(true);
    expect(validInsured('H123456789')).toBe(true);
    expect(validInsured('000001234')).toBe(false);
    expect(validInsured('H12345678')).toBe(false);
  });
});

describe('fileFault', () => {
  it('reads the row and column of a refused file', () => {
    expect(fileFault({ location: 'body.rows[3].columns[10]', message: 'サービス利用日: must be a date YYYYMMDD that exists' })).toEqual({
      row: 3, column: 10, name: 'サービス利用日', rule: 'must be a date YYYYMMDD that exists', inName: false,
    });
    expect(fileFault({ location: 'body.rows[2]', message: 'a row must have exactly 25 columns (標準仕様 4.x)' })).toEqual({ row: 2, rule: 'a row must have exactly 25 columns (標準仕様 4.x)', inName: false });
    expect(fileFault({ location: 'query.filename', message: 'must be a month YYYYMM that exists' }).inName).toBe(true);
  });
});
