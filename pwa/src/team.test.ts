import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from './i18n';
import { careEn, careJa } from './i18n/care';
import { ACTIONS, ROLES, actionLabel, activeCount, defaultRole, filterStaff, fold, memberStatus, professionLabel, resultLabel, roleLabel, sortMembers } from './team';

const m = (user_id: string, role: string, status: 'active' | 'suspended' | 'revoked' | undefined, name_kana = '') =>
  ({ user_id, role, status, name_kana }) as { user_id: string; role: string; status: 'active' | 'suspended' | 'revoked'; name_kana: string };

const staff = (id: string, name: string, name_kana: string, profession: string, facility_id: string | undefined, status = 'active') =>
  ({ id, name, name_kana, profession, facility_id, status });

afterEach(() => setLang('ja'));

describe('role and profession labels', () => {
  it('names every team role in Japanese', () => {
    expect(ROLES.map(roleLabel)).toEqual(['主治医', '副主治医', '訪問看護師', 'ケアマネジャー', '訪問薬剤師', '看護助手', 'ヘルパー', 'その他']);
    expect(professionLabel('nurse')).toBe('看護師');
    expect(professionLabel('care_manager')).toBe('ケアマネジャー');
  });
  it('shows an unknown code as it is, and English when switched', () => {
    expect(roleLabel('astronaut')).toBe('astronaut');
    expect(professionLabel('astronaut')).toBe('astronaut');
    setLang('en');
    expect(roleLabel('primary_physician')).toBe('Primary physician');
  });
});

describe('member status', () => {
  it('treats a copy synced before the server sent a status as active', () => {
    expect(memberStatus({ status: undefined as never })).toBe('active');
    expect(memberStatus({ status: 'suspended' })).toBe('suspended');
    expect(memberStatus({ status: 'revoked' })).toBe('revoked');
  });
  it('lists active members first, by role, then suspended, then revoked', () => {
    const team = [
      m('h', 'helper', 'active', 'へるぱー'),
      m('rev', 'primary_physician', 'revoked'),
      m('n2', 'visiting_nurse', 'active', 'すずき'),
      m('sus', 'visiting_nurse', 'suspended'),
      m('n1', 'visiting_nurse', undefined, 'サトウ'), // katakana sorts with hiragana
      m('d', 'primary_physician', 'active'),
      m('x', 'unknown_role', 'active'),
    ];
    expect(sortMembers(team).map((x) => x.user_id)).toEqual(['d', 'n1', 'n2', 'h', 'x', 'sus', 'rev']);
  });
  it('counts only active members', () => {
    expect(activeCount([m('a', 'other', 'active'), m('b', 'other', 'suspended'), m('c', 'other', 'revoked'), m('d', 'other', undefined)])).toBe(2);
    expect(activeCount([])).toBe(0);
  });
  it('proposes the role of a profession; a second doctor is the deputy unless the primary is inactive', () => {
    expect(defaultRole('nurse')).toBe('visiting_nurse');
    expect(defaultRole('pharmacist')).toBe('visiting_pharmacist');
    expect(defaultRole('care_worker')).toBe('helper');
    expect(defaultRole('dietitian')).toBe('other');
    expect(defaultRole('doctor', [])).toBe('primary_physician');
    expect(defaultRole('doctor', [m('d', 'primary_physician', 'active')])).toBe('deputy_physician');
    expect(defaultRole('doctor', [m('d', 'primary_physician', 'revoked')])).toBe('primary_physician');
  });
});

describe('staff search', () => {
  const users = [
    staff('1', '佐藤 花子', 'サトウ ハナコ', 'nurse', 'st'),
    staff('2', '鈴木 一郎', 'すずき いちろう', 'doctor', 'cl'),
    staff('3', '佐藤 次郎', 'サトウ ジロウ', 'doctor', 'cl', 'suspended'),
    staff('4', '事務局 太郎', 'ジムキョク タロウ', 'other', undefined),
    staff('5', '佐々木 恵', 'ササキ メグミ', 'care_manager', 'cm'),
  ];
  it('matches name or kana whatever the script, spaces and width', () => {
    expect(filterStaff(users, { q: '佐藤', facilityId: '', profession: '' }).map((u) => u.id)).toEqual(['1']);
    expect(filterStaff(users, { q: 'さとうはな', facilityId: '', profession: '' }).map((u) => u.id)).toEqual(['1']);
    expect(filterStaff(users, { q: 'ｽｽﾞｷ', facilityId: '', profession: '' }).map((u) => u.id)).toEqual(['2']);
    expect(filterStaff(users, { q: 'さ', facilityId: '', profession: '' }).map((u) => u.id)).toEqual(['5', '1']);
    expect(fold(' サトウ　ハナコ ')).toBe('さとうはなこ');
  });
  it('leaves out inactive accounts and accounts without a facility (the server refuses them)', () => {
    expect(filterStaff(users, { q: '', facilityId: '', profession: '' }).map((u) => u.id)).toEqual(['5', '1', '2']); // ささき, さとう, すずき
  });
  it('filters by facility and profession', () => {
    expect(filterStaff(users, { q: '', facilityId: 'cl', profession: '' }).map((u) => u.id)).toEqual(['2']);
    expect(filterStaff(users, { q: '', facilityId: '', profession: 'care_manager' }).map((u) => u.id)).toEqual(['5']);
    expect(filterStaff(users, { q: '佐藤', facilityId: 'cl', profession: '' })).toEqual([]);
  });
});

describe('access-log labels', () => {
  it('names the audit actions in plain Japanese', () => {
    expect(actionLabel('record.read')).toBe('記録を閲覧');
    expect(actionLabel('patient.read')).toBe('患者情報を閲覧');
    expect(actionLabel('team.add')).toBe('チームにメンバーを追加');
  });
  it('has a label for every listed action in both languages, and shows an unknown one as its code', () => {
    for (const a of ACTIONS) {
      expect(`accesslog.action.${a}` in careJa, a).toBe(true);
      expect(`accesslog.action.${a}` in careEn, a).toBe(true);
    }
    expect(actionLabel('future.thing')).toBe('future.thing');
    setLang('en');
    expect(actionLabel('record.read')).toBe('Viewed a record');
  });
  it('shows a refusal clearly', () => {
    expect(resultLabel('denied')).toBe('拒否');
    expect(resultLabel('ok')).toBe('成功');
    expect(resultLabel('odd')).toBe('odd');
  });
});
