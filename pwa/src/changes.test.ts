import { describe, expect, it } from 'vitest';
import { sinceLastVisit } from './changes';
import type { VisitDetail } from './schemas';

const ME = 'nurse';
const visit = (over: Partial<VisitDetail>): VisitDetail => ({
  id: 'v', patient_id: 'p1', kind: 'nurse_visit', status: 'planned', note: '', all_day: false, assignee_ids: [ME],
  starts_at: '2026-11-02T10:00:00+09:00', ends_at: '2026-11-02T11:00:00+09:00', exceptions: [], version: 1,
  created_at: '2026-10-01T00:00:00Z', created_by: 'cm', updated_at: '2026-10-01T00:00:00Z', updated_by: 'cm', ...over,
});
const rec = (id: string, author: string, at: string, updated = at) => ({ id, author_id: author, occurred_at: at, created_at: at, updated_at: updated, status: 'final' as const });
const NOW = '2026-11-09T00:30:00Z'; // Monday 09:30 in Tokyo, before today's 10:00 visit

describe('what changed since my last visit', () => {
  // A weekly Monday series: last week's visit was done; today's is the one being prepared for.
  const series = visit({
    id: 's', recurrence: { freq: 'weekly', interval: 1, by_day: ['MO'], count: 10 },
    exceptions: [{ occurrence_start: '2026-11-02T01:00:00Z', status: 'done', updated_at: '2026-11-02T02:00:00Z', updated_by: ME }],
    updated_at: '2026-11-02T02:00:00Z', updated_by: ME,
  });

  it('counts from the end of my last done visit: others\' records and amendments after it, not mine', () => {
    const s = sinceLastVisit({
      userId: ME, now: NOW, visits: [series],
      records: [
        rec('before', 'doctor', '2026-11-01T00:00:00Z'),
        rec('after', 'doctor', '2026-11-05T00:00:00Z'),
        rec('amended', 'pharmacist', '2026-10-20T00:00:00Z', '2026-11-06T00:00:00Z'),
        rec('mine', ME, '2026-11-02T01:30:00Z'),
      ],
      exclude: { id: 's', occurrence_start: '2026-11-09T01:00:00.000Z' },
    });
    expect(s.basis).toBe('visit');
    expect(Date.parse(s.since)).toBe(Date.parse('2026-11-02T02:00:00Z'));
    expect(s.records.map((r) => r.id)).toEqual(['amended', 'after']);
    expect(s.visits).toEqual([]);
  });

  it('counts from my last record when it is later than my last done visit', () => {
    const s = sinceLastVisit({ userId: ME, now: NOW, visits: [series], records: [rec('mine', ME, '2026-11-04T03:00:00Z'), rec('a', 'doctor', '2026-11-03T00:00:00Z'), rec('b', 'doctor', '2026-11-06T00:00:00Z')] });
    expect(s.basis).toBe('record');
    expect(s.records.map((r) => r.id)).toEqual(['b']);
  });

  it('lists visits others changed since, an occurrence change once, with the occurrence', () => {
    const moved = {
      ...series,
      exceptions: [...series.exceptions!, { occurrence_start: '2026-11-16T01:00:00Z', starts_at: '2026-11-17T05:00:00Z', ends_at: '2026-11-17T06:00:00Z', updated_at: '2026-11-05T00:00:00.004Z', updated_by: 'cm' }],
      updated_at: '2026-11-05T00:00:00.001Z', updated_by: 'cm',
    };
    const other = visit({ id: 'd', kind: 'doctor_visit', assignee_ids: ['doctor'], updated_at: '2026-11-06T00:00:00Z', updated_by: 'doctor' });
    const s = sinceLastVisit({ userId: ME, now: NOW, visits: [moved, other], records: [] });
    expect(s.visits.map((c) => [c.visit.id, c.by, c.occurrence?.starts_at])).toEqual([['d', 'doctor', undefined], ['s', 'cm', '2026-11-17T05:00:00Z']]);
  });

  it('does not count a record I write during the visit as my last contact', () => {
    const during = rec('mine-now', ME, '2026-11-09T01:20:00Z'); // 10:20, during the 10:00 visit
    const s = sinceLastVisit({
      userId: ME, now: '2026-11-09T02:00:00Z', before: '2026-11-09T01:00:00Z', visits: [], records: [during, rec('doc', 'doctor', '2026-11-08T00:00:00Z')],
    });
    expect(s.basis).toBe('window');
    expect(s.records.map((r) => r.id)).toEqual(['doc']);
  });

  it('looks back two weeks when I have no visit or record there yet', () => {
    const s = sinceLastVisit({ userId: ME, now: NOW, visits: [], records: [rec('old', 'doctor', '2026-10-20T00:00:00Z'), rec('new', 'doctor', '2026-11-01T00:00:00Z')] });
    expect(s.basis).toBe('window');
    expect(s.records.map((r) => r.id)).toEqual(['new']);
  });
});
