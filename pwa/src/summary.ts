// The printable summary of a patient's records over a date range (記録の要約), for a
// referral (紹介) or a patient's disclosure request under APPI (開示請求): which
// records fall in the range, the vitals table, and the scanned documents. Pure data
// shaping of what the device holds, so it works offline and is tested in node.

import { tokyoDay } from './i18n';
import type { RecordDetail } from './schemas';
import { VITAL_ORDER } from './diff';

export type VitalColumn = (typeof VITAL_ORDER)[number];

/** A record as the device holds it (the fields the summary reads). */
export type SummaryRecord = Pick<RecordDetail, 'id' | 'kind' | 'occurred_at' | 'author_id' | 'status' | 'vitals' | 'flags' | 'text' | 'fields' | 'next_visit_on' | 'plan_changed' | 'care_notes' | 'attachment_ids'> & {
  pending?: boolean;
};

export interface VitalsRow {
  record_id: string;
  occurred_at: string;
  /** Formatted values by column: temperatures with one decimal (37.0), JCS as its code. */
  values: Partial<Record<VitalColumn, string>>;
  /** Columns the server flagged as out of range. */
  flagged: VitalColumn[];
}

export interface Summary<R extends SummaryRecord = SummaryRecord> {
  from: string;
  to: string;
  /** The records of the range, oldest first (entered_in_error ones too: a disclosure shows everything, marked). */
  records: R[];
  /** Columns with at least one value in the range, in the usual order. */
  columns: VitalColumn[];
  /** One row a record with vitals, oldest first; records entered in error left out. */
  vitals: VitalsRow[];
  /** Records with pages or photos, oldest first. */
  documents: R[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Why a range cannot be printed: a missing or malformed day, or `from` after `to`. Null when it is fine. */
export function rangeProblem(from: string, to: string): 'from' | 'to' | 'order' | null {
  if (!DAY.test(from) || Number.isNaN(Date.parse(from))) return 'from';
  if (!DAY.test(to) || Number.isNaN(Date.parse(to))) return 'to';
  return from > to ? 'order' : null;
}

/** The default range: the last `days` Tokyo days up to `today`. */
export function defaultRange(today: string, days = 30): { from: string; to: string } {
  const d = new Date(`${today}T12:00:00+09:00`);
  d.setUTCDate(d.getUTCDate() - (days - 1));
  return { from: tokyoDay(d), to: today };
}

/** A vital value as the summary prints it. */
export function formatVital(key: VitalColumn, v: number | string): string {
  if (typeof v === 'string') return v;
  return key === 'temperature_c' || key === 'weight_kg' ? v.toFixed(1) : String(v);
}

/** The summary of `records` whose Tokyo day lies within from..to (inclusive). */
export function summarize<R extends SummaryRecord>(records: readonly R[], from: string, to: string): Summary<R> {
  const inRange = records
    .filter((r) => {
      const d = tokyoDay(r.occurred_at);
      return d >= from && d <= to;
    })
    .sort((a, b) => a.occurred_at.localeCompare(b.occurred_at) || a.id.localeCompare(b.id));
  const vitals: VitalsRow[] = [];
  const used = new Set<VitalColumn>();
  for (const r of inRange) {
    if (r.status === 'entered_in_error' || !r.vitals) continue;
    const values: VitalsRow['values'] = {};
    for (const k of VITAL_ORDER) {
      const v = r.vitals[k];
      if (v === undefined || v === null || v === '') continue;
      values[k] = formatVital(k, v);
      used.add(k);
    }
    if (!Object.keys(values).length) continue;
    const flagged = (r.flags ?? []).map((f) => f.field.replace(/^vitals\./, '') as VitalColumn).filter((k) => k in values);
    vitals.push({ record_id: r.id, occurred_at: r.occurred_at, values, flagged });
  }
  return {
    from,
    to,
    records: inRange,
    columns: VITAL_ORDER.filter((k) => used.has(k)),
    vitals,
    documents: inRange.filter((r) => r.status !== 'entered_in_error' && !r.pending && (r.attachment_ids?.length ?? 0) > 0),
  };
}
