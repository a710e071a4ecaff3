// Patient onboarding screens, loaded on first use: registering a patient
// (online only) and recording a consent with the photographed, signed form
// (offline-capable through the outbox, like a record's photos).

import { useEffect, useState } from 'preact/hooks';
import { errorMessage, t } from '../i18n';
import { ct, type CareKey } from '../i18n/care';
import { checkConsent, checkPatient, pages, patientBody, SEXES, wareki, type ConsentErrors, type PatientErrors, type PatientForm, type Scope } from '../onboard';
import { downscale } from '../photo';
import { createConsent, describeError, getPatient, listTeam, me, registerPatient, status, today } from '../state';
import { useData } from './hooks';

const online = () => status.value?.online ?? navigator.onLine;

/** The message of a field's error, tied to the field by aria-describedby. */
function FieldError({ id, error }: { id: string; error?: string }) {
  return error ? <small id={id} class="field-error">{ct(`onboard.err.${error}` as CareKey)}</small> : null;
}

export function RegisterPatient() {
  const [f, setF] = useState<PatientForm>({ name: '', name_kana: '', birth_date: '', sex: '', address: '', phone: '' });
  // Errors show after the first try to save, and follow the typing from then on.
  const [tried, setTried] = useState(false);
  const errs: PatientErrors = tried ? checkPatient(f, today.value) : {};
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof PatientForm) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const era = wareki(f.birth_date);
  const isOnline = online();
  const described = (k: keyof PatientForm, extra?: string) => ({
    'aria-invalid': errs[k] ? true : undefined,
    'aria-describedby': [errs[k] ? `reg-${k}-err` : '', extra ?? ''].filter(Boolean).join(' ') || undefined,
  });

  const save = async (e: Event) => {
    e.preventDefault();
    const found = checkPatient(f, today.value);
    setTried(true);
    if (Object.keys(found).length) return setErr('');
    setErr('');
    setBusy(true);
    try {
      const p = await registerPatient(patientBody(f));
      location.hash = `#/patients/${p.id}/consent/new`;
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="record onboard" onSubmit={save} aria-labelledby="reg-h" noValidate>
      <h1 id="reg-h">{ct('onboard.title')}</h1>
      {!isOnline && <p class="notice" role="status">{ct('onboard.offline')}</p>}
      <p class="muted">{ct('onboard.hint')}</p>
      <div class="grid2">
        <label>{ct('onboard.name')}
          <input name="name" autoComplete="off" maxLength={100} value={f.name} onInput={set('name')} {...described('name')} />
          <FieldError id="reg-name-err" error={errs.name} />
        </label>
        <label>{ct('onboard.name_kana')}
          <input name="name_kana" autoComplete="off" maxLength={100} value={f.name_kana} onInput={set('name_kana')} {...described('name_kana')} />
          <FieldError id="reg-name_kana-err" error={errs.name_kana} />
        </label>
        <label>{ct('onboard.birth_date')}
          <input name="birth_date" type="date" min="1900-01-01" max={today.value} value={f.birth_date} onInput={set('birth_date')} {...described('birth_date', 'reg-wareki')} />
          <small id="reg-wareki" class="wareki" aria-live="polite">{era ? ct('onboard.wareki', { date: era }) : ''}</small>
          <FieldError id="reg-birth_date-err" error={errs.birth_date} />
        </label>
        <fieldset class="sex" {...described('sex')}>
          <legend>{ct('onboard.sex')}</legend>
          <div class="row wrap">
            {SEXES.map((s) => (
              <label key={s} class="check"><input type="radio" name="sex" value={s} checked={f.sex === s} onChange={() => setF({ ...f, sex: s })} />{ct(`onboard.sex.${s}` as CareKey)}</label>
            ))}
          </div>
          <FieldError id="reg-sex-err" error={errs.sex} />
        </fieldset>
      </div>
      <label>{ct('onboard.address')}
        <input name="address" autoComplete="off" maxLength={300} value={f.address} onInput={set('address')} {...described('address')} />
        <FieldError id="reg-address-err" error={errs.address} />
      </label>
      <label>{ct('onboard.phone')}
        <input name="phone" type="tel" autoComplete="off" maxLength={20} value={f.phone} onInput={set('phone')} {...described('phone')} />
        <FieldError id="reg-phone-err" error={errs.phone} />
      </label>
      <div class="grid2">
        <label>{ct('onboard.insurer_number')}
          <input name="insurer_number" inputMode="numeric" autoComplete="off" maxLength={6} value={f.insurer_number ?? ''} onInput={set('insurer_number')} {...described('insurer_number')} />
          <FieldError id="reg-insurer_number-err" error={errs.insurer_number} />
        </label>
        <label>{ct('onboard.insured_number')}
          <input name="insured_number" inputMode="numeric" autoComplete="off" maxLength={10} value={f.insured_number ?? ''} onInput={set('insured_number')} {...described('insured_number')} />
          <FieldError id="reg-insured_number-err" error={errs.insured_number} />
        </label>
      </div>
      {Object.keys(errs).length > 0 && <p class="error" role="alert">{ct('onboard.fix')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      <button class="primary" disabled={busy || !isOnline}>{busy ? ct('onboard.saving') : ct('onboard.save')}</button>
    </form>
  );
}

interface Page { blob: Blob; url: string }

export function NewConsent({ patientId }: { patientId: string }) {
  const ctx = useData(async () => ({ patient: await getPatient(patientId), team: await listTeam(patientId) }), [patientId]);
  const user = me.value;
  const [obtainedOn, setObtainedOn] = useState(today.value);
  const [scope, setScope] = useState<Scope | ''>('full');
  const [obtainedBy, setObtainedBy] = useState(user?.id ?? '');
  const [list, setList] = useState<Page[]>([]);
  const [tried, setTried] = useState(false);
  const [err, setErr] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => () => list.forEach((p) => URL.revokeObjectURL(p.url)), []); // eslint-disable-line

  if (!ctx) return <p class="empty">{t('app.loading')}</p>;
  const errs: ConsentErrors = tried ? checkConsent({ obtained_on: obtainedOn, scope, obtained_by: obtainedBy, pages: list.length }, today.value) : {};
  const others = ctx.team.filter((m) => m.user_id !== user?.id);

  const addPages = async (files: FileList | null) => {
    const taken: Page[] = [];
    for (const f of Array.from(files ?? [])) {
      try {
        const blob = await downscale(f);
        taken.push({ blob, url: URL.createObjectURL(blob) });
      } catch {
        setErr(ct('consent.photo_failed'));
      }
    }
    setList((cur) => {
      const { list: next, dropped } = pages.add(cur, taken);
      taken.slice(taken.length - dropped).forEach((p) => URL.revokeObjectURL(p.url));
      setNote(dropped ? ct('consent.pages_dropped', { n: dropped }) : '');
      return next;
    });
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const found = checkConsent({ obtained_on: obtainedOn, scope, obtained_by: obtainedBy, pages: list.length }, today.value);
    setTried(true);
    if (Object.keys(found).length) return setErr('');
    setErr('');
    setBusy(true);
    try {
      await createConsent({
        patient_id: patientId, obtained_on: obtainedOn, scope: scope as Scope, obtained_by: obtainedBy,
        pages: await Promise.all(list.map(async (p) => new Uint8Array(await p.blob.arrayBuffer()))),
      });
      location.hash = `#/patients/${patientId}/consent`;
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="record onboard" onSubmit={save} aria-labelledby="consent-h" noValidate>
      <h1 id="consent-h">{ct('consent.title')}{ctx.patient && <small class="muted"> {ct('consent.for', { name: ctx.patient.name })}</small>}</h1>
      <p class="muted">{ct('consent.offline_ok')}</p>
      <div class="grid2">
        <label>{ct('consent.obtained_on')}
          <input name="obtained_on" type="date" min="1900-01-01" max={today.value} value={obtainedOn} onInput={(e) => setObtainedOn(e.currentTarget.value)}
            aria-invalid={errs.obtained_on ? true : undefined} aria-describedby={errs.obtained_on ? 'con-on-err' : undefined} />
          <FieldError id="con-on-err" error={errs.obtained_on} />
        </label>
        <label>{ct('consent.obtained_by')}
          <select name="obtained_by" value={obtainedBy} onChange={(e) => setObtainedBy(e.currentTarget.value)}>
            {user && <option value={user.id}>{ct('consent.me', { name: user.name })}</option>}
            {others.map((m) => <option key={m.user_id} value={m.user_id}>{m.name ?? m.user_id}</option>)}
          </select>
        </label>
      </div>
      <fieldset aria-describedby={errs.scope ? 'con-scope-err' : undefined}>
        <legend>{ct('consent.scope')}</legend>
        <div class="choices">
          {(['full', 'calendar_shared'] as const).map((s) => (
            <label key={s} class="check choice">
              <input type="radio" name="scope" value={s} checked={scope === s} onChange={() => setScope(s)} aria-describedby={`con-scope-${s}`} />
              <span>{ct(`consent.scope.${s}`)}<small id={`con-scope-${s}`}>{ct(`consent.scope.${s}_hint`)}</small></span>
            </label>
          ))}
        </div>
        <FieldError id="con-scope-err" error={errs.scope} />
      </fieldset>
      <fieldset aria-describedby={`con-pages-hint${errs.pages ? ' con-pages-err' : ''}`}>
        <legend>{ct('consent.pages')}</legend>
        <p id="con-pages-hint" class="muted">{ct('consent.pages_hint')}</p>
        <label class="button">
          {ct('consent.add_page')}
          <input class="sr" type="file" accept="image/*" capture="environment" multiple onChange={(e) => { void addPages(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
        <ol class="thumbs pages">
          {list.map((p, i) => (
            <li key={p.url}>
              <img src={p.url} alt={ct('consent.page', { n: i + 1 })} />
              <span class="page-no" aria-hidden="true">{i + 1}</span>
              <button type="button" class="remove" aria-label={ct('consent.remove_page', { n: i + 1 })}
                onClick={() => { URL.revokeObjectURL(p.url); setList(pages.remove(list, i)); }}>×</button>
              <div class="row order">
                <button type="button" disabled={i === 0} aria-label={ct('consent.page_earlier', { n: i + 1 })} onClick={() => setList(pages.move(list, i, -1))}>←</button>
                <button type="button" disabled={i === list.length - 1} aria-label={ct('consent.page_later', { n: i + 1 })} onClick={() => setList(pages.move(list, i, 1))}>→</button>
              </div>
            </li>
          ))}
        </ol>
        {note && <p class="notice" role="status">{note}</p>}
        <FieldError id="con-pages-err" error={errs.pages} />
      </fieldset>
      {Object.keys(errs).length > 0 && <p class="error" role="alert">{ct('onboard.fix')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      <button class="primary" disabled={busy}>{ct('consent.save')}</button>
    </form>
  );
}
