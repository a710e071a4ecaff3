// 施設: the network office's facility register (list, search, register, edit).

import { useEffect, useState } from 'preact/hooks';
import { me } from '../state';
import { createFacility, listFacilities, updateFacility, type FacilityForm } from './client';
import { FACILITY_KINDS, isNetworkAdmin, matchesFacility, type Disclosure, type Facility, type FacilityKind } from './logic';
import type { AdminKey } from './messages';
import { Dialog, ErrorNote, SelectField, at, useAction } from './ui';

export const kindLabel = (k: string) => at(`admin.kind.${k}` as AdminKey);

export function Facilities() {
  const [all, setAll] = useState<Facility[] | null>(null);
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<Facility | 'new' | null>(null);
  const [done, setDone] = useState('');
  const load = useAction();
  const office = isNetworkAdmin(me.value);
  useEffect(() => void load.run(async () => setAll(await listFacilities())), []);
  const shown = (all ?? []).filter((f) => matchesFacility(f, q));
  return (
    <section aria-labelledby="adm-fac-h">
      <div class="row wrap">
        <h2 id="adm-fac-h" class="grow">{at('admin.facilities.title')}</h2>
        {office && <button class="primary" onClick={() => setEditing('new')}>{at('admin.facilities.new')}</button>}
      </div>
      <label class="search">{at('admin.facilities.search')}
        <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" />
      </label>
      {done && <p class="notice" role="status">{done}</p>}
      <ErrorNote err={load.err} />
      {all && <p class="muted" aria-live="polite">{at('admin.count', { n: shown.length })}</p>}
      {all && shown.length === 0 && <p class="empty">{at('admin.none_found')}</p>}
      {shown.length > 0 && (
        <table class="data admin-table">
          <thead>
            <tr>
              <th scope="col">{at('admin.facilities.name')}</th>
              <th scope="col">{at('admin.facilities.kind')}</th>
              <th scope="col">{at('admin.facilities.disclosure')}</th>
              <th scope="col">{at('admin.staff.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.id}>
                <th scope="row"><span class="name">{f.name}</span><small class="kana">{f.name_kana}</small></th>
                <td>{kindLabel(f.kind)}</td>
                <td>{at(`admin.disclosure.${f.disclosure}` as AdminKey)}</td>
                <td>
                  <div class="row wrap">
                  <a class="button" href={`#/admin/staff/${encodeURIComponent(f.id)}`} aria-label={at('admin.facilities.staff_label', { name: f.name })}>{at('admin.facilities.staff_link')}</a>
                  {office && <button onClick={() => setEditing(f)} aria-label={at('admin.facilities.edit_label', { name: f.name })}>{at('admin.facilities.edit')}</button>}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <FacilityEditor
          facility={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(f, created) => {
            setAll((xs) => (created ? [...(xs ?? []), f] : (xs ?? []).map((x) => (x.id === f.id ? f : x))));
            setDone(created ? at('admin.facilities.created', { name: f.name }) : at('admin.saved'));
            setEditing(null);
          }}
        />
      )}
    </section>
  );
}

function FacilityEditor({ facility, onClose, onSaved }: { facility: Facility | null; onClose: () => void; onSaved: (f: Facility, created: boolean) => void }) {
  const [f, setF] = useState<FacilityForm>({
    name: facility?.name ?? '', name_kana: facility?.name_kana ?? '',
    kind: (facility?.kind as FacilityKind) ?? 'clinic', disclosure: (facility?.disclosure as Disclosure) ?? 'full',
    office_number: facility?.office_number ?? '',
  });
  const act = useAction();
  const set = (k: keyof FacilityForm) => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const submit = (e: Event) => {
    e.preventDefault();
    void act.run(async () => {
      if (!facility) return onSaved(await createFacility({ ...f, name: f.name.trim(), name_kana: f.name_kana.trim() }), true);
      const changed: Partial<FacilityForm> = {};
      for (const k of ['name', 'name_kana', 'kind', 'disclosure', 'office_number'] as const) {
        const v = f[k].trim();
        if (v !== facility[k]) (changed as Record<string, string>)[k] = v;
      }
      if (Object.keys(changed).length === 0) return onClose();
      onSaved(await updateFacility(facility.id, changed), false);
    });
  };
  return (
    <Dialog title={facility ? at('admin.facilities.edit_title', { name: facility.name }) : at('admin.facilities.new_title')} onClose={onClose}>
      <form onSubmit={submit}>
        <label>{at('admin.facilities.name')}<input name="facility_name" required maxLength={200} value={f.name} onInput={set('name')} /></label>
        <label>{at('admin.facilities.kana')}<input name="facility_kana" required maxLength={200} value={f.name_kana} onInput={set('name_kana')} /></label>
        <SelectField label={at('admin.facilities.kind')} name="facility_kind" value={f.kind} onChange={set('kind')}>
            {FACILITY_KINDS.map((k) => <option key={k} value={k}>{kindLabel(k)}</option>)}
          </SelectField>
        <label>{at('admin.facilities.office_number')}
          <input name="office_number" inputMode="numeric" pattern="[0-9]{10}" maxLength={10} value={f.office_number} onInput={set('office_number')} autocomplete="off" />
          <small class="muted">{at('admin.facilities.office_number_hint')}</small>
        </label>
        <fieldset>
          <legend>{at('admin.facilities.disclosure')}</legend>
          {(['full', 'shared_only'] as const).map((d) => (
            <label class="check" key={d}>
              <input type="radio" name="disclosure" value={d} checked={f.disclosure === d} onChange={() => setF({ ...f, disclosure: d })} />
              {at(`admin.disclosure.${d}`)}
            </label>
          ))}
          <small class="muted">{at('admin.disclosure_hint')}</small>
        </fieldset>
        <ErrorNote err={act.err} />
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy}>{facility ? at('admin.save') : at('admin.facilities.new')}</button>
          <button type="button" onClick={onClose}>{at('admin.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
