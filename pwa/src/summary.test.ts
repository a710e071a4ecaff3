import { describe, expect, it } from 'vitest';
import { defaultRange, formatVital, rangeProblem, summarize, type SummaryRecord } from './summary';

const rec = (id: string, occurred_at: string, more: Partial<SummaryRecord> = {}): SummaryRecord =>
  ({ id, kind: 'nursing_visit', occurred_at, author_id: 'n', status: 'final', flags: [], attachment_ids: [], ...more }) as SummaryRecord;

describe('summarize', () => {
  const records = [
    rec('late', '2026-12-03T05:00:00Z', { vitals: { temperature_c: 37, spo2: 91 }, flags: [{ field: 'vitals.spo2', level: 'low', value: '91', threshold: '< 93' }] }),
    // 2026-11-30 15:30 UTC is already 1 December in Tokyo: inside the range.
    rec('edge', '2026-11-30T15:30:00Z', { vitals: { pulse: 72 }, text: '朝' }),
    rec('before', '2026-11-30T14:30:00Z', { vitals: { pulse: 70 } }),
    rec('doc', '2026-12-02T01:00:00Z', { kind: 'document', attachment_ids: ['p1', 'p2'], fields: { title: '紹介状' } }),
    rec('error', '2026-12-02T02:00:00Z', { vitals: { pulse: 200 }, status: 'entered_in_error', attachment_ids: ['x'] }),
    rec('queued', '2026-12-02T03:00:00Z', { attachment_ids: ['blob'], pending: true }),
    rec('after', '2026-12-04T00:00:00Z', { vitals: { pulse: 80 } }), // 4 Dec in Tokyo: outside
  ];

  it('takes the records of the Tokyo days in the range, oldest first, errors marked but kept', () => {
    const s = summarize(records, '2026-12-01', '2026-12-03');
    expect(s.records.map((r) => r.id)).toEqual(['edge', 'doc', 'error', 'queued', 'late']);
  });

  it('makes the vitals table of the columns used, without records entered in error, with the server\'s flags', () => {
    const s = summarize(records, '2026-12-01', '2026-12-03');
    expect(s.columns).toEqual(['temperature_c', 'pulse', 'spo2']);
    expect(s.vitals).toEqual([
      { record_id: 'edge', occurred_at: '2026-11-30T15:30:00Z', values: { pulse: '72' }, flagged: [] },
      { record_id: 'late', occurred_at: '2026-12-03T05:00:00Z', values: { temperature_c: '37.0', spo2: '91' }, flagged: ['spo2'] },
    ]);
  });

  it('lists the documents the server has (not a record entered in error, not pages still on the device)', () => {
    expect(summarize(records, '2026-12-01', '2026-12-03').documents.map((r) => r.id)).toEqual(['doc']);
  });

  it('is empty for a range without records', () => {
    const s = summarize(records, '2025-01-01', '2025-01-31');
    expect(s).toMatchObject({ records: [], columns: [], vitals: [], documents: [] });
  });
});

describe('ranges', () => {
  it('checks the days and their order', () => {
    expect(rangeProblem('2026-12-01', '2026-12-03')).toBeNull();
    expect(rangeProblem('2026-12-01', '2026-12-01')).toBeNull();
    expect(rangeProblem('', '2026-12-03')).toBe('from');
    expect(rangeProblem('2026-12-01', '2026-13-45')).toBe('to');
    expect(rangeProblem('2026-12-04', '2026-12-03')).toBe('order');
  });

  it('defaults to the last 30 days, today included', () => {
    expect(defaultRange('2026-12-04')).toEqual({ from: '2026-11-05', to: '2026-12-04' });
    expect(defaultRange('2026-03-01', 1)).toEqual({ from: '2026-03-01', to: '2026-03-01' });
  });

  it('prints temperatures and weights with one decimal', () => {
    expect(formatVital('temperature_c', 37)).toBe('37.0');
    expect(formatVital('weight_kg', 52.25)).toBe('52.3');
    expect(formatVital('pulse', 72)).toBe('72');
    expect(formatVital('consciousness', 'I-1')).toBe('I-1');
  });
});
