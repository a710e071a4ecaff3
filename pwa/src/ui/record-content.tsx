import { formatDate, t, type MessageKey } from '../i18n';
import { rt, type RecordKey } from '../i18n/record';
import { leaves, type Content } from '../diff';
import { formatVital, type VitalColumn } from '../summary';

// What a record says, every kind's structured fields with their Japanese labels:
// shared by the record view (lazy) and the printable summary (lazy).

const DATES = new Set(['next_visit_on', 'fields.instruction_valid_until', 'fields.conference_on']);

/** The label of a leaf path of diff.leaves(): 体温(℃), 褥瘡・創傷の評価, 薬2 残薬 … */
export function fieldLabel(path: string): string {
  const parts = path.split('.');
  if (parts[0] === 'vitals') return parts[1] === 'consciousness' ? rt('rv.vital.consciousness') : t(`vital.${parts[1]}` as MessageKey);
  if (parts[0] === 'fields' && parts[1] === 'drugs_checked') return rt(`rv.drug.${parts[3]}` as RecordKey, { n: parts[2]! });
  if (parts[0] === 'fields') return rt(`rv.field.${parts[1]}` as RecordKey);
  return rt(`rv.${path}` as RecordKey);
}

/** A leaf's value as people read it: labels for codes, dates, one decimal for temperatures. */
export function fieldValue(path: string, v: string | undefined): string {
  if (v === undefined) return rt('rv.none');
  if (DATES.has(path)) return formatDate(v);
  if (path === 'plan_changed' || path === 'fields.flag_to_doctor') return rt('rv.yes');
  if (path === 'status') return rt(`rv.status.${v}` as RecordKey);
  if (path === 'fields.adherence') return rt(`rv.adherence.${v}` as RecordKey);
  if (path === 'fields.document_type') return rt(`rv.doctype.${v}` as RecordKey);
  if (path === 'attachment_ids') return rt('rv.pages', { n: v.split(' ').length });
  if (path.startsWith('vitals.')) {
    const n = Number(v);
    return Number.isNaN(n) ? v : formatVital(path.slice(7) as VitalColumn, n);
  }
  return v;
}

/**
 * The fields of a record (not its vitals or pages: the screens show those their
 * own way), as a definition list; the drugs checked as one line each.
 */
export function RecordFields({ c }: { c: Content }) {
  const ls = leaves(c).filter(([p]) => !p.startsWith('vitals.') && p !== 'attachment_ids' && !p.startsWith('fields.drugs_checked.'));
  const drugs = c.fields?.drugs_checked ?? [];
  if (!ls.length && !drugs.length) return null;
  return (
    <dl class="facts record-fields">
      {drugs.length > 0 && (
        <div>
          <dt>{rt('rv.field.drugs_checked')}</dt>
          <dd>
            <ul class="drugs">
              {drugs.map((d, i) => (
                <li key={i}>{[d.name, d.dose, typeof d.leftover === 'number' ? rt('rv.drug.leftover_n', { n: d.leftover }) : '', d.note].filter(Boolean).join(' · ')}</li>
              ))}
            </ul>
          </dd>
        </div>
      )}
      {ls.map(([p, v]) => (
        <div key={p} class={p === 'status' ? 'warn' : ''}>
          <dt>{fieldLabel(p)}</dt>
          <dd class={p === 'text' || p.startsWith('fields.') ? 'text' : ''}>{fieldValue(p, v)}</dd>
        </div>
      ))}
    </dl>
  );
}
