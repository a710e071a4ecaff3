// 訪問看護記録: vitals with JCS, observations, care given, wound with DESIGN-R,
// excretion, intake and the nursing plan.
import { Area, VitalsPart, type PartProps } from './shared';
import { ft } from './messages';

export function NursingVisit(p: PartProps) {
  const { s, setF } = p;
  return (
    <>
      <VitalsPart {...p} />
      <Area {...p} k="observations" label="form.observations" />
      <Area {...p} k="care_given" label="form.care_given" />
      <fieldset>
        <legend>{ft('form.wound_legend')}</legend>
        <div class="grid2">
          <Area {...p} k="wound" label="form.wound" rows={2} />
          <label>{ft('form.design_r')}
            <input type="number" name="design_r" inputMode="numeric" min={0} max={66} step={1} value={s.f.design_r ?? ''} onInput={(e) => setF('design_r', e.currentTarget.value)} />
          </label>
        </div>
      </fieldset>
      <div class="grid2">
        <Area {...p} k="excretion" label="form.excretion" rows={2} />
        <Area {...p} k="intake" label="form.intake" rows={2} />
      </div>
      <Area {...p} k="plan" label="form.plan_nursing" />
    </>
  );
}
