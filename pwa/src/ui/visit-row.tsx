import { signal } from '@preact/signals';
import { firstDay, lastDay, partOfDay } from '../calendar';
import { formatShortDate, formatTime, formatWeekday, t, type MessageKey } from '../i18n';
import type { Patient, VisitDetail } from '../schemas';
import { today } from '../state';
import { PatientIdentity } from './identity';

// What every list of visits shares (Today, the calendars, the editor): how an
// entry's times read on a day, where it is edited, and one row of it. Kept
// small: it is part of the first load.

/** The day the patient calendar shows (and the editor returns to). */
export const cursor = signal<string>(today.peek());
/** Where the editor returns to: the calendar it was opened from. */
export const nav = { lastCalendar: '' };

/**
 * The time of `v` as it sits on `day`: 10:00–11:00; 10:00〜 when it goes on to
 * later days; 〜11:00 on the day it ends; 終日 for all-day entries and the days
 * in between. Without a day, the whole entry.
 */
export function timesOn(v: VisitDetail, day?: string): string {
  switch (day ? partOfDay(v, day) : v.all_day ? 'all' : 'within') {
    case 'all': return t('cal.all_day');
    case 'start': return t('cal.from', { time: formatTime(v.starts_at) });
    case 'end': return t('cal.until', { time: formatTime(v.ends_at) });
    default: return `${formatTime(v.starts_at)}–${formatTime(v.ends_at)}`;
  }
}

export const dayLabel = (d: string) => `${formatShortDate(d)}(${formatWeekday(d)})`;

/** "11/20(木)〜11/22(土)" for an entry covering several days, else ''. */
export function spanLabel(v: VisitDetail): string {
  const a = firstDay(v);
  const b = lastDay(v);
  return a === b ? '' : t('cal.span', { from: dayLabel(a), to: dayLabel(b) });
}
export const kindLabel = (v: VisitDetail) => t(`visit.${v.kind}` as MessageKey);
export const statusLabel = (v: VisitDetail) => t(`visit.status.${v.status}` as MessageKey);
export const visitKey = (v: VisitDetail) => `${v.id}/${v.occurrence_start ?? ''}`;

export function editHref(v: VisitDetail): string {
  const base = `#/patients/${v.patient_id}/visits/${v.id}`;
  return v.occurrence_start ? `${base}/${encodeURIComponent(v.occurrence_start)}` : base;
}

export function names(team: { user_id: string; name: string }[] | undefined): Map<string, string> {
  return new Map((team ?? []).map((m) => [m.user_id, m.name]));
}

/** One entry on a day of a calendar: its time, who it is for (across patients), kind, status, people. */
export function VisitLink({ v, who, patient, sameName, day, clash }: {
  v: VisitDetail; who: Map<string, string>; patient?: Patient; sameName?: boolean; day: string; clash?: boolean;
}) {
  const people = (v.assignee_ids ?? []).map((id) => who.get(id) ?? '—').join('・');
  const span = spanLabel(v);
  return (
    <a class={`visit-chip st-${v.status}`} href={editHref(v)}>
      <strong class="time">{timesOn(v, day)}{clash && <span class="tag warn">{t('cal.clash')}</span>}</strong>
      {patient && <PatientIdentity patient={patient} sameName={sameName} compact />}
      <span>{kindLabel(v)}</span>
      {span && <small class="span">{span}</small>}
      <small>{statusLabel(v)}{people && ` · ${people}`}{v.recurrence && <> · {t('cal.series')}</>}</small>
    </a>
  );
}
