import { effect, signal } from '@preact/signals';
import { useState } from 'preact/hooks';
import { WEEKDAYS, addDays, addMonths, entriesOn, firstDay, lastDay, monthGrid, partOfDay, tokyoDate, weekDays, weekStart, weekdayCode } from '../calendar';
import { follow } from '../clock';
import { errorMessage, formatDate, formatMonth, formatShortDate, formatTime, formatWeekday, t, type MessageKey } from '../i18n';
import { occurrences } from '../recurrence';
import type { TeamMember, VisitDetail } from '../schemas';
import { createVisit, describeError, editVisit, getVisit, listPatients, listRecords, listTeam, listVisits, me, today, type LocalRecord } from '../state';
import { VISIT_KINDS, VISIT_STATUSES, checkForm, createArgs, createdVisit, editForm, kindForProfession, newForm, seriesLimit, type Scope, type VisitForm } from '../visits';
import { useData } from './hooks';

// The shared calendar (診療カレンダー): a patient's month and week, "my week"
// across patients, and the editor that creates and moves visits and series.

const view = signal<'month' | 'week'>('month');
const cursor = signal<string>(today.peek());
const myScope = signal<'mine' | 'team'>('mine');
const myWeekStart = signal<string>(weekStart(today.peek()));
/** Where the editor returns to: the calendar it was opened from. */
let lastCalendar = '';

// Past midnight, a calendar still on the old today moves to the new one.
let shownToday = today.peek();
effect(() => {
  const d = today.value;
  if (d === shownToday) return;
  cursor.value = follow(cursor.peek(), shownToday, d);
  myWeekStart.value = follow(myWeekStart.peek(), shownToday, d, true);
  shownToday = d;
});

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

/** "11/20(木)〜11/22(土)" for an entry covering several days, else ''. */
export function spanLabel(v: VisitDetail): string {
  const a = firstDay(v);
  const b = lastDay(v);
  return a === b ? '' : t('cal.span', { from: dayLabel(a), to: dayLabel(b) });
}
const kindLabel = (v: VisitDetail) => t(`visit.${v.kind}` as MessageKey);
const statusLabel = (v: VisitDetail) => t(`visit.status.${v.status}` as MessageKey);

export function editHref(v: VisitDetail): string {
  const base = `#/patients/${v.patient_id}/visits/${v.id}`;
  return v.occurrence_start ? `${base}/${encodeURIComponent(v.occurrence_start)}` : base;
}

const key = (v: VisitDetail) => `${v.id}/${v.occurrence_start ?? ''}`;
/** A month cell's short time: the start, or 終日 / 〜11:00 on the later days of a long entry. */
function chipTime(v: VisitDetail, d: string): string {
  const part = partOfDay(v, d);
  return part === 'start' || part === 'within' ? formatTime(v.starts_at) : timesOn(v, d);
}
const dayLabel = (d: string) => `${formatShortDate(d)}(${formatWeekday(d)})`;

function names(team: TeamMember[] | undefined): Map<string, string> {
  return new Map((team ?? []).map((m) => [m.user_id, m.name]));
}

function VisitLink({ v, who, patient, day }: { v: VisitDetail; who: Map<string, string>; patient?: string; day: string }) {
  const people = (v.assignee_ids ?? []).map((id) => who.get(id) ?? '—').join('・');
  const span = spanLabel(v);
  return (
    <a class={`visit-chip st-${v.status}`} href={editHref(v)}>
      <strong class="time">{timesOn(v, day)}</strong>
      <span>{patient && <>{patient} · </>}{kindLabel(v)}</span>
      {span && <small class="span">{span}</small>}
      <small>{statusLabel(v)}{people && ` · ${people}`}{v.recurrence && <> · {t('cal.series')}</>}</small>
    </a>
  );
}

function Nav({ title, prev, next, today, prevLabel, nextLabel }: { title: string; prev: () => void; next: () => void; today: () => void; prevLabel: string; nextLabel: string }) {
  return (
    <div class="row cal-nav">
      <button onClick={prev} aria-label={prevLabel}>‹</button>
      <h2 class="grow center" aria-live="polite">{title}</h2>
      <button onClick={next} aria-label={nextLabel}>›</button>
      <button onClick={today}>{t('cal.today')}</button>
    </div>
  );
}

