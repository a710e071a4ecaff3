// 職員: search staff accounts and create one. The actions on an account are in
// staff-actions.tsx. A facility admin sees and creates only their own facility's staff.

import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { me } from '../state';
import { createStaff, listFacilities, searchStaff, type NewStaff } from './client';
import { kindLabel } from './facilities';
import {
  PROFESSIONS, STATUSES, canManage, emptyStaffFilter, grantable, grantableRoles, isNetworkAdmin,
  type AdminRole, type Facility, type Profession, type Staff, type StaffFilter,
} from './logic';
import type { AdminKey } from './messages';
import { StaffActions } from './staff-actions';
import { Dialog, ErrorNote, SelectField, at, useAction } from './ui';

export const professionLabel = (p: string) => t(`profession.${p}` as MessageKey);
export const statusLabel = (s: string) => at(`admin.staff.status.${s}` as AdminKey);
const roleLabel = (r: string) => at(`admin.role.${r}` as AdminKey);

export function StaffScreen({ facilityId }: { facilityId?: string }) {
  const office = isNetworkAdmin(me.value);
  const own = office ? '' : (me.value?.facility_id ?? '');
  const [filter, setFilter] = useState<StaffFilter>({ ...emptyStaffFilter(), facility_id: own || facilityId || '' });
  const [facilities, setFacilities] = useState<Facility[]>([]);
  const [staff, setStaff] = useState<Staff[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [managing, setManaging] = useState<Staff | null>(null);
  const [done, setDone] = useState('');
  const load = useAction();
  const names = new Map(facilities.map((f) => [f.id, f.name]));
  const search = (f = filter) => load.run(async () => setStaff(await searchStaff(f)));
  useEffect(() => {
    void listFacilities().then(setFacilities, () => undefined);
    void search();
  }, []);
  const set = (k: keyof StaffFilter) => (e: { currentTarget: { value: string } }) => setFilter({ ...filter, [k]: e.currentTarget.value });
  const replace = (u: Staff) => setStaff((xs) => (xs ?? []).map((x) => (x.id === u.id ? { ...x, ...u } : x)));
  return (
    <section aria-labelledby="adm-staff-h">
      <div class="row wrap">
        <h2 id="adm-staff-h" class="grow">{at('admin.staff.title')}</h2>
        <button class="primary" onClick={() => setCreating(true)}>{at('admin.staff.new')}</button>
      </div>
      <form class="filters" role="search" aria-label={at('admin.staff.title')} onSubmit={(e) => { e.preventDefault(); void search(); }}>
        <label>{at('admin.staff.q')}<input name="q" type="search" autocomplete="off" value={filter.q} onInput={set('q')} /></label>
        {office ? (
          <SelectField label={at('admin.staff.facility')} name="facility_id" value={filter.facility_id} onChange={set('facility_id')}>
              <option value="">{at('admin.all')}</option>
              {facilities.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
            </SelectField>
        ) : (
          <p class="own-facility">{at('admin.staff.own_facility', { name: names.get(own) ?? '' })}</p>
        )}
        <SelectField label={at('admin.staff.profession')} name="profession" value={filter.profession} onChange={set('profession')}>
            <option value="">{at('admin.all')}</option>
            {PROFESSIONS.map((p) => <option key={p} value={p}>{professionLabel(p)}</option>)}
          </SelectField>
        <SelectField label={at('admin.staff.status')} name="status" value={filter.status} onChange={set('status')}>
            <option value="">{at('admin.all')}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
          </SelectField>
        <div class="row filter-buttons">
          <button type="submit" class="primary" disabled={load.busy}>{at('admin.search')}</button>
          <button type="button" onClick={() => { const f = { ...emptyStaffFilter(), facility_id: own }; setFilter(f); void search(f); }}>{at('admin.clear')}</button>
        </div>
      </form>
      {done && <p class="notice" role="status">{done}</p>}
      <ErrorNote err={load.err} />
      {staff && <p class="muted" aria-live="polite">{at('admin.count', { n: staff.length })}</p>}
      {staff && staff.length === 0 && <p class="empty">{at('admin.none_found')}</p>}
      {!!staff?.length && (
        <table class="data admin-table">
          <thead>
            <tr>
              <th scope="col">{at('admin.staff.name')}</th>
              <th scope="col">{at('admin.staff.login_id')}</th>
              <th scope="col">{at('admin.staff.facility')}</th>
              <th scope="col">{at('admin.staff.profession')}</th>
              <th scope="col">{at('admin.staff.status')}</th>
              <th scope="col">{at('admin.staff.last_active')}</th>
              <th scope="col">{at('admin.staff.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {staff.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  <span class="name">{u.name}</span><small class="kana">{u.name_kana}</small>
                  {u.roles?.map((r) => <span key={r} class="tag">{roleLabel(r)}</span>)}
                </th>
                <td>{u.login_id ?? '—'}</td>
                <td>{u.facility_name || names.get(u.facility_id ?? '') || '—'}</td>
                <td>{professionLabel(u.profession)}</td>
                <td>
                  <span class={u.status === 'active' ? 'tag' : 'tag warn'}>{statusLabel(u.status)}</span>
                  {u.login_id !== undefined && !u.totp_enabled && <small class="muted">{at('admin.staff.totp_off')}</small>}
                  {u.must_change_password && <small class="muted">{at('admin.staff.must_change')}</small>}
                </td>
                <td>{u.last_active_at ? formatDateTime(u.last_active_at) : '—'}</td>
                <td>
                  {canManage(me.value, u) && u.id !== me.value?.id && (
                    <button onClick={() => setManaging(u)} aria-label={at('admin.staff.manage', { name: u.name })}>{at('admin.staff.actions')}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewStaffForm
          facilities={facilities}
          own={own}
          onClose={() => setCreating(false)}
          onCreated={(u) => {
            setStaff((xs) => [...(xs ?? []), u]);
            setDone(at('admin.staff.created', { name: u.name }));
            setCreating(false);
          }}
        />
      )}
      {managing && <StaffActions user={managing} onChanged={(u) => { replace(u); setManaging({ ...managing, ...u }); }} onClose={() => setManaging(null)} />}
    </section>
  );
}

function NewStaffForm({ facilities, own, onClose, onCreated }: { facilities: Facility[]; own: string; onClose: () => void; onCreated: (u: Staff) => void }) {
  const office = isNetworkAdmin(me.value);
  const [f, setF] = useState<NewStaff>({ login_id: '', name: '', name_kana: '', profession: 'other', facility_id: own, roles: [], password: '' });
  const act = useAction();
  const facility = facilities.find((x) => x.id === f.facility_id);
  const { usual, other } = grantable(facility?.kind ?? '', office);
  const professions = [...usual, ...other];
  const profession: Profession = professions.includes(f.profession) ? f.profession : (usual[0] ?? 'other');
  const set = (k: 'login_id' | 'name' | 'name_kana' | 'password' | 'facility_id') => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const toggle = (r: AdminRole, on: boolean) => setF({ ...f, roles: on ? [...f.roles, r] : f.roles.filter((x) => x !== r) });
  const submit = (e: Event) => {
    e.preventDefault();
    void act.run(async () => onCreated(await createStaff({ ...f, profession, login_id: f.login_id.trim(), name: f.name.trim(), name_kana: f.name_kana.trim() })));
  };
  return (
    <Dialog title={at('admin.staff.new_title')} onClose={onClose} wide>
      <form onSubmit={submit}>
        <div class="grid2">
          <label>{at('admin.staff.name')}<input name="name" required maxLength={100} value={f.name} onInput={set('name')} /></label>
          <label>{at('admin.staff.kana')}<input name="name_kana" required maxLength={100} value={f.name_kana} onInput={set('name_kana')} /></label>
          <label>{at('admin.staff.login_id')}
            <input name="login_id" required minLength={3} maxLength={64} pattern="[A-Za-z0-9._@\-]+" autocapitalize="off" autocomplete="off" spellcheck={false} value={f.login_id} onInput={set('login_id')} />
          </label>
          {office ? (
            <SelectField label={at('admin.staff.facility')} name="facility_id" required value={f.facility_id} onChange={set('facility_id')}>
                <option value="">{at('admin.staff.pick_facility')}</option>
                {facilities.map((x) => <option key={x.id} value={x.id}>{x.name}({kindLabel(x.kind)})</option>)}
              </SelectField>
          ) : (
            <p class="own-facility">{at('admin.staff.own_facility', { name: facility?.name ?? '' })}</p>
          )}
          <SelectField label={at('admin.staff.profession')} name="profession" required value={profession} disabled={!f.facility_id} onChange={(e) => setF({ ...f, profession: e.currentTarget.value as Profession })}>
              <optgroup label={at('admin.staff.profession_usual')}>
                {usual.map((p) => <option key={p} value={p}>{professionLabel(p)}</option>)}
              </optgroup>
              {other.length > 0 && (
                <optgroup label={at('admin.staff.profession_other')}>
                  {other.map((p) => <option key={p} value={p}>{professionLabel(p)}</option>)}
                </optgroup>
              )}
            </SelectField>
          <div class="field">
            <label>{at('admin.staff.password')}
              <input name="initial_password" type="text" required maxLength={256} autocomplete="new-password" autocapitalize="off" spellcheck={false} value={f.password} onInput={set('password')} aria-describedby="adm-pw-hint" />
            </label>
            <small id="adm-pw-hint" class="muted">{at('admin.staff.password_hint')}</small>
          </div>
        </div>
        <fieldset>
          <legend>{at('admin.staff.roles')}</legend>
          {grantableRoles(me.value).map((r) => (
            <label class="check" key={r}>
              <input type="checkbox" name={`role_${r}`} checked={f.roles.includes(r)} onChange={(e) => toggle(r, e.currentTarget.checked)} />
              {roleLabel(r)}
            </label>
          ))}
        </fieldset>
        <ErrorNote err={act.err} />
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy || !f.facility_id}>{at('admin.staff.new')}</button>
          <button type="button" onClick={onClose}>{at('admin.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
