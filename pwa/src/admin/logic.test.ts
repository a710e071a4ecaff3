import { describe, expect, it } from 'vitest';
// The server's tables, read as text so that a change there fails here until mirrored.
import careGo from '../../../internal/care/care.go?raw';
import professionGo from '../../../internal/care/profession.go?raw';
import { ApiError } from '../api';
import {
  ALERT_RULES, EMPLOYS, FACILITY_KINDS, PROFESSIONS, auditCsv, auditFilterProblems, auditQuery, canManage, csvCell, emptyAuditFilter,
  emptyStaffFilter, employs, grantable, grantableRoles, isAlertRule, matchesFacility, matchesStaff, nextDay, queryString, staffQuery,
  screensFor, statusActions, toCsv, tokyoStamp, type AuditEvent, type Staff,
} from './logic';

describe('Employs mirror', () => {
  it('matches internal/care.Employs row by row', () => {
    const go: string = professionGo;
    const consts = Object.fromEntries([...go.matchAll(/(Kind\w+)\s*=\s*"(\w+)"/g)].map((m) => [m[1], m[2]]));
    const care: string = careGo;
    const profs = Object.fromEntries([...care.matchAll(/(Prof\w+)\s*=\s*"(\w+)"/g)].map((m) => [m[1], m[2]]));
    const table = go.slice(go.indexOf('var Employs'), go.indexOf('\n}\n', go.indexOf('var Employs')));
    const rows = [...table.matchAll(/(Kind\w+):\s*\{([^}]*)\}/g)].map((m) => [consts[m[1]!], m[2]!.split(',').map((p: string) => profs[p.trim()]).filter(Boolean)]);
    expect(rows.length).toBe(FACILITY_KINDS.length);
    expect(Object.fromEntries(rows)).toEqual(EMPLOYS);
    expect(Object.values(profs).sort()).toEqual([...PROFESSIONS].sort());
  });

  it('gives a facility admin only what the kind employs, the network office any', () => {
    expect(employs('nursing_station', 'nurse')).toBe(true);
    expect(employs('nursing_station', 'doctor')).toBe(false);
    expect(employs('no_such_kind', 'other')).toBe(true);
    expect(employs('no_such_kind', 'nurse')).toBe(false);
    expect(grantable('pharmacy', false)).toEqual({ usual: ['pharmacist', 'dietitian', 'other'], other: [] });
    const office = grantable('pharmacy', true);
    expect(office.usual).toEqual(['pharmacist', 'dietitian', 'other']);
    expect([...office.usual, ...office.other].sort()).toEqual([...PROFESSIONS].sort());
    expect(grantable('', false)).toEqual({ usual: ['other'], other: [] });
  });
});

describe('who manages whom', () => {
  const office = { roles: ['network_admin'], facility_id: '' };
  const fadmin = { roles: ['facility_admin'], facility_id: 'f1' };
  it('mirrors care.CanManageUser', () => {
    expect(canManage(office, { roles: [], facility_id: 'f2' })).toBe(true);
    expect(canManage(fadmin, { roles: [], facility_id: 'f1' })).toBe(true);
    expect(canManage(fadmin, { roles: [], facility_id: 'f2' })).toBe(false);
    expect(canManage(fadmin, { roles: ['network_admin'], facility_id: 'f1' })).toBe(false);
    expect(canManage(fadmin, { roles: [], facility_id: '' })).toBe(false);
    expect(canManage({ roles: [], facility_id: 'f1' }, { roles: [], facility_id: 'f1' })).toBe(false);
    expect(canManage(null, { roles: [] })).toBe(false);
  });
  it('opens the facility register to the network office only, the console to admins only', () => {
    expect(screensFor(office)).toEqual(['facilities', 'staff', 'audit', 'alerts']);
    expect(screensFor(fadmin)).toEqual(['staff', 'audit', 'alerts']);
    expect(screensFor({ roles: [] })).toEqual([]);
    expect(screensFor(null)).toEqual([]);
  });
  it('offers roles and status changes by rule; revoked is final', () => {
    expect(grantableRoles(office)).toEqual(['facility_admin', 'network_admin']);
    expect(grantableRoles(fadmin)).toEqual(['facility_admin']);
    expect(grantableRoles({ roles: [] })).toEqual([]);
    expect(statusActions('active')).toEqual(['suspended', 'revoked']);
    expect(statusActions('suspended')).toEqual(['active', 'revoked']);
    expect(statusActions('revoked')).toEqual([]);
  });
});