/** The patient calendar: month or week, the chosen day's entries, and "add". */
export function PatientCalendar({ id }: { id: string }) {
  lastCalendar = location.hash;
  const mode = view.value;
  const day = cursor.value;
  const grid = monthGrid(day);
  const days = mode === 'month' ? grid.flat() : weekDays(weekStart(day));
  const from = days[0]!;
  const to = days.at(-1)!;
  const visits = useData(() => listVisits(from, to, id), [id, from, to]);
  const recs = useData(() => listRecords(id), [id]);
  const who = names(useData(() => listTeam(id), [id]));
  const on = (d: string) => ({
    v: entriesOn(visits ?? [], d),
    r: (recs ?? []).filter((x) => tokyoDate(x.occurred_at) === d),
  });
  const step = (n: number) => (cursor.value = mode === 'month' ? addMonths(day, n) : addDays(day, 7 * n));
  return (
    <div class="calendar">
      <div class="row wrap">
        <div class="row seg" role="radiogroup" aria-label={t('cal.view')}>
          {(['month', 'week'] as const).map((m) => (
            <button key={m} role="radio" aria-checked={mode === m} onClick={() => (view.value = m)}>{t(`cal.${m}` as MessageKey)}</button>
          ))}
        </div>
        <span class="grow" />
        <a class="button primary" href={`#/patients/${id}/visits/new/${day}`}>{t('cal.add_on', { date: dayLabel(day) })}</a>
      </div>
      {mode === 'month' ? (
        <>
          <Nav title={formatMonth(day)} prev={() => step(-1)} next={() => step(1)} today={() => (cursor.value = today.value)}
            prevLabel={t('cal.prev_month')} nextLabel={t('cal.next_month')} />
          <MonthGrid weeks={grid} month={day.slice(0, 7)} selected={day} on={on} />
          <DayAgenda day={day} {...on(day)} who={who} />
        </>
      ) : (
        <>
          <Nav title={`${formatDate(days[0]!)} – ${formatDate(days[6]!)}`} prev={() => step(-1)} next={() => step(1)} today={() => (cursor.value = today.value)}
            prevLabel={t('patient.prev_week')} nextLabel={t('patient.next_week')} />
          <WeekList days={days} visits={visits ?? []} records={recs ?? []} who={who} addFor={id} />
        </>
      )}
    </div>
  );
}

