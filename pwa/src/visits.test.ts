import { describe, expect, it } from 'vitest';
import { addDays, addMonths, atTokyo, daysBetween, monthGrid, tokyoDate, tokyoTime, weekStart, weekdayCode } from './calendar';
import { occurrences } from './recurrence';
import type { VisitDetail } from './schemas';
import { applyUpdate, checkForm, clashes, clashingKeys, createArgs, createdVisit, editForm, formLength, formSpan, moveEnd, moveStart, newForm, nextDayToConfirm, updateArgs, type Booked } from './visits';

describe('calendar days (Asia/Tokyo, weeks from Monday)', () => {
  it('steps days, weeks and months across their ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(weekStart('2026-11-08')).toBe('2026-11-02'); // a Sunday belongs to the week of the Monday before
    expect(weekdayCode('2026-11-05')).toBe('TH');
    expect(addMonths('2026-11-20', 2)).toBe('2027-01-01');
    expect(addMonths('2026-01-31', -1)).toBe('2025-12-01');
    expect(daysBetween('2026-11-02', '2026-11-30')).toBe(28);
  });

  it('lays a month out in whole weeks', () => {
    const g = monthGrid('2026-11-15'); // November 2026 starts on a Sunday
    expect(g[0]).toEqual(['2026-10-26', '2026-10-27', '2026-10-28', '2026-10-29', '2026-10-30', '2026-10-31', '2026-11-01']);
    expect(g.at(-1)![6]).toBe('2026-12-06');
    expect(g).toHaveLength(6);
    expect(monthGrid('2027-02-01')).toHaveLength(4); // February 2027: Monday 1st to Sunday 28th
  });

  it('reads and writes Tokyo wall time whatever the instant\'s zone', () => {
    expect(tokyoTime('2026-11-02T01:30:00Z')).toBe('10:30');
    expect(tokyoDate('2026-11-01T15:30:00Z')).toBe('2026-11-02');
    expect(Date.parse(atTokyo('2026-11-02', '10:30'))).toBe(Date.parse('2026-11-02T01:30:00Z'));
  });
});

const series: VisitDetail = {
  id: 's1', patient_id: 'p1', kind: 'nurse_visit', status: 'planned', note: '', all_day: false, assignee_ids: ['n1'],
  starts_at: '2026-11-02T10:00:00+09:00', ends_at: '2026-11-02T11:00:00+09:00', exceptions: [], version: 2,
  recurrence: { freq: 'weekly', interval: 1, by_day: ['MO', 'TH'], count: 6 },
  created_at: '', created_by: 'cm', updated_at: '', updated_by: 'cm',
};
const occ = (day: string) => occurrences(series, day, day)[0]!;

