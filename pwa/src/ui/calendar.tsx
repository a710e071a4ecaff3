import { effect, signal } from '@preact/signals';
import { addDays, addMonths, entriesOn, monthGrid, partOfDay, tokyoDate, weekDays, weekStart } from '../calendar';
import { follow } from '../clock';
import { holidayName } from '../holidays';
import { sharedNames } from '../identity';
import { formatDate, formatMonth, formatTime, formatWeekday, getLang, t, type MessageKey } from '../i18n';
import type { Patient, VisitDetail } from '../schemas';
import { listPatients, listRecords, listTeam, listVisits, me, today, type LocalRecord } from '../state';
import { clashingKeys } from '../visits';
import { useData } from './hooks';
import { VisitLink, cursor, dayLabel, names, nav, timesOn, visitKey } from './visit-row';

// The shared calendar (診療カレンダー): a patient's month and week, and "my week"
// across patients. Public holidays are marked; in "my week", an assignee's
// overlapping visits are. The editor (visit-editor.tsx) loads on first use.

const view = signal<'month' | 'week'>('month');
const myScope = signal<'mine' | 'team'>('mine');
const myWeekStart = signal<string>(weekStart(today.peek()));

// Past midnight, a calendar still on the old today moves to the new one.
let shownToday = today.peek();
effect(() => {
  const d = today.value;
  if (d === shownToday) return;
  cursor.value = follow(cursor.peek(), shownToday, d);
  myWeekStart.value = follow(myWeekStart.peek(), shownToday, d, true);
  shownToday = d;
});

const holiday = (d: string) => holidayName(d, getLang());

/** A month cell's short time: the start, or 終日 / 〜11:00 on the later days of a long entry. */
function chipTime(v: VisitDetail, d: string): string {
  const part = partOfDay(v, d);
  return part === 'start' || part === 'within' ? formatTime(v.starts_at) : timesOn(v, d);
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
  nav.lastCalendar = location.hash;
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
              const hol = holiday(d);
              const cls = [d.slice(0, 7) === month ? '' : 'other', d === now ? 'today' : '', d === selected ? 'sel' : '', hol ? 'holiday' : ''].join(' ');
              return (
                <td key={d} class={cls}>
                  <button class="day" aria-pressed={d === selected} onClick={() => (cursor.value = d)}>
                    <span class="num"><span class="sr">{formatDate(d)}{d === now ? ` ${t('cal.is_today')}` : ''}</span><span aria-hidden="true">{Number(d.slice(8))}</span></span>
                    {hol && <span class="hol">{hol}</span>}
                    <span class="chips">
                      {v.slice(0, 3).map((x) => <span key={visitKey(x)} class={`chip st-${x.status}`}>{chipTime(x, d)} {t(`cal.short.${x.kind}` as MessageKey)}</span>)}
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
  const hol = holiday(day);
  return (
    <section class="agenda" aria-labelledby="agenda-h">
      <h3 id="agenda-h">{formatDate(day)}{hol && <span class="tag hol">{hol}</span>}</h3>
      {v.length === 0 && r.length === 0 && <p class="empty">{t('patient.no_visits')}</p>}
      <ul class="list">
        {v.map((x) => <li key={visitKey(x)}><VisitLink v={x} who={who} day={day} /></li>)}
        {r.map((x) => (
          <li key={x.id} class="row"><span aria-hidden="true">📝</span>
            <span class="grow">{t(`kind.${x.kind}` as MessageKey)} · {formatTime(x.occurred_at)}{who.get(x.author_id) && ` · ${who.get(x.author_id)}`}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function WeekList({ days, visits, records, who, addFor, patients, shared, clash }: {
  days: string[]; visits: VisitDetail[]; records: LocalRecord[]; who: Map<string, string>; addFor?: string;
  patients?: Map<string, Patient>; shared?: Set<string>; clash?: Set<string>;
}) {
  const now = today.value;
  return (
    <ol class="week">
      {days.map((d) => {
        const v = entriesOn(visits, d);
        const r = records.filter((x) => tokyoDate(x.occurred_at) === d);
        const hol = holiday(d);
        return (
          <li key={d} class={`${d === now ? 'today' : ''}${hol ? ' holiday' : ''}`}>
            <h3><span aria-hidden="true">{dayLabel(d)}</span><span class="sr">{formatDate(d)}{d === now ? ` ${t('cal.is_today')}` : ''}</span>{hol && <span class="tag hol">{hol}</span>}</h3>
            {v.length === 0 && r.length === 0 && <span class="muted">—</span>}
            <ul>
              {v.map((x) => (
                <li key={visitKey(x)}>
                  <VisitLink v={x} who={who} patient={patients?.get(x.patient_id)} sameName={shared?.has(x.patient_id)} day={d} clash={clash?.has(visitKey(x))} />
                </li>
              ))}
              {r.map((x) => <li key={x.id} class="rec"><span aria-hidden="true">📝 </span>{t(`kind.${x.kind}` as MessageKey)}</li>)}
            </ul>
            {addFor && <a class="button add" href={`#/patients/${addFor}/visits/new/${d}`} aria-label={t('cal.add_on', { date: formatDate(d) })}>＋</a>}
          </li>
        );
      })}
    </ol>
  );
}

/** "My week": my visits (or my patients' visits) across patients, with overlapping ones of one assignee marked. */
export function MyWeek() {
  nav.lastCalendar = location.hash;
  const start = myWeekStart.value;
  const scope = myScope.value;
  const days = weekDays(start);
  const myId = me.value?.id ?? '';
  const data = useData(async () => {
    const [visits, patients] = await Promise.all([listVisits(days[0]!, days[6]!), listPatients()]);
    const shown = scope === 'mine' ? visits.filter((v) => v.assignee_ids?.includes(myId)) : visits;
    const teams = await Promise.all(patients.map((p) => listTeam(p.id)));
    return { visits: shown, patients: new Map(patients.map((p) => [p.id, p])), shared: sharedNames(patients), who: names(teams.flat()), clash: clashingKeys(shown) };
  }, [start, scope, myId]);
  return (
    <section aria-labelledby="week-h" class="calendar">
      <h1 id="week-h">{t('cal.my_week')}</h1>
      <p class="careplan-entry"><a href="#/careplan">{t('cal.careplan')}</a></p>
      <div class="row seg" role="radiogroup" aria-label={t('cal.scope')}>
        {(['mine', 'team'] as const).map((s) => (
          <button key={s} role="radio" aria-checked={scope === s} onClick={() => (myScope.value = s)}>{t(`cal.scope_${s}` as MessageKey)}</button>
        ))}
      </div>
      <Nav title={`${formatDate(days[0]!)} – ${formatDate(days[6]!)}`} prev={() => (myWeekStart.value = addDays(start, -7))}
        next={() => (myWeekStart.value = addDays(start, 7))} today={() => (myWeekStart.value = weekStart(today.value))}
        prevLabel={t('patient.prev_week')} nextLabel={t('patient.next_week')} />
      {data && data.clash.size > 0 && <p class="notice" role="status">{t('cal.clash_note', { n: data.clash.size })}</p>}
      {data && data.visits.length === 0 && <p class="empty">{t('cal.week_none')}</p>}
      {data && <WeekList days={days} visits={data.visits} records={[]} who={data.who} patients={data.patients} shared={data.shared} clash={data.clash} />}
    </section>
  );
}
