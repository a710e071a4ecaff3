import { useState } from 'preact/hooks';
import { WEEKDAYS, addDays, tokyoDate, weekdayCode } from '../calendar';
import { errorMessage, formatDate, formatTime, t, tx, type MessageKey } from '../i18n';
import { vt } from '../i18n/visit-editor';
import { occurrences } from '../recurrence';
import type { TeamMember, VisitDetail } from '../schemas';
import { createVisit, describeError, editVisit, getVisit, listPatients, listTeam, listVisits, me, today } from '../state';
import {
  VISIT_KINDS, VISIT_STATUSES, checkForm, clashes, createArgs, createdVisit, editForm, formSpan, kindForProfession, moveEnd, moveStart, newForm,
  nextDayToConfirm, seriesLimit, type Scope, type VisitForm,
} from '../visits';
import { useData } from './hooks';
import { cursor, dayLabel, kindLabel, nav, timesOn } from './visit-row';

// The visit editor (loaded on first use): a new visit or weekly series, or a
// change to one, its series or one occurrence (its times, status, note, and a
// substitute assignee). Moving the start keeps the length; an end on a later
// day is shown as 翌日 and confirmed before saving; the assignees' other visits
// at the same time are shown as a warning (the save is not refused: the care
// manager decides).

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
  // 翌日 said by the user (the checkbox), or confirmed when saving.
  const [nextDayOk, setNextDayOk] = useState(false);
  const [ask, setAsk] = useState<string | null>(null);
  const one = scope === 'occurrence' && isOcc;
  const set = (patch: Partial<VisitForm>) => {
    setF({ ...f, ...patch });
    setAsk(null);
  };
  const back = nav.lastCalendar || `#/patients/${patientId}/calendar`;
  const was = series && (one ? occ : series);

  // The assignees' other visits around this day, across all my patients, for the clash warning.
  const around = useData(async () => {
    const [vs, ps] = await Promise.all([listVisits(addDays(f.day, -1), addDays(f.day, 1)), listPatients()]);
    const teams = await Promise.all([...new Set(vs.map((v) => v.patient_id))].map((id) => listTeam(id)));
    return { vs, patients: new Map(ps.map((p) => [p.id, p.name])), who: new Map(teams.flat().map((m) => [m.user_id, m.name])) };
  }, [f.day]);
  const clash = !checkForm(f) && around
    ? clashes({ id: series?.id ?? '', ...formSpan(f), all_day: f.all_day, status: f.status, assignee_ids: f.assignee_ids }, around.vs)
    : [];

  const save = async (e: Event, confirmed = false) => {
    e.preventDefault();
    const problem = checkForm(f);
    if (problem) return setErr(tx(`visit.problem.${problem}`));
    const nextDay = nextDayToConfirm(f, was);
    if (nextDay && !nextDayOk && !confirmed) {
      setErr('');
      return setAsk(nextDay);
    }
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
  const endDay = addDays(f.day, f.end_days);
  return (
    <form class="visit-edit" onSubmit={(e) => save(e)} aria-labelledby="ve-h">
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
      <fieldset>
        <legend>{one ? vt('visite.substitute') : t('visit.assignees')}</legend>
        {one && <p class="muted">{vt('visite.substitute_hint')}</p>}
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
        {!f.all_day && <label>{t('visit.start')}<input type="time" name="start" required step={300} value={f.start} onInput={(e) => {
          const patch = moveStart(f, e.currentTarget.value);
          if (patch.end_days !== undefined && patch.end_days !== f.end_days) setNextDayOk(false);
          set(patch);
        }} /></label>}
        {!f.all_day && (
          <label>{t('visit.end')}
            <input type="time" name="end" required step={300} value={f.end} aria-describedby="ve-endday" onInput={(e) => set(moveEnd(f, e.currentTarget.value))} />
            <span id="ve-endday" class={f.end_days > 0 ? 'next-day' : 'sr'}>
              {f.end_days === 1 ? vt('visite.next_day_mark', { date: dayLabel(endDay) }) : f.end_days > 1 ? vt('visite.days_later', { n: f.end_days, date: dayLabel(endDay) }) : dayLabel(endDay)}
            </span>
          </label>
        )}
        {f.all_day && <label>{t('visit.end_day')}<input type="date" name="end_day" min={f.day} value={f.end_day} onInput={(e) => set({ end_day: e.currentTarget.value })} /></label>}
      </div>
      {!f.all_day && f.end_days <= 1 && (
        <label class="check"><input type="checkbox" name="next_day" checked={f.end_days === 1}
          onChange={(e) => { setNextDayOk(e.currentTarget.checked); set({ end_days: e.currentTarget.checked ? 1 : 0 }); }} />{vt('visite.next_day')}</label>
      )}
      {!one && (
        <label class="check"><input type="checkbox" name="all_day" checked={f.all_day} onChange={(e) => set({ all_day: e.currentTarget.checked, end_day: f.day })} />{t('visit.all_day')}</label>
      )}
      {clash.length > 0 && around && (
        <div class="notice clash" role="status">
          <strong>⚠ {vt('visite.clash_title')}</strong>
          <ul>
            {clash.map((c) => (
              <li key={`${c.user}/${c.other.id}/${c.other.occurrence_start ?? ''}`}>
                {vt('visite.clash', { name: around.who.get(c.user) ?? '—', time: timesOn(c.other), patient: around.patients.get(c.other.patient_id) ?? '—', kind: kindLabel(c.other) })}
              </li>
            ))}
          </ul>
        </div>
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
      {ask ? (
        <div class="confirm-next-day" role="alert">
          <p>{vt('visite.confirm_next_day', { date: dayLabel(ask), time: formatTime(formSpan(f).ends_at) })}</p>
          <div class="row wrap">
            <button type="button" class="primary" disabled={busy} onClick={(e) => { setNextDayOk(true); void save(e, true); }}>{vt('visite.confirm_yes')}</button>
            <button type="button" onClick={() => setAsk(null)}>{vt('visite.confirm_no')}</button>
          </div>
        </div>
      ) : (
        <div class="row wrap">
          <button class="primary" disabled={busy}>{t('visit.save')}</button>
          <a class="button" href={back}>{t('visit.cancel')}</a>
        </div>
      )}
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
