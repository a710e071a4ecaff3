// ケア記録 (care manager, MSW, care workers): coordination, care-plan and service
// changes, the care conference and its day.
import { Area, Day, type PartProps } from './shared';

export function CareNote(p: PartProps) {
  return (
    <>
      <Area {...p} k="coordination" label="form.coordination" />
      <Area {...p} k="plan_change" label="form.plan_change" rows={2} />
      <Area {...p} k="service_changes" label="form.service_changes" rows={2} />
      <div class="grid2">
        <Area {...p} k="conference" label="form.conference" rows={2} />
        <Day {...p} k="conference_on" label="form.conference_on" />
      </div>
    </>
  );
}