function MonthGrid({ weeks, month, selected, on }: { weeks: string[][]; month: string; selected: string; on: (d: string) => { v: VisitDetail[]; r: LocalRecord[] } }) {
  const now = today.value;
  return (
    <table class="month">
      <caption class="sr">{formatMonth(`${month}-01`)}</caption>
      <thead>
        <tr>{weeks[0]!.map((d) => <th key={d} scope="col">{formatWeekday(d)}</th>)}</tr>
      </thead>
      <tbody>
        {weeks.map((w) => (
          <tr key={w[0]}>
            {w.map((d) => {
              const { v, r } = on(d);
              const cls = [d.slice(0, 7) === month ? '' : 'other', d === now ? 'today' : '', d === selected ? 'sel' : ''].join(' ');
              return (
                <td key={d} class={cls}>
                  <button class="day" aria-pressed={d === selected} onClick={() => (cursor.value = d)}>
                    <span class="num"><span class="sr">{formatDate(d)}{d === now ? ` ${t('cal.is_today')}` : ''}</span><span aria-hidden="true">{Number(d.slice(8))}</span></span>
                    <span class="chips">
                      {v.slice(0, 3).map((x) => <span key={key(x)} class={`chip st-${x.status}`}>{chipTime(x, d)} {t(`cal.short.${x.kind}` as MessageKey)}</span>)}
                      {v.length > 3 && <span class="chip">{t('cal.more', { n: v.length - 3 })}</span>}
                      {r.length > 0 && <span class="chip rec">{t('cal.records_n', { n: r.length })}</span>}
                    </span>
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DayAgenda({ day, v, r, who }: { day: string; v: VisitDetail[]; r: LocalRecord[]; who: Map<string, string> }) {
  return (
    <section class="agenda" aria-labelledby="agenda-h">
      <h3 id="agenda-h">{formatDate(day)}</h3>
      {v.length === 0 && r.length === 0 && <p class="empty">{t('patient.no_visits')}</p>}
      <ul class="list">
        {v.map((x) => <li key={key(x)}><VisitLink v={x} who={who} day={day} /></li>)}
        {r.map((x) => (
          <li key={x.id} class="row"><span aria-hidden="true">📝</span>
            <span class="grow">{t(`kind.${x.kind}` as MessageKey)} · {formatTime(x.occurred_at)}{who.get(x.author_id) && ` · ${who.get(x.author_id)}`}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function WeekList({ days, visits, records, who, addFor, patients }: {
  days: string[]; visits: VisitDetail[]; records: LocalRecord[]; who: Map<string, string>; addFor?: string; patients?: Map<string, string>;
}) {
  const now = today.value;
  return (
    <ol class="week">
      {days.map((d) => {
        const v = entriesOn(visits, d);
        const r = records.filter((x) => tokyoDate(x.occurred_at) === d);
        return (
          <li key={d} class={d === now ? 'today' : ''}>
            <h3><span aria-hidden="true">{dayLabel(d)}</span><span class="sr">{formatDate(d)}{d === now ? ` ${t('cal.is_today')}` : ''}</span></h3>
            {v.length === 0 && r.length === 0 && <span class="muted">—</span>}
            <ul>
              {v.map((x) => <li key={key(x)}><VisitLink v={x} who={who} patient={patients?.get(x.patient_id)} day={d} /></li>)}
              {r.map((x) => <li key={x.id} class="rec"><span aria-hidden="true">📝 </span>{t(`kind.${x.kind}` as MessageKey)}</li>)}
            </ul>
            {addFor && <a class="button add" href={`#/patients/${addFor}/visits/new/${d}`} aria-label={t('cal.add_on', { date: formatDate(d) })}>＋</a>}
          </li>
        );
      })}
    </ol>
  );
}

/** "My week": my visits (or my patients' visits) across patients. */
export function MyWeek() {
  lastCalendar = location.hash;
  const start = myWeekStart.value;
  const scope = myScope.value;
  const days = weekDays(start);
  const myId = me.value?.id ?? '';
  const data = useData(async () => {
    const [visits, patients] = await Promise.all([listVisits(days[0]!, days[6]!), listPatients()]);
    const shown = scope === 'mine' ? visits.filter((v) => v.assignee_ids?.includes(myId)) : visits;
    const teams = await Promise.all(patients.map((p) => listTeam(p.id)));
    return { visits: shown, patients: new Map(patients.map((p) => [p.id, p.name])), who: names(teams.flat()) };
  }, [start, scope, myId]);
  return (
    <section aria-labelledby="week-h" class="calendar">
      <h1 id="week-h">{t('cal.my_week')}</h1>
      <div class="row seg" role="radiogroup" aria-label={t('cal.scope')}>
        {(['mine', 'team'] as const).map((s) => (
          <button key={s} role="radio" aria-checked={scope === s} onClick={() => (myScope.value = s)}>{t(`cal.scope_${s}` as MessageKey)}</button>
        ))}
      </div>
      <Nav title={`${formatDate(days[0]!)} – ${formatDate(days[6]!)}`} prev={() => (myWeekStart.value = addDays(start, -7))}
        next={() => (myWeekStart.value = addDays(start, 7))} today={() => (myWeekStart.value = weekStart(today.value))}
        prevLabel={t('patient.prev_week')} nextLabel={t('patient.next_week')} />
      {data && data.visits.length === 0 && <p class="empty">{t('cal.week_none')}</p>}
      {data && <WeekList days={days} visits={data.visits} records={[]} who={data.who} patients={data.patients} />}
    </section>
  );
}

/** The visit editor: a new visit or series on `day`, or visit `visitId` (one occurrence if given). */
export function VisitEditor({ patientId, visitId, occurrence, day }: { patientId: string; visitId?: string; occurrence?: string; day?: string }) {
  const data = useData(async () => {
    const team = await listTeam(patientId);
    if (!visitId) return { team };
    const series = await getVisit(visitId);
    if (!series) return { team, missing: true };
    let occ: VisitDetail | undefined = series;
    if (occurrence && series.recurrence) {
      const d = tokyoDate(occurrence);
      occ = occurrences(series, addDays(d, -92), addDays(d, 92)).find((o) => Date.parse(o.occurrence_start ?? '') === Date.parse(occurrence));
    }
    return occ ? { team, series, occ } : { team, missing: true };
  }, [patientId, visitId, occurrence]);
  if (!data) return <p class="empty">{t('app.loading')}</p>;
  if ('missing' in data) return <p class="empty">{t('visit.not_found')}</p>;
  return <EditorForm key={`${visitId}/${occurrence}`} patientId={patientId} team={data.team} series={data.series} occ={data.occ} day={day ?? today.value} />;
}

function EditorForm(props: { patientId: string; team: TeamMember[]; series?: VisitDetail; occ?: VisitDetail; day: string }) {
  const { patientId, team, day } = props;
  // The visit as the editor opened it: a sync meanwhile must not become part of this change.
  const [{ series, occ }] = useState(() => ({ series: props.series, occ: props.occ }));
  const creating = !series;
  const isOcc = !!series?.recurrence && !!occ?.occurrence_start;
  const myId = me.value?.id ?? '';
  const [scope, setScope] = useState<Scope>(isOcc ? 'occurrence' : 'series');
  const [f, setF] = useState<VisitForm>(() =>
    series ? editForm(occ!, series, scope) : newForm(day, kindForProfession(me.value?.profession), team.some((m) => m.user_id === myId) ? [myId] : []));
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const one = scope === 'occurrence' && isOcc;
  const set = (patch: Partial<VisitForm>) => setF({ ...f, ...patch });
  const back = lastCalendar || `#/patients/${patientId}/calendar`;

  const save = async (e: Event) => {
    e.preventDefault();
    const problem = checkForm(f);
    if (problem) return setErr(t(`visit.problem.${problem}` as MessageKey));
    setBusy(true);
    try {
      if (creating) await createVisit(patientId, f);
      else if (!(await editVisit(occ!, series!, f, scope))) return setErr(t('visit.unchanged'));
      if (!creating || !f.repeat) cursor.value = f.day;
      location.hash = back;
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };

  const preview = f.repeat ? seriesPreview(patientId, f) : null;
  return (
    <form class="visit-edit" onSubmit={save} aria-labelledby="ve-h">
      <h1 id="ve-h">{creating ? t('visit.new_title') : t('visit.edit_title')}</h1>
      {isOcc && (
        <fieldset>
          <legend>{t('visit.scope')}</legend>
          <label class="check"><input type="radio" name="scope" value="occurrence" checked={scope === 'occurrence'}
            onChange={() => { setScope('occurrence'); setF(editForm(occ!, series!, 'occurrence')); }} />
            {t('visit.scope_occurrence', { date: formatDate(occ!.occurrence_start!) })}</label>
          <label class="check"><input type="radio" name="scope" value="series" checked={scope === 'series'}
            onChange={() => { setScope('series'); setF(editForm(occ!, series!, 'series')); }} />
            {t('visit.scope_series')}</label>
        </fieldset>
      )}
      <div class="grid2">
        <label>{t('visit.kind')}
          <select name="kind" value={f.kind} disabled={one} onChange={(e) => set({ kind: e.currentTarget.value as VisitForm['kind'] })}>
            {VISIT_KINDS.map((k) => <option key={k} value={k}>{t(`visit.${k}` as MessageKey)}</option>)}
          </select>
        </label>
        {!creating && (
          <label>{t('visit.status')}
            <select name="status" value={f.status} onChange={(e) => set({ status: e.currentTarget.value as VisitForm['status'] })}>
              {VISIT_STATUSES.map((s) => <option key={s} value={s}>{t(`visit.status.${s}` as MessageKey)}</option>)}
            </select>
          </label>
        )}
      </div>
      <fieldset disabled={one}>
        <legend>{t('visit.assignees')}</legend>
        <div class="choices">
          {team.map((m) => (
            <label key={m.user_id} class="check choice">
              <input type="checkbox" name="assignee" value={m.user_id} checked={f.assignee_ids.includes(m.user_id)}
                onChange={(e) => set({ assignee_ids: e.currentTarget.checked ? [...f.assignee_ids, m.user_id] : f.assignee_ids.filter((x) => x !== m.user_id) })} />
              <span>{m.name}<small>{t(`role.${m.role}` as MessageKey)}</small></span>
            </label>
          ))}
        </div>
      </fieldset>
      <div class="grid3">
        <label>{scope === 'series' && f.repeat ? t('visit.first_day') : t('visit.day')}
          <input type="date" name="day" required value={f.day} onInput={(e) => set({ day: e.currentTarget.value, ...followDay(f, e.currentTarget.value, creating) })} /></label>
        {!f.all_day && <label>{t('visit.start')}<input type="time" name="start" required step={300} value={f.start} onInput={(e) => set({ start: e.currentTarget.value })} /></label>}
        {!f.all_day && <label>{t('visit.end')}<input type="time" name="end" required step={300} value={f.end} onInput={(e) => set({ end: e.currentTarget.value })} /></label>}
        {f.all_day && <label>{t('visit.end_day')}<input type="date" name="end_day" min={f.day} value={f.end_day} onInput={(e) => set({ end_day: e.currentTarget.value })} /></label>}
      </div>
      {!one && (
        <label class="check"><input type="checkbox" name="all_day" checked={f.all_day} onChange={(e) => set({ all_day: e.currentTarget.checked, end_day: f.day })} />{t('visit.all_day')}</label>
      )}
      {(creating || (scope === 'series' && !!series?.recurrence)) && (
        <fieldset class="repeat">
          <legend>{t('visit.repeat')}</legend>
          {creating && (
            <label class="check"><input type="checkbox" name="repeat" checked={f.repeat} onChange={(e) => set({ repeat: e.currentTarget.checked })} />{t('visit.repeat_weekly')}</label>
          )}
          {f.repeat && (
            <>
              <div class="days" role="group" aria-label={t('visit.by_day')}>
                {WEEKDAYS.map((d) => (
                  <label key={d} class="day-toggle">
                    <input type="checkbox" name="by_day" value={d} checked={f.by_day.includes(d)}
                      onChange={(e) => set({ by_day: e.currentTarget.checked ? [...f.by_day, d] : f.by_day.filter((x) => x !== d) })} />
                    <span>{t(`weekday.${d}` as MessageKey)}</span>
                  </label>
                ))}
              </div>
              <label>{t('visit.interval')}
                <select name="interval" value={f.interval} onChange={(e) => set({ interval: Number(e.currentTarget.value) })}>
                  {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => <option key={n} value={n}>{n === 1 ? t('visit.every_week') : t('visit.every_n_weeks', { n })}</option>)}
                </select>
              </label>
              <div class="ends" role="radiogroup" aria-label={t('visit.ends')}>
                <label class="check"><input type="radio" name="ends" value="until" checked={f.ends === 'until'} onChange={() => set({ ends: 'until' })} />{t('visit.until')}</label>
                <input type="date" name="until" aria-label={t('visit.until_date')} min={f.day} max={seriesLimit(f.day)} disabled={f.ends !== 'until'} value={f.until} onInput={(e) => set({ until: e.currentTarget.value })} />
                <label class="check"><input type="radio" name="ends" value="count" checked={f.ends === 'count'} onChange={() => set({ ends: 'count' })} />{t('visit.count')}</label>
                <input type="number" name="count" inputMode="numeric" aria-label={t('visit.count_n')} min={1} max={200} disabled={f.ends !== 'count'} value={f.count}
                  onInput={(e) => set({ count: Number(e.currentTarget.value) })} />
              </div>
              {preview && <p class="muted" role="status">{preview}</p>}
            </>
          )}
        </fieldset>
      )}
      <label>{t('visit.note')}<textarea name="note" rows={3} value={f.note} onInput={(e) => set({ note: e.currentTarget.value })} /></label>
      {err && <p class="error" role="alert">{err}</p>}
      <div class="row wrap">
        <button class="primary" disabled={busy}>{t('visit.save')}</button>
        <a class="button" href={back}>{t('visit.cancel')}</a>
      </div>
    </form>
  );
}

/** A new series on the day's own weekday follows the day when it changes. */
function followDay(f: VisitForm, day: string, creating: boolean): Partial<VisitForm> {
  if (!creating || !/^\d{4}-\d{2}-\d{2}$/.test(day) || f.by_day.length !== 1 || f.by_day[0] !== weekdayCode(f.day)) return {};
  return { by_day: [weekdayCode(day)] };
}

/** "8 visits: 2 Nov (Mon) – 24 Dec (Thu)", so the rule can be checked before saving. */
function seriesPreview(patientId: string, f: VisitForm): string | null {
  if (checkForm(f)) return null;
  const v = createdVisit(createArgs(patientId, 'preview', f), '', '');
  const os = occurrences(v, f.day, addDays(f.day, 366 * 31));
  if (os.length === 0) return t('visit.preview_none');
  return t('visit.preview', { n: os.length, first: formatDate(os[0]!.starts_at), last: formatDate(os.at(-1)!.starts_at) });
}
