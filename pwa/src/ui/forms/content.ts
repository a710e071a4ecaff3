// What a record form holds (strings as typed, so a draft restores exactly what was
// typed) and the record content it makes: only the kind's own fields (the server's
// care.KindFields), trimmed, empty ones left out, numbers as numbers.

import type { Drug, RecordFields, RecordKind, Vitals } from '../../schemas';
import { VITAL_KEYS, kindHasVitals, type VitalKey } from '../../vitals';

/** The fields of each kind (internal/care/record.go KindFields). */
export const KIND_FIELDS: Record<RecordKind, (keyof RecordFields)[]> = {
  nursing_visit: ['observations', 'care_given', 'plan', 'wound', 'design_r', 'excretion', 'intake'],
  doctor_note: ['note', 'findings', 'assessment', 'plan', 'instruction', 'instruction_valid_until', 'prescription_changes'],
  medication: ['drugs_checked', 'adherence', 'issues', 'side_effects', 'report_to_doctor', 'flag_to_doctor'],
  care_note: ['coordination', 'plan_change', 'service_changes', 'conference', 'conference_on'],
  note: [],
  document: ['title', 'document_type'],
};

/** The kinds written with a form here (a document is scanned: scan/*). */
export const FORM_KINDS: RecordKind[] = ['nursing_visit', 'doctor_note', 'medication', 'care_note', 'note'];

export interface DrugRow { name: string; dose: string; leftover: string; note: string }

export interface FormState {
  kind: RecordKind;
  /** datetime-local in Tokyo */
  when: string;
  text: string;
  vitals: Partial<Record<VitalKey, string>>;
  /** JCS code, '' when not assessed */
  jcs: string;
  /** the kind's text fields (and design_r, adherence, dates) as typed */
  f: Record<string, string>;
  drugs: DrugRow[];
  flag: boolean;
  next: string;
  plan: boolean;
  careNotes: string;
  /** for an amendment (訂正): the version the form was opened on, sent as base_version */
  base?: number;
}

export const emptyDrug = (): DrugRow => ({ name: '', dose: '', leftover: '', note: '' });

export function emptyState(kind: RecordKind, when: string): FormState {
  return { kind, when, text: '', vitals: {}, jcs: '', f: {}, drugs: kind === 'medication' ? [emptyDrug()] : [], flag: false, next: '', plan: false, careNotes: '' };
}

/** The form of an existing record, for its amendment (訂正). */
export function stateOf(rec: { kind: RecordKind; text?: string; vitals?: Vitals | null; fields?: RecordFields; next_visit_on?: string; plan_changed?: boolean; care_notes?: string }, when: string): FormState {
  const s = emptyState(rec.kind, when);
  s.text = rec.text ?? '';
  for (const k of VITAL_KEYS) if (typeof rec.vitals?.[k] === 'number') s.vitals[k] = String(rec.vitals[k]);
  s.jcs = rec.vitals?.consciousness ?? '';
  const fields = (rec.fields ?? {}) as Record<string, unknown>;
  for (const k of KIND_FIELDS[rec.kind]) {
    const v = fields[k];
    if (typeof v === 'string' || typeof v === 'number') s.f[k] = String(v);
  }
  s.drugs = (rec.fields?.drugs_checked ?? []).map((d) => ({ name: d.name, dose: d.dose ?? '', leftover: d.leftover === undefined ? '' : String(d.leftover), note: d.note ?? '' }));
  if (rec.kind === 'medication' && s.drugs.length === 0) s.drugs = [emptyDrug()];
  s.flag = !!rec.fields?.flag_to_doctor;
  s.next = rec.next_visit_on ?? '';
  s.plan = !!rec.plan_changed;
  s.careNotes = rec.care_notes ?? '';
  return s;
}

export interface Content {
  text: string;
  fields: RecordFields;
  vitals?: Vitals;
  next_visit_on?: string;
  plan_changed: boolean;
  care_notes?: string;
}

const NUMERIC = new Set(['design_r']);

/** The record content of form `s`: the kind's own fields only. */
export function toContent(s: FormState): Content {
  const own = KIND_FIELDS[s.kind];
  const fields: Record<string, unknown> = {};
  for (const k of own) {
    if (k === 'drugs_checked' || k === 'flag_to_doctor') continue;
    const v = (s.f[k] ?? '').trim();
    if (v) fields[k] = NUMERIC.has(k) ? Number(v) : v;
  }
  if (own.includes('drugs_checked')) {
    const drugs: Drug[] = s.drugs.filter((d) => d.name.trim()).map((d) => {
      const out: Drug = { name: d.name.trim() };
      if (d.dose.trim()) out.dose = d.dose.trim();
      if (d.note.trim()) out.note = d.note.trim();
      if (d.leftover.trim()) out.leftover = Number(d.leftover);
      return out;
    });
    if (drugs.length) fields.drugs_checked = drugs;
  }
  // A report to the doctor is something the doctor should look at.
  if (own.includes('flag_to_doctor') && (s.flag || !!fields.report_to_doctor)) fields.flag_to_doctor = true;
  const c: Content = { text: s.text.trim(), fields: fields as RecordFields, plan_changed: s.plan };
  if (kindHasVitals(s.kind)) {
    const v: Vitals = {};
    for (const k of VITAL_KEYS) if ((s.vitals[k] ?? '').trim() !== '') v[k] = Number(s.vitals[k]);
    if (s.jcs) v.consciousness = s.jcs as Vitals['consciousness'];
    if (Object.keys(v).length) c.vitals = v;
  }
  if (s.next) c.next_visit_on = s.next;
  if (s.careNotes.trim()) c.care_notes = s.careNotes.trim();
  return c;
}

/** Whether the content says nothing (an unknown adherence alone is not a record). */
export function isEmpty(c: Content): boolean {
  const f = Object.entries(c.fields).filter(([k, v]) => !(k === 'adherence' && v === 'unknown'));
  return !c.text && f.length === 0 && !c.vitals && !c.next_visit_on && !c.plan_changed && !c.care_notes;
}

/** Whether the form differs from how it opened (then leaving asks, and a draft is kept). */
export const changed = (a: FormState, b: FormState) => JSON.stringify(a) !== JSON.stringify(b);

/** A diastolic pressure at or above the systolic one (the server refuses it). */
export function bpOrderWrong(c: Content): boolean {
  const v = c.vitals;
  return !!v && v.bp_systolic !== undefined && v.bp_diastolic !== undefined && v.bp_diastolic >= v.bp_systolic;
}
