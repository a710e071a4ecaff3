import { describe, expect, it } from 'vitest';
import { occurrences } from './recurrence';
import type { VisitDetail } from './schemas';

const base: VisitDetail = {
  id: 'v1', patient_id: 'p1', kind: 'nurse_visit', status: 'planned', note: '', all_day: false,
  assignee_ids: ['u1'], exceptions: [], version: 3,
  starts_at: '2026-11-02T10:00:00+09:00', ends_at: '2026-11-02T11:00:00+09:00', // a Monday
  created_at: '', created_by: '', updated_at: '', updated_by: '',
};
const starts = (vs: VisitDetail[]) => vs.map((v) => v.starts_at);

describe('occurrences', () => {
  it('keeps a single visit on its day only', () => {
    expect(occurrences(base, '2026-11-02', '2026-11-02')).toHaveLength(1);
    expect(occurrences(base, '2026-11-03', '2026-11-30')).toHaveLength(0);
  });

  it('expands a weekly series on its days in Tokyo wall time, up to count', () => {
    const v = { ...base, recurrence: { freq: 'weekly' as const, interval: 1, by_day: ['MO', 'TH'], count: 3 } };
    expect(starts(occurrences(v, '2026-11-01', '2026-12-31'))).toEqual([
      '2026-11-02T01:00:00.000Z', '2026-11-05T01:00:00.000Z', '2026-11-09T01:00:00.000Z',
    ]);
    const o = occurrences(v, '2026-11-05', '2026-11-05')[0]!;
    expect(o).toMatchObject({ id: 'v1', version: 3, occurrence_start: '2026-11-05T01:00:00.000Z', ends_at: '2026-11-05T02:00:00.000Z' });
  });

  it('honours interval and until, and applies an exception (moved, done)', () => {
    const v: VisitDetail = {
      ...base,
      recurrence: { freq: 'weekly', interval: 2, by_day: null, until: '2026-11-30' },
      exceptions: [{ occurrence_start: '2026-11-16T01:00:00Z', starts_at: '2026-11-17T05:00:00Z', ends_at: '2026-11-17T06:00:00Z', status: 'done', updated_at: '', updated_by: '' }],
    };
    const os = occurrences(v, '2026-11-01', '2027-01-31');
    expect(starts(os)).toEqual(['2026-11-02T01:00:00.000Z', '2026-11-17T05:00:00Z', '2026-11-30T01:00:00.000Z']);
    expect(os[1]).toMatchObject({ status: 'done', exception: true, occurrence_start: '2026-11-16T01:00:00.000Z' });
  });
});
