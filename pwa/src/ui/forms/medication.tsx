// 服薬指導記録: each medicine with dose and leftover doses (残薬), adherence,
// issues, side effects and the report to the doctor (which asks the doctor to look).
import { emptyDrug, type DrugRow } from './content';
import { ft, type FormKey } from './messages';
import { Area, VitalsPart, type PartProps } from './shared';

const ADHERENCE = ['good', 'partial', 'poor', 'unknown'];

export function Medication(p: PartProps) {
  const { s, set, setF } = p;
  const edit = (i: number, patch: Partial<DrugRow>) => set({ drugs: s.drugs.map((d, j) => (j === i ? { ...d, ...patch } : d)) });
  const reported = !!(s.f.report_to_doctor ?? '').trim();
  return (
    <>
      <fieldset class="drugs">
        <legend>{ft('form.drugs')}</legend>
        <ol>
          {s.drugs.map((d, i) => (
            <li key={i} class="drug" aria-label={ft('form.drug_n', { n: i + 1 })}>
              <label>{ft('form.drug_name')}<input name={`drug_name_${i}`} maxLength={200} value={d.name} onInput={(e) => edit(i, { name: e.currentTarget.value })} /></label>
              <label>{ft('form.drug_dose')}<input name={`drug_dose_${i}`} maxLength={200} value={d.dose} onInput={(e) => edit(i, { dose: e.currentTarget.value })} /></label>
              <label>{ft('form.drug_leftover')}<input type="number" name={`drug_leftover_${i}`} inputMode="numeric" min={0} max={9999} step={1} value={d.leftover} onInput={(e) => edit(i, { leftover: e.currentTarget.value })} /></label>
              <label>{ft('form.drug_note')}<input name={`drug_note_${i}`} maxLength={1000} value={d.note} onInput={(e) => edit(i, { note: e.currentTarget.value })} /></label>
              <button type="button" class="remove" aria-label={ft('form.remove_drug', { n: i + 1 })} onClick={() => set({ drugs: s.drugs.filter((_, j) => j !== i) })}>×</button>
            </li>
          ))}
        </ol>
        <button type="button" class="add-drug" disabled={s.drugs.length >= 50} onClick={() => set({ drugs: [...s.drugs, emptyDrug()] })}>{ft('form.add_drug')}</button>
      </fieldset>
      <label>{ft('form.adherence')}
        <select name="adherence" value={s.f.adherence ?? ''} onChange={(e) => setF('adherence', e.currentTarget.value)}>
          <option value="" />
          {ADHERENCE.map((a) => <option key={a} value={a}>{ft(`adherence.${a}` as FormKey)}</option>)}
        </select>
      </label>
      <Area {...p} k="issues" label="form.issues" rows={2} />
      <Area {...p} k="side_effects" label="form.side_effects" rows={2} />
      <Area {...p} k="report_to_doctor" label="form.report_to_doctor" />
      <label class="check">
        <input type="checkbox" name="flag_to_doctor" checked={s.flag || reported} disabled={reported} aria-describedby="flag-hint" onChange={(e) => set({ flag: e.currentTarget.checked })} />
        {ft('form.flag_to_doctor')}
      </label>
      <p id="flag-hint" class="muted">{ft('form.flag_hint')}</p>
      <VitalsPart {...p} />
    </>
  );
}
