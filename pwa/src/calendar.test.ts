import { describe, expect, it } from 'vitest';
import { coversDay, entriesOn, firstDay, lastDay, overlapsDays, partOfDay } from './calendar';
import { occurrences } from './recurrence';
import type { VisitDetail } from './schemas';

const visit = (over: Partial<VisitDetail>): VisitDetail => ({
  id: 'v', patient_id: 'p1', kind: 'care_service', status: 'planned', note: '', all_day: false, assignee_ids: ['u1'], exceptions: [], version: 1,
  starts_at: '2026-11-20T10:00:00+09:00', ends_at: '2026-11-20T11:00:00+09:00', created_at: '', created_by: '', updated_at: '', updated_by: '', ...over,
});
// A three-day all-day entry (ショートステイ): the end is the exclusive midnight after the 22nd.
const stay = visit({ id: 'stay', all_day: true, starts_at: '2026-11-20T00:00:00+09:00', ends_at: '2026-11-23T00:00:00+09:00' });
// Overnight, timed: from the evening of the 20th to the morning of the 22nd.
const night = visit({ id: 'night', starts_at: '2026-11-20T18:00:00+09:00', ends_at: '2026-11-22T09:00:00+09:00' });

describe('days a visit covers (Asia/Tokyo, end exclusive)', () => {
  it('an all-day entry covers its days and not the day its exclusive end falls on', () => {
    expect([firstDay(stay), lastDay(stay)]).toEqual(['2026-11-20', '2026-11-22']);
    expect(['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'].map((d) => coversDay(stay, d))).toEqual([false, true, true, true, false]);
  });

  it('a one-day all-day entry, a visit ending at midnight and a visit of no length cover one day', () => {
    expect(lastDay(visit({ all_day: true, starts_at: '2026-11-20T00:00:00+09:00', ends_at: '2026-11-21T00:00:00+09:00' }))).toBe('2026-11-20');
    expect(lastDay(visit({ starts_at: '2026-11-20T22:00:00+09:00', ends_at: '2026-11-21T00:00:00+09:00' }))).toBe('2026-11-20');
    expect(lastDay(visit({ ends_at: '2026-11-20T10:00:00+09:00' }))).toBe('2026-11-20');
  });

  it('counts days in Tokyo, not UTC (01:00 JST is the previous day in UTC)', () => {
    const early = visit({ starts_at: '2026-11-20T01:00:00+09:00', ends_at: '2026-11-21T01:30:00+09:00' });
    expect([firstDay(early), lastDay(early)]).toEqual(['2026-11-20', '2026-11-21']);
    expect(overlapsDays(early, '2026-11-21', '2026-11-30')).toBe(true);
    expect(overlapsDays(early, '2026-11-22', '2026-11-30')).toBe(false);
  });

  it('says how an entry sits on each day', () => {
    expect(['2026-11-20', '2026-11-21', '2026-11-22'].map((d) => partOfDay(night, d))).toEqual(['start', 'all', 'end']);
    expect(partOfDay(stay, '2026-11-21')).toBe('all');
    expect(partOfDay(visit({}), '2026-11-20')).toBe('within');
  });

  it('lists a day\'s entries with the whole-day ones first, then by start', () => {
    const morning = visit({ id: 'am', starts_at: '2026-11-21T09:00:00+09:00', ends_at: '2026-11-21T10:00:00+09:00' });
    const noon = visit({ id: 'noon', starts_at: '2026-11-21T12:00:00+09:00', ends_at: '2026-11-21T13:00:00+09:00' });
    expect(entriesOn([noon, morning, night, stay], '2026-11-21').map((v) => v.id)).toEqual(['stay', 'night', 'am', 'noon']);
    expect(entriesOn([noon, morning, night, stay], '2026-11-23')).toEqual([]);
  });
});

describe('multi-day visits in a range (month, week, my week)', () => {
  it('a single visit is listed in every range it reaches into, not only where it starts', () => {
    expect(occurrences(stay, '2026-11-21', '2026-11-21')).toHaveLength(1);
    expect(occurrences(stay, '2026-11-22', '2026-11-28')).toHaveLength(1); // the next week
    expect(occurrences(stay, '2026-11-23', '2026-11-29')).toHaveLength(0);
    expect(occurrences(night, '2026-11-22', '2026-11-22')).toHaveLength(1);
  });

  it('an occurrence of a series that started before the range and runs into it is listed', () => {
    // Every Friday, two days all-day (Fri–Sat), four times from 2026-11-06.
    const series = visit({
      id: 's', all_day: true, starts_at: '2026-11-06T00:00:00+09:00', ends_at: '2026-11-08T00:00:00+09:00',
      recurrence: { freq: 'weekly', interval: 1, by_day: ['FR'], count: 4 },
    });
    // A week view from Saturday the 14th: the occurrence of Friday the 13th covers it.
    const os = occurrences(series, '2026-11-14', '2026-11-20');
    expect(os.map((o) => o.occurrence_start)).toEqual(['2026-11-12T15:00:00.000Z', '2026-11-19T15:00:00.000Z']);
    expect(os.map((o) => [firstDay(o), lastDay(o)])).toEqual([['2026-11-13', '2026-11-14'], ['2026-11-20', '2026-11-21']]);
    // Every day of the month grid it covers has it.
    const days = ['2026-11-06', '2026-11-07', '2026-11-08', '2026-11-13', '2026-11-14', '2026-11-28', '2026-11-29'];
    const all = occurrences(series, '2026-10-26', '2026-12-06');
    expect(days.map((d) => entriesOn(all, d).length)).toEqual([1, 1, 0, 1, 1, 1, 0]);
  });
});
