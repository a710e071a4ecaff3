// The care team of one patient (チーム tab): who is on it, in what role, from which
// facility, and whether their account still works. Those who manage the patient
// (can_manage: staff of the registering facility, the team's physicians and care
// manager; the server decides) add staff of any facility and remove members.
// The list is what sync holds; adding and removing need the network.
// Loaded lazily (ui/lazy.tsx).

import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, t } from '../i18n';
import { ct, type CareKey } from '../i18n/care';
import type { TeamMember, User } from '../schemas';
import { api, describeError, getPatient, heldTeam, status, storeTeam } from '../state';
import { PROFESSIONS, ROLES, activeCount, defaultRole, filterStaff, memberStatus, professionLabel, roleLabel, sortMembers, type Role } from '../team';
import { useData } from './hooks';
import './team.css';

const MAX_RESULTS = 30;

type Facility = { id: string; name: string };
type StaffRow = User & { facility_name?: string };

const online = () => status.value?.online ?? navigator.onLine;

export default function TeamSection({ id }: { id: string }) {
  const patient = useData(() => getPatient(id).then((p) => p ?? null), [id]);
  const held = useData(() => heldTeam(id).then((m) => m ?? null), [id]);
  const [fetched, setFetched] = useState<TeamMember[] | null>(null);
  const [msg, setMsg] = useState('');
  const [err, setErr] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState(false);
  const isOnline = online();

  // A patient this device does not hold (e.g. not yet consented): read the team online.
  useEffect(() => {
    if (held !== null || !isOnline) return;
    api.request<{ members: TeamMember[] | null }>('GET', `/patients/${encodeURIComponent(id)}/team`)
      .then((r) => setFetched(r.members ?? []), (e) => setErr(errorMessage(describeError(e))));
  }, [held, id, isOnline]);

  const members = held ?? fetched;
  if (held === undefined || (members === null && !err)) return <p class="empty">{t('app.loading')}</p>;
  const list = sortMembers(members ?? []);
  const manage = !!patient?.can_manage;
  const inactive = list.length - activeCount(list);

  const remove = async (m: TeamMember) => {
    setBusy(true);
    setErr('');
    try {
      await api.request('DELETE', `/patients/${encodeURIComponent(id)}/team/${encodeURIComponent(m.user_id)}`);
      const rest = (members ?? []).filter((x) => x.user_id !== m.user_id);
      if (held) await storeTeam(id, rest);
      else setFetched(rest);
      setConfirming(null);
      setMsg(ct('team.removed', { name: m.name }));
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  const added = async (name: string, team: TeamMember[]) => {
    if (held) await storeTeam(id, team);
    else setFetched(team);
    setAdding(false);
    setMsg(ct('team.added', { name }));
  };

  return (
    <section class="team" aria-labelledby="team-h">
      <h2 id="team-h">{ct('team.title')}</h2>
      <p>
        {ct('team.summary', { n: activeCount(list) })}
        {inactive > 0 && <> · <span class="muted">{ct('team.summary_inactive', { n: inactive })}</span></>}
      </p>
      {held === null && fetched && <p class="muted">{t('patient.no_team')}</p>}
      {manage && !isOnline && <p class="notice" role="note">{ct('team.offline')}</p>}
      <p role="status" aria-live="polite" class={msg ? 'done-msg' : 'sr'}>{msg}</p>
      {err && <p class="error" role="alert">{err}</p>}
      {list.length === 0 ? <p class="empty">{t('patient.no_team')}</p> : (
        <table class="members">
          <caption class="sr">{ct('team.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{ct('team.col.role')}</th>
              <th scope="col">{ct('team.col.name')}</th>
              <th scope="col">{ct('team.col.profession')}</th>
              <th scope="col">{ct('team.col.facility')}</th>
              <th scope="col">{ct('team.col.status')}</th>
              {manage && <th scope="col">{ct('team.col.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((m) => {
              const st = memberStatus(m);
              return (
                <Fragment key={m.user_id}>
                  <tr class={`st-${st}`}>
                    <td>{roleLabel(m.role)}</td>
                    <th scope="row"><ruby>{m.name}<rt>{m.name_kana}</rt></ruby></th>
                    <td>{professionLabel(m.profession)}</td>
                    <td>{m.facility_name || '—'}</td>
                    <td>{st === 'active' ? ct('team.status.active') : <span class={`badge-st ${st}`}>{ct(`team.status.${st}` as CareKey)}</span>}</td>
                    {manage && (
                      <td>
                        <button class="danger" disabled={!isOnline || busy} aria-expanded={confirming === m.user_id}
                          aria-label={ct('team.remove_label', { name: m.name })} onClick={() => setConfirming(confirming === m.user_id ? null : m.user_id)}>
                          {ct('team.remove')}
                        </button>
                      </td>
                    )}
                  </tr>
                  {confirming === m.user_id && (
                    <tr class="confirm-row">
                      <td colSpan={6}>
                        <ConfirmRemove name={m.name} busy={busy || !isOnline} onYes={() => remove(m)} onNo={() => setConfirming(null)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      {inactive > 0 && <p class="muted">{ct('team.inactive_note')}</p>}
      {manage && isOnline && (
        <div class="add-member">
          <button class={adding ? '' : 'primary'} aria-expanded={adding} aria-controls="team-add" onClick={() => setAdding(!adding)}>
            {adding ? ct('team.add_close') : ct('team.add_open')}
          </button>
          {adding && <AddMember id={id} team={members ?? []} onAdded={added} />}
        </div>
      )}
    </section>
  );
}

function ConfirmRemove({ name, busy, onYes, onNo }: { name: string; busy: boolean; onYes: () => void; onNo: () => void }) {
  const no = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    no.current?.focus();
    no.current?.scrollIntoView({ block: 'center' });
  }, []);
  return (
    <div role="group" aria-labelledby="team-remove-q" class="confirm">
      <p id="team-remove-q">{ct('team.remove_question', { name })}</p>
      <div class="row wrap">
        <button class="danger" disabled={busy} onClick={onYes}>{ct('team.remove_yes')}</button>
        <button ref={no} onClick={onNo}>{ct('team.remove_no')}</button>
      </div>
    </div>
  );
}

function AddMember({ id, team, onAdded }: { id: string; team: TeamMember[]; onAdded: (name: string, team: TeamMember[]) => Promise<void> }) {
  const [facilities, setFacilities] = useState<Facility[]>([]);
  const [q, setQ] = useState('');
  const [facilityId, setFacilityId] = useState('');
  const [profession, setProfession] = useState('');
  const [results, setResults] = useState<StaffRow[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [pick, setPick] = useState<StaffRow | null>(null);
  const [role, setRole] = useState<Role>('other');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const onTeam = new Set(team.map((m) => m.user_id));

  useEffect(() => {
    api.request<{ facilities: Facility[] | null }>('GET', '/facilities').then((r) => setFacilities(r.facilities ?? []), () => undefined);
  }, []);
  const facilityName = (u: StaffRow) => u.facility_name || facilities.find((f) => f.id === u.facility_id)?.name || '—';

  const search = async (e?: Event) => {
    e?.preventDefault();
    setSearching(true);
    setErr('');
    setPick(null);
    try {
      const r = await api.request<{ users: StaffRow[] | null }>('GET', '/users', { query: { q: q.trim(), facility_id: facilityId, profession } });
      setResults(filterStaff(r.users ?? [], { q, facilityId, profession }));
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setSearching(false);
    }
  };
  const choose = (u: StaffRow) => {
    setPick(u);
    setRole(defaultRole(u.profession, team));
  };
  const add = async (e: Event) => {
    e.preventDefault();
    if (!pick) {
      setErr(ct('team.pick_first'));
      return;
    }
    setBusy(true);
    setErr('');
    try {
      const r = await api.request<{ members: TeamMember[] | null }>('POST', `/patients/${encodeURIComponent(id)}/team`, { body: { user_id: pick.id, role } });
      await onAdded(pick.name, r.members ?? []);
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };
  const shown = results?.slice(0, MAX_RESULTS);

  return (
    <section id="team-add" class="card" aria-labelledby="team-add-h">
      <h3 id="team-add-h">{ct('team.add_title')}</h3>
      <form class="search-staff" role="search" aria-label={ct('team.search')} onSubmit={search}>
        <label>{ct('team.search_q')}<input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" /></label>
        <label>{ct('team.search_facility')}
          <select value={facilityId} onChange={(e) => setFacilityId(e.currentTarget.value)}>
            <option value="">{ct('team.search_all_facilities')}</option>
            {facilities.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </select>
        </label>
        <label>{ct('team.search_profession')}
          <select value={profession} onChange={(e) => setProfession(e.currentTarget.value)}>
            <option value="">{ct('team.search_all_professions')}</option>
            {PROFESSIONS.map((p) => <option key={p} value={p}>{professionLabel(p)}</option>)}
          </select>
        </label>
        <button type="submit" disabled={searching}>{searching ? ct('team.searching') : ct('team.search')}</button>
      </form>
      {err && <p class="error" role="alert">{err}</p>}
      {shown && (
        <form onSubmit={add}>
          <p role="status" aria-live="polite">
            {shown.length === 0 ? ct('team.no_results') : ct('team.results_count', { n: results!.length })}
            {results!.length > MAX_RESULTS && ` ${ct('team.results_more', { n: MAX_RESULTS })}`}
          </p>
          {shown.length > 0 && (
            <fieldset>
              <legend>{ct('team.pick')}</legend>
              <ul class="staff">
                {shown.map((u) => {
                  const member = onTeam.has(u.id);
                  return (
                    <li key={u.id}>
                      <label class="check">
                        <input type="radio" name="staff" value={u.id} disabled={member} checked={pick?.id === u.id} onChange={() => choose(u)} />
                        <span>
                          {u.name} <small>{u.name_kana} · {professionLabel(u.profession)} · {facilityName(u)}</small>
                          {member && <span class="tag">{ct('team.already_member')}</span>}
                        </span>
                      </label>
                    </li>
                  );
                })}
              </ul>
            </fieldset>
          )}
          {pick && (
            <div class="row wrap add-row">
              <label class="grow">{ct('team.role')}
                <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
                  {ROLES.map((r) => <option key={r} value={r}>{roleLabel(r)}</option>)}
                </select>
              </label>
              <button type="submit" class="primary" disabled={busy}>{ct('team.add')}</button>
            </div>
          )}
        </form>
      )}
    </section>
  );
}