describe('filters → query strings', () => {
  it('leaves out empty staff filters and trims the text', () => {
    expect(queryString(staffQuery(emptyStaffFilter()))).toBe('');
    expect(queryString(staffQuery({ q: ' やまだ ', facility_id: 'f1', profession: 'nurse', status: 'suspended' })))
      .toBe('q=%E3%82%84%E3%81%BE%E3%81%A0&facility_id=f1&profession=nurse&status=suspended');
  });

  it('narrows staff by name, kana in either script, login id and the selects', () => {
    const u = { id: 'u', name: '見本 看子', name_kana: 'ミホン カンコ', login_id: 'demo.nurse', profession: 'nurse', facility_id: 'f1', status: 'active', roles: [] } as unknown as Staff;
    const f = emptyStaffFilter();
    expect(matchesStaff(u, f)).toBe(true);
    expect(matchesStaff(u, { ...f, q: 'みほんかん' })).toBe(true);
    expect(matchesStaff(u, { ...f, q: '見本' })).toBe(true);
    expect(matchesStaff(u, { ...f, q: 'DEMO.N' })).toBe(true);
    expect(matchesStaff(u, { ...f, q: 'やまだ' })).toBe(false);
    expect(matchesStaff(u, { ...f, profession: 'doctor' })).toBe(false);
    expect(matchesStaff(u, { ...f, status: 'revoked' })).toBe(false);
    expect(matchesStaff(u, { ...f, facility_id: 'f2' })).toBe(false);
    expect(matchesStaff({ ...u, login_id: undefined }, { ...f, q: 'demo' })).toBe(false);
    expect(matchesFacility({ name: 'つなぐ在宅クリニック', name_kana: 'ツナグザイタククリニック' }, 'つなぐ ざいたく')).toBe(true);
    expect(matchesFacility({ name: 'つなぐ在宅クリニック', name_kana: 'ツナグザイタククリニック' }, 'やっきょく')).toBe(false);
  });

  it('sends audit days as Tokyo midnights with an inclusive end, and pages with before', () => {
    expect(auditQuery(emptyAuditFilter())).toEqual({ limit: 100 });
    const f = { ...emptyAuditFilter(), actor_id: 'a1', patient_id: ' 0190A0B0-0000-7000-8000-000000000001 ', action: 'session.', result: 'denied', from: '2026-12-01', to: '2026-12-31' };
    expect(queryString(auditQuery(f, 4242, 1000))).toBe(
      'limit=1000&actor_id=a1&patient_id=0190a0b0-0000-7000-8000-000000000001&action=session.&result=denied'
      + '&from=2026-12-01T00%3A00%3A00%2B09%3A00&to=2027-01-01T00%3A00%3A00%2B09%3A00&before=4242',
    );
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2027-02-28')).toBe('2027-03-01');
  });

  it('names the audit fields the server would refuse', () => {
    const f = emptyAuditFilter();
    expect(auditFilterProblems(f)).toEqual([]);
    expect(auditFilterProblems({ ...f, patient_id: 'yamada' })).toEqual(['patient_id']);
    expect(auditFilterProblems({ ...f, action: 'Session;drop' })).toEqual(['action']);
    expect(auditFilterProblems({ ...f, from: '2026-12-05', to: '2026-12-04' })).toEqual(['to']);
    expect(auditFilterProblems({ ...f, from: '2026-12-04', to: '2026-12-04' })).toEqual([]);
  });
});

describe('CSV', () => {
  it('quotes what needs quoting', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('見本 看子')).toBe('見本 看子');
  });

  it('keeps a spreadsheet from running a cell as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('+81 3')).toBe("'+81 3");
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell(-5)).toBe('-5'); // a number is a number
  });

  it('writes UTF-8 with a BOM and CRLF lines', () => {
    const csv = toCsv([['名前', 'x'], ['見本', '=1']]);
    expect(csv).toBe('\uFEFF名前,x\r\n見本,\'=1\r\n');
    expect(new TextEncoder().encode(csv).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
  });

  it('builds the audit CSV with names resolved and Tokyo times', () => {
    const e: AuditEvent = {
      seq: 7, at: '2026-12-04T15:30:05Z', actor_id: 'u1', actor_facility_id: 'f1', action: 'patient.read', patient_id: 'p1', resource_type: 'patient',
      resource_id: 'p1', result: 'denied', address: '192.0.2.1', request_id: 'r1', prev_hash: 'h0', hash: 'h1', detail: '-x',
    };
    const other = { ...e, seq: 6, actor_id: 'gone', actor_facility_id: '', detail: undefined };
    const csv = auditCsv([e, other], ['日時', '番号', '利用者', '利用者ID', '施設', '操作', '結果', '患者ID', '種別', '対象ID', '詳細', '接続元', 'リクエストID'],
      new Map([['u1', '=見本 看子']]), new Map([['f1', '見本訪問看護ステーション']]));
    expect(csv.split('\r\n')).toEqual([
      '\uFEFF日時,番号,利用者,利用者ID,施設,操作,結果,患者ID,種別,対象ID,詳細,接続元,リクエストID',
      "2026-12-05 00:30:05,7,'=見本 看子,u1,見本訪問看護ステーション,patient.read,denied,p1,patient,p1,'-x,192.0.2.1,r1",
      '2026-12-05 00:30:05,6,,gone,,patient.read,denied,p1,patient,p1,,192.0.2.1,r1',
      '',
    ]);
    expect(tokyoStamp('2026-12-31T15:00:00Z')).toBe('2027-01-01 00:00:00');
  });
});

describe('alert rules', () => {
  it('knows the rules of the contract and nothing else', () => {
    expect([...ALERT_RULES]).toEqual(['refused_access', 'many_patients', 'privilege_change', 'credential_reset', 'many_addresses']);
    expect(isAlertRule('many_patients')).toBe(true);
    expect(isAlertRule('toString')).toBe(false);
  });
});
