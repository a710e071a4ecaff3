import { t, type MessageKey } from '../i18n';
import type { RecordDetail } from '../schemas';

/** The structured fields a record form wrote, in form order (slice A). */
const SHOWN = ['observations', 'care_given', 'wound', 'design_r', 'excretion', 'intake', 'findings', 'assessment', 'plan', 'note', 'instruction',
  'instruction_valid_until', 'prescription_changes', 'drugs_checked', 'adherence', 'issues', 'side_effects', 'report_to_doctor',
  'coordination', 'plan_change', 'service_changes', 'conference', 'conference_on'] as const;

/** The record's fields as label and text, e.g. 褥瘡・創傷 仙骨部…; `max` shortens long texts. */
export function fieldLines(r: Pick<RecordDetail, 'fields' | 'care_notes'>, max = 0): [string, string][] {
  const f = (r.fields ?? {}) as Record<string, unknown>;
  const cut = (s: string) => (max && s.length > max ? `${s.slice(0, max)}…` : s);
  const out: [string, string][] = [];
  for (const k of SHOWN) {
    const v = f[k];
    if (v === undefined || v === '' || (k === 'adherence' && v === 'unknown')) continue;
    const text = k === 'drugs_checked'
      ? (v as { name: string; dose?: string; leftover?: number }[]).map((d) => `${d.name}${d.dose ? ` ${d.dose}` : ''}${d.leftover !== undefined ? t('field.leftover', { n: d.leftover }) : ''}`).join('、')
      : k === 'adherence' ? t(`field.adherence.${v as string}` as MessageKey) : String(v);
    out.push([t(`field.${k}` as MessageKey), cut(text)]);
  }
  if (r.care_notes) out.push([t('field.care_notes'), cut(r.care_notes)]);
  return out;
}

export function RecordFieldList({ r, max }: { r: Pick<RecordDetail, 'fields' | 'care_notes'>; max?: number }) {
  const lines = fieldLines(r, max);
  if (!lines.length) return null;
  return <dl class="fields">{lines.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>;
}