describe('visit editor', () => {
  it('creates a weekly series: chosen days, every N weeks, until a date or N times', () => {
    const f = { ...newForm('2026-11-02', 'nurse_visit', ['n1', 'n0']), repeat: true, by_day: ['TH' as const, 'MO' as const], interval: 2 };
    const args = createArgs('p1', 'v9', f);
    expect(args).toEqual({
      patient_id: 'p1', id: 'v9', kind: 'nurse_visit', assignee_ids: ['n0', 'n1'], starts_at: '2026-11-02T10:00:00+09:00',
      ends_at: '2026-11-02T11:00:00+09:00', all_day: false, note: '', status: 'planned',
      recurrence: { freq: 'weekly', interval: 2, by_day: ['MO', 'TH'], count: 8 },
    });
    expect(createArgs('p1', 'v9', { ...f, ends: 'until', until: '2026-12-31' }).recurrence).toEqual({ freq: 'weekly', interval: 2, by_day: ['MO', 'TH'], until: '2026-12-31' });
    expect(createArgs('p1', 'v9', { ...f, repeat: false }).recurrence).toBeUndefined();
    // The local copy expands like the server's series.
    const local = createdVisit(args, 'cm', '2026-10-30T00:00:00Z');
    expect(local).toMatchObject({ id: 'v9', version: 1, exceptions: [] });
    expect(occurrences(local, '2026-11-01', '2026-11-30').map((o) => tokyoDate(o.starts_at))).toEqual(['2026-11-02', '2026-11-05', '2026-11-16', '2026-11-19', '2026-11-30']);
  });

  it('never puts an end at or before the start on the next day by itself: 翌日 is said, and all-day entries are whole days', () => {
    const f = { ...newForm('2026-11-02', 'nurse_visit', ['n1']), start: '22:00', end: '01:00' };
    expect(checkForm(f)).toBe('end_before_start');
    expect(checkForm({ ...f, end: '22:00' })).toBe('end_before_start'); // no length at all
    const next = { ...f, end_days: 1 };
    expect(checkForm(next)).toBeNull();
    expect(createArgs('p', 'v', next)).toMatchObject({ starts_at: '2026-11-02T22:00:00+09:00', ends_at: '2026-11-03T01:00:00+09:00' });
    expect(nextDayToConfirm(next)).toBe('2026-11-03');
    expect(nextDayToConfirm({ ...f, end: '23:00' })).toBeNull();
    expect(createArgs('p', 'v', { ...f, all_day: true, end_day: '2026-11-04' })).toMatchObject({ starts_at: '2026-11-02T00:00:00+09:00', ends_at: '2026-11-05T00:00:00+09:00', all_day: true });
  });

  it('keeps the length when the start moves, onto 翌日 past midnight, and asks to confirm only a changed overnight span', () => {
    const f = { ...newForm('2026-11-02', 'nurse_visit', ['n1']), start: '10:00', end: '10:45' };
    expect(moveStart(f, '14:30')).toEqual({ start: '14:30', end: '15:15', end_days: 0 });
    // The bug of issue 13: moving 10:00–10:45 to 11:00 made an end before the start, silently the next day (23 h 45 min).
    const late = { ...f, ...moveStart(f, '23:30') };
    expect(late).toMatchObject({ start: '23:30', end: '00:15', end_days: 1 });
    expect(formLength(late)).toBe(45);
    expect(formSpan(late)).toEqual({ starts_at: '2026-11-02T23:30:00+09:00', ends_at: '2026-11-03T00:15:00+09:00' });
    expect(nextDayToConfirm(late)).toBe('2026-11-03');
    // …and back before midnight, the same day again.
    expect({ ...late, ...moveStart(late, '09:00') }).toMatchObject({ start: '09:00', end: '09:45', end_days: 0 });
    // An overnight visit as it was stored needs no new confirmation; moved, it does.
    const was = { starts_at: '2026-11-02T23:30:00+09:00', ends_at: '2026-11-03T00:15:00+09:00' };
    expect(nextDayToConfirm(late, was)).toBeNull();
    expect(nextDayToConfirm({ ...late, ...moveStart(late, '23:45') }, was)).toBe('2026-11-03');
    // Half-typed times change the start only.
    expect(moveStart(f, '1')).toEqual({ start: '1' });
    expect(moveStart({ ...f, end: '09:00' }, '11:00')).toEqual({ start: '11:00' });
    // An end typed later than the start ends the same day; an earlier one stays a problem, not the next day.
    expect(moveEnd(late, '23:50')).toEqual({ end: '23:50', end_days: 0 });
    expect(moveEnd(f, '09:00')).toEqual({ end: '09:00' });
    expect(checkForm({ ...f, ...moveEnd(f, '09:00') })).toBe('end_before_start');
  });

  it('opens an overnight visit with its end on 翌日, and saves nothing when nothing changed', () => {
    const v = { ...createdVisit(createArgs('p', 'v1', { ...newForm('2026-11-02', 'nurse_visit', ['n1']), start: '23:00', end: '01:00', end_days: 1 }), 'u', '2026-11-01T00:00:00Z') };
    const f = editForm(v, v, 'series');
    expect(f).toMatchObject({ start: '23:00', end: '01:00', end_days: 1 });
    expect(updateArgs(v, v, f, 'series')).toBeNull();
    expect(updateArgs(v, v, { ...f, ...moveStart(f, '22:00') }, 'series')).toMatchObject({ starts_at: '2026-11-02T22:00:00+09:00', ends_at: '2026-11-03T00:00:00+09:00' });
  });

  it('finds the visits of an assignee that overlap (重複), not touching ones, cancelled ones or all-day entries', () => {
    const at = (id: string, s: string, e: string, who: string[], extra: Partial<Booked> = {}): Booked => ({ id, starts_at: `2026-11-02T${s}:00+09:00`, ends_at: `2026-11-02T${e}:00+09:00`, assignee_ids: who, status: 'planned', ...extra });
    const v = at('a', '10:00', '11:00', ['n1', 'n2']);
    const others = [
      at('b', '10:30', '11:30', ['n1']), // overlaps, same nurse
      at('c', '11:00', '12:00', ['n1']), // touches only
      at('d', '09:00', '10:15', ['x']), // someone else
      at('e', '10:00', '11:00', ['n2'], { status: 'cancelled' }),
      at('f', '00:00', '23:59', ['n2'], { all_day: true }),
      at('a', '10:00', '11:00', ['n1'], { occurrence_start: '2026-11-02T10:00:00+09:00' }), // itself
      at('g', '09:59', '10:01', ['n2', 'n1']),
    ];
    expect(clashes(v, others).map((c) => `${c.other.id}:${c.user}`)).toEqual(['b:n1', 'g:n1', 'g:n2']);
    expect(clashes({ ...v, status: 'cancelled' }, others)).toEqual([]);
    expect([...clashingKeys([v, ...others.slice(0, 4)])].sort()).toEqual(['a/', 'b/', 'c/']); // c touches a but overlaps b
  });

  it('keeps a substitute for one occurrence as the server does: only that occurrence, cleared by the series\' own assignees', () => {
    const series = createdVisit(createArgs('p', 's1', { ...newForm('2026-11-02', 'nurse_visit', ['n1']), repeat: true, by_day: ['MO'], ends: 'count', count: 4 }), 'u', '2026-11-01T00:00:00Z');
    const [o1, o2] = occurrences(series, '2026-11-01', '2026-11-30');
    const f = { ...editForm(o2!, series, 'occurrence'), assignee_ids: ['h1'] };
    const args = updateArgs(o2!, series, f, 'occurrence')!;
    expect(args).toEqual({ visit_id: 's1', occurrence_start: o2!.occurrence_start, assignee_ids: ['h1'] });
    const after = applyUpdate(series, args, 'cm', '2026-11-03T00:00:00Z');
    const os = occurrences(after, '2026-11-01', '2026-11-30');
    expect(os.map((o) => o.assignee_ids)).toEqual([['n1'], ['h1'], ['n1'], ['n1']]);
    expect(after.assignee_ids).toEqual(['n1']);
    expect(os[1]!.starts_at).toBe(o2!.starts_at);
    expect(o1!.assignee_ids).toEqual(['n1']);
    const back = applyUpdate(after, { visit_id: 's1', occurrence_start: o2!.occurrence_start, assignee_ids: ['n1'] }, 'cm', '2026-11-04T00:00:00Z');
    expect(back.exceptions?.[0]?.assignee_ids).toBeUndefined();
  });

  it('refuses what the server would refuse', () => {
    const f = newForm('2026-11-02', 'nurse_visit', ['n1']);
    expect(checkForm(f)).toBeNull();
    expect(checkForm({ ...f, assignee_ids: [] })).toBe('assignees');
    expect(checkForm({ ...f, repeat: true, by_day: [] })).toBe('by_day');
    expect(checkForm({ ...f, repeat: true, ends: 'until', until: '2026-11-01' })).toBe('until');
    expect(checkForm({ ...f, repeat: true, count: 201 })).toBe('count');
    // A series ends within two years (the server's bound), by until or by count.
    expect(checkForm({ ...f, repeat: true, ends: 'until', until: '2028-11-02' })).toBeNull();
    expect(checkForm({ ...f, repeat: true, ends: 'until', until: '2028-11-03' })).toBe('until');
    expect(checkForm({ ...f, repeat: true, ends: 'until', until: '9999-12-31' })).toBe('until');
    expect(checkForm({ ...f, repeat: true, by_day: ['MO'], interval: 1, count: 104 })).toBeNull();
    expect(checkForm({ ...f, repeat: true, by_day: ['MO'], interval: 8, count: 200 })).toBe('count');
  });

  it('moves one occurrence by its occurrence_start, sending only what changed', () => {
    const o = occ('2026-11-05');
    const f = { ...editForm(o, series, 'occurrence'), day: '2026-11-06', start: '14:00', end: '15:30' };
    expect(updateArgs(o, series, f, 'occurrence')).toEqual({
      visit_id: 's1', occurrence_start: o.occurrence_start, starts_at: '2026-11-06T14:00:00+09:00', ends_at: '2026-11-06T15:30:00+09:00',
    });
    expect(updateArgs(o, series, editForm(o, series, 'occurrence'), 'occurrence')).toBeNull();
  });

  it('changes the series from its own first entry and rule, never from the occurrence shown', () => {
    const o = occ('2026-11-09');
    const f = editForm(o, series, 'series');
    expect(f).toMatchObject({ day: '2026-11-02', start: '10:00', repeat: true, by_day: ['MO', 'TH'], count: 6, ends: 'count' });
    expect(updateArgs(o, series, { ...f, start: '09:00', end: '10:00', by_day: ['MO'] }, 'series')).toEqual({
      visit_id: 's1', starts_at: '2026-11-02T09:00:00+09:00', ends_at: '2026-11-02T10:00:00+09:00',
      recurrence: { freq: 'weekly', interval: 1, by_day: ['MO'], count: 6 },
    });
    expect(updateArgs(o, series, { ...f, assignee_ids: ['n2'] }, 'series')).toEqual({ visit_id: 's1', assignee_ids: ['n2'] });
  });

  it('shows the change at once: an occurrence as an exception, a series as itself, one version on', () => {
    const o = occ('2026-11-05');
    const moved = applyUpdate(series, { visit_id: 's1', occurrence_start: o.occurrence_start, starts_at: '2026-11-06T14:00:00+09:00', ends_at: '2026-11-06T15:00:00+09:00' }, 'cm', 'now');
    expect(moved.version).toBe(3);
    const week = occurrences(moved, '2026-11-02', '2026-11-08');
    expect(week.map((x) => tokyoDate(x.starts_at))).toEqual(['2026-11-02', '2026-11-06']);
    expect(week[1]).toMatchObject({ exception: true, occurrence_start: o.occurrence_start });
    // Changing the same occurrence again keeps one exception for it.
    const done = applyUpdate(moved, { visit_id: 's1', occurrence_start: o.occurrence_start, status: 'done' }, 'n1', 'now');
    expect(done.exceptions).toHaveLength(1);
    expect(done.exceptions![0]).toMatchObject({ status: 'done', starts_at: '2026-11-06T14:00:00+09:00' });
    expect(applyUpdate(series, { visit_id: 's1', note: '鍵は玄関横' }, 'cm', 'now')).toMatchObject({ note: '鍵は玄関横', version: 3, updated_by: 'cm' });
  });

  it('lists an occurrence moved into the range from after it', () => {
    const v: VisitDetail = { ...series, exceptions: [{ occurrence_start: '2026-11-12T01:00:00Z', starts_at: '2026-11-04T05:00:00Z', ends_at: '2026-11-04T06:00:00Z', updated_at: '', updated_by: '' }] };
    expect(occurrences(v, '2026-11-02', '2026-11-08').map((o) => o.starts_at)).toEqual(['2026-11-02T01:00:00.000Z', '2026-11-04T05:00:00Z', '2026-11-05T01:00:00.000Z']);
  });
});
