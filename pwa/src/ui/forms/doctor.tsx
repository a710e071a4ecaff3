// 診療記録・指示: findings, assessment, plan, the instruction with its last day,
// prescription changes.
import { Area, Day, VitalsPart, type PartProps } from './shared';

export function DoctorNote(p: PartProps) {
  return (
    <>
      <VitalsPart {...p} />
      <Area {...p} k="findings" label="form.findings" />
      <Area {...p} k="assessment" label="form.assessment" />
      <Area {...p} k="plan" label="form.plan_doctor" />
      {p.s.f.note !== undefined && <Area {...p} k="note" label="form.note" />}
      <div class="grid2">
        <Area {...p} k="instruction" label="form.instruction" rows={2} />
        <Day {...p} k="instruction_valid_until" label="form.instruction_valid_until" />
      </div>
      <Area {...p} k="prescription_changes" label="form.prescription_changes" rows={2} />
    </>
  );
}
