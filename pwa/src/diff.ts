// What one version of a record says, as labelled leaves, and what changed between
// two versions field by field: the record view shows a 訂正 (an amendment) as the
// fields it changed, so the author sees what someone else altered in their record
// before confirming it (確定). Pure, so it is tested without a browser.

import type { RecordDetail, VersionOut } from './schemas';

/** The content of a version (RecordDetail and VersionOut both carry it). */
export type Content = Partial<Pick<RecordDetail, 'text' | 'fields' | 'vitals' | 'next_visit_on' | 'plan_changed' | 'care_notes' | 'attachment_ids' | 'status'>>;

/** One changed leaf: absent `before` means added, absent `after` removed. */
export interface Change { path: string; before?: string; after?: string }

/** The order fields are shown in (and compared in): the kind's fields, then the shared items. */
export const FIELD_ORDER = [
  // nursing_visit
  'observations', 'care_given', 'wound', 'design_r', 'excretion', 'intake',
  // doctor_note
  'note', 'findings', 'assessment', 'plan', 'instruction', 'instruction_valid_until', 'prescription_changes',
  // medication
  'drugs_checked', 'adherence', 'issues', 'side_effects', 'report_to_doctor', 'flag_to_doctor',
  // care_note
  'coordination', 'plan_change', 'service_changes', 'conference', 'conference_on',
  // document
  'title', 'document_type',
] as const;

export const VITAL_ORDER = ['temperature_c', 'bp_systolic', 'bp_diastolic', 'pulse', 'spo2', 'respiration', 'weight_kg', 'pain', 'consciousness'] as const;
const DRUG_ORDER = ['name', 'dose', 'leftover', 'note'] as const;

const str = (v: unknown): string | undefined => {
  if (v === undefined || v === null || v === '' || v === false) return undefined;
  return String(v);
};

/**
 * The leaves of `c` that hold a value, in display order, as [path, value]:
 * `vitals.spo2`, `fields.wound`, `fields.drugs_checked.1.leftover` (drugs
 * numbered from 1), `text`, `next_visit_on`, `plan_changed`, `care_notes`,
 * `attachment_ids` (the ids in page order) and `status` when not final.
 * Booleans appear only when true; empty strings not at all.
 */
export function leaves(c: Content | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (!c) return out;
  const put = (path: string, v: unknown) => {
    const s = str(v);
    if (s !== undefined) out.push([path, s]);
  };
  if (c.status && c.status !== 'final') put('status', c.status);
  for (const k of VITAL_ORDER) put(`vitals.${k}`, c.vitals?.[k]);
  const f = (c.fields ?? {}) as Record<string, unknown>;
  for (const k of FIELD_ORDER) {
    if (k !== 'drugs_checked') {
      put(`fields.${k}`, f[k]);
      continue;
    }
    (c.fields?.drugs_checked ?? []).forEach((d, i) => {
      for (const dk of DRUG_ORDER) put(`fields.drugs_checked.${i + 1}.${dk}`, (d as Record<string, unknown>)[dk]);
    });
  }
  put('text', c.text);
  put('next_visit_on', c.next_visit_on);
  put('plan_changed', c.plan_changed);
  put('care_notes', c.care_notes);
  if (c.attachment_ids?.length) put('attachment_ids', c.attachment_ids.join(' '));
  return out;
}

/** The leaves that differ between `before` and `after`, in the order `after` shows them (removed ones where they stood). */
export function diffContent(before: Content | undefined, after: Content): Change[] {
  const a = new Map(leaves(before));
  const b = leaves(after);
  const bm = new Map(b);
  const paths: string[] = [];
  // Merge the two orders: every path of `after`, with the removed ones of `before` kept in place.
  const order = [...new Set([...b.map(([p]) => p), ...a.keys()])];
  const rank = (p: string) => rankOf(p);
  for (const p of order.sort((x, y) => rank(x) - rank(y) || naturalCompare(x, y))) paths.push(p);
  const out: Change[] = [];
  for (const p of paths) {
    const x = a.get(p);
    const y = bm.get(p);
    if (x === y) continue;
    const c: Change = { path: p };
    if (x !== undefined) c.before = x;
    if (y !== undefined) c.after = y;
    out.push(c);
  }
  return out;
}

/** The display rank of a leaf path (the order of leaves()). */
function rankOf(p: string): number {
  const [head, key] = p.split('.');
  if (head === 'status') return 0;
  if (head === 'vitals') return 1 + VITAL_ORDER.indexOf(key as (typeof VITAL_ORDER)[number]);
  if (head === 'fields') return 20 + FIELD_ORDER.indexOf(key as (typeof FIELD_ORDER)[number]);
  return 60 + ['text', 'next_visit_on', 'plan_changed', 'care_notes', 'attachment_ids'].indexOf(p);
}

/** Compares paths with their numbers as numbers (drug 2 before drug 10). */
function naturalCompare(a: string, b: string): number {
  const rank = (p: string) => {
    const m = /^fields\.drugs_checked\.(\d+)\.(\w+)$/.exec(p);
    return m ? Number(m[1]) * 10 + DRUG_ORDER.indexOf(m[2] as (typeof DRUG_ORDER)[number]) : 0;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/**
 * The version `v` amended: its parent_version, or the one before it. Undefined
 * for the first version (nothing to compare with).
 */
export function previousOf(versions: readonly VersionOut[], v: Pick<VersionOut, 'version' | 'parent_version'>): VersionOut | undefined {
  if (v.version <= 1) return undefined;
  const want = v.parent_version || v.version - 1;
  return versions.find((x) => x.version === want);
}

/**
 * How a version came to be, for its label: the author's own first version,
 * 代行入力 (someone entered the first version as the author), or 訂正 (an
 * amendment; `by_other` when someone other than the author made it).
 */
export function versionKind(v: Pick<VersionOut, 'version' | 'entered_by'>, authorId: string): 'original' | 'proxy' | 'correction' | 'correction_by_other' {
  if (v.version <= 1) return v.entered_by === authorId ? 'original' : 'proxy';
  return v.entered_by === authorId ? 'correction' : 'correction_by_other';
}
