import type { RecordDetail } from '../schemas';
import { rt } from '../i18n/record';
import { fieldLabel, fieldValue } from './record-content';

/** The structured fields a record form wrote, in form order, as the timeline lists them. */
const SHOWN = ['title', 'document_type', 'observations', 'care_given', 'wound', 'design_r', 'excretion', 'intake', 'findings', 'assessment', 'plan', 'note', 'instruction',
  'instruction_valid_until', 'prescription_changes', 'drugs_checked', 'adherence', 'issues', 'side_effects', 'report_to_doctor',
  'coordination', 'plan_change', 'service_changes', 'conference', 'conference_on'] as const;

/**
 * The record's fields as label and text (褥瘡・創傷の評価 仙骨部…), with the record
 * view's labels and value formats; `max` shortens long texts.
 */
export function fieldLines(r: Pick<RecordDetail, 'fields' | 'care_notes'>, max = 0): [string, string][] {
  const f = (r.fields ?? {}) as Record<string, unknown>;
  const cut = (s: string) => (max && s.length > max ? `${s.slice(0, max)}…` : s);
  const out: [string, string][] = [];
  for (const k of SHOWN) {
    const v = f[k];
    if (v === undefined || v === '' || (k === 'adherence' && v === 'unknown')) continue;
    const text = k === 'drugs_checked'
      ? (v as { name: string; dose?: string; leftover?: number }[])
        .map((d) => [d.name, d.dose, typeof d.leftover === 'number' ? rt('rv.drug.leftover_n', { n: d.leftover }) : ''].filter(Boolean).join(' '))
        .join('、')
      : fieldValue(`fields.${k}`, String(v));
    out.push([k === 'drugs_checked' ? rt('rv.field.drugs_checked') : fieldLabel(`fields.${k}`), cut(text)]);
  }
  if (r.care_notes) out.push([fieldLabel('care_notes'), cut(r.care_notes)]);
  return out;
}

export function RecordFieldList({ r, max }: { r: Pick<RecordDetail, 'fields' | 'care_notes'>; max?: number }) {
  const lines = fieldLines(r, max);
  if (!lines.length) return null;
  return <dl class="fields">{lines.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>;
}
