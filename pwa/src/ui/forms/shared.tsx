// Parts every record form shares: a labelled text area, the vitals with JCS, the
// items for the team (next visit, plan changed, points of care) and photos.
import { t, type MessageKey } from '../../i18n';
import { today } from '../../state';
import { VITAL_KEYS, flagOf, rangeOf, rangeText, vitalTable } from '../../vitals';
import type { FormState } from './content';
import { ft, type FormKey } from './messages';

export interface PartProps {
  s: FormState;
  set: (patch: Partial<FormState>) => void;
  setF: (k: string, v: string) => void;
}

/** A text area bound to field `k` of the kind's fields. */
export function Area({ s, setF, k, label, rows = 3 }: Pick<PartProps, 's' | 'setF'> & { k: string; label: FormKey; rows?: number }) {
  return <label>{ft(label)}<textarea name={k} rows={rows} maxLength={4000} value={s.f[k] ?? ''} onInput={(e) => setF(k, e.currentTarget.value)} /></label>;
}

/** A date bound to field `k`. */
export function Day({ s, setF, k, label }: Pick<PartProps, 's' | 'setF'> & { k: string; label: FormKey }) {
  return <label>{ft(label)}<input type="date" name={k} value={s.f[k] ?? ''} onInput={(e) => setF(k, e.currentTarget.value)} /></label>;
}

/** Vitals by the served table (limits, 基準範囲, flags) and the JCS consciousness level. */
export function VitalsPart({ s, set }: PartProps) {
  const codes = vitalTable.value?.consciousness.codes ?? ['0', 'I-1', 'I-2', 'I-3', 'II-10', 'II-20', 'II-30', 'III-100', 'III-200', 'III-300'];
  return (
    <fieldset class="vitals-input">
      <legend>{t('record.vitals')}</legend>
      <div class="vitals-grid">
        {VITAL_KEYS.map((k) => {
          const raw = s.vitals[k] ?? '';
          const r = rangeOf(k);
          const off = raw !== '' && flagOf(r, Number(raw)) !== undefined;
          const range = rangeText(k);
          const hint = `${k}-hint`;
          return (
            <label key={k} class={off ? 'abnormal' : ''}>
              {t(`vital.${k}` as MessageKey)}
              <input type="number" name={k} inputMode="decimal" min={r?.min} max={r?.max} step={r?.step ?? 'any'} value={raw} aria-describedby={hint}
                onInput={(e) => set({ vitals: { ...s.vitals, [k]: e.currentTarget.value } })} />
              <small id={hint}>{off ? ft('form.out_of_range') : range ? ft('form.range', { range }) : r ? ft('form.possible', { min: r.min, max: r.max }) : ''}</small>
            </label>
          );
        })}
        <label class={s.jcs && s.jcs !== '0' ? 'abnormal jcs' : 'jcs'}>
          {ft('form.jcs')}
          <select name="consciousness" value={s.jcs} onChange={(e) => set({ jcs: e.currentTarget.value })}>
            <option value="">{ft('form.jcs_none')}</option>
            {codes.map((c) => <option key={c} value={c}>{ft(`jcs.${c}` as FormKey)}</option>)}
          </select>
        </label>
      </div>
    </fieldset>
  );
}

/** 在宅医療情報連携加算: next visit, plan changed, points of care for the team. */
export function CollabPart({ s, set }: PartProps) {
  return (
    <fieldset class="collab">
      <legend>{ft('form.collab')}</legend>
      <div class="grid2">
        <label>{ft('form.next_visit_on')}<input type="date" name="next_visit_on" value={s.next} min={s.next && s.next < today.value ? undefined : today.value} onInput={(e) => set({ next: e.currentTarget.value })} /></label>
        <label class="check"><input type="checkbox" name="plan_changed" checked={s.plan} onChange={(e) => set({ plan: e.currentTarget.checked })} />{ft('form.plan_changed')}</label>
      </div>
      <label>{ft('form.care_notes')}<textarea name="care_notes" rows={2} maxLength={4000} value={s.careNotes} onInput={(e) => set({ careNotes: e.currentTarget.value })} /></label>
    </fieldset>
  );
}
