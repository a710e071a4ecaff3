import { useEffect, useState } from 'preact/hooks';
import type { Patient, RecordKind, TeamMember, Vitals } from '../schemas';
import { kindsForAuthor, proxyCandidates } from '../authorship';
import { errorMessage, t, tokyoDay, type MessageKey } from '../i18n';
import { downscale } from '../photo';
import { amendRecord, createRecord, describeError, getPatient, getRecord, listTeam, me, today, type LocalRecord } from '../state';
import { useData } from './hooks';
import { VITALS, kindHasPlan, kindHasVitals, outOfRange, type VitalKey } from '../vitals';

interface Photo { blob: Blob; url: string }

function localNow(): string {
  // <input type=datetime-local> wants Tokyo wall time without a zone.
  const d = new Date();
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return `${tokyoDay(d)}T${hm}`;
}

function localTime(iso: string): string {
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  return `${tokyoDay(iso)}T${hm}`;
}

/** A new record, or with `recordId` an amendment (訂正) of that record. */
export function NewRecord({ patientId, recordId }: { patientId: string; recordId?: string }) {
  const rec = useData(() => (recordId ? getRecord(recordId).then((r) => r ?? null) : Promise.resolve(null)), [recordId]);
  const ctx = useData(async () => ({ patient: await getPatient(patientId), team: await listTeam(patientId) }), [patientId]);
  if ((recordId && rec === undefined) || !ctx) return <p class="empty">{t('app.loading')}</p>;
  if (recordId && !rec) return <p class="empty">{t('patient.not_found')}</p>;
  return <RecordForm key={recordId ?? 'new'} patientId={patientId} rec={rec ?? undefined} patient={ctx.patient} team={ctx.team} />;
}

function RecordForm({ patientId, rec, patient, team }: { patientId: string; rec?: LocalRecord; patient?: Patient; team: TeamMember[] }) {
  const user = me.value;
  // 代行入力: the others of my facility on this patient's team (none when amending).
  const candidates = rec || !user ? [] : proxyCandidates(team, user);
  const [authorId, setAuthorId] = useState('');
  const author = candidates.find((m) => m.user_id === authorId);
  const kindsOf = (a?: TeamMember) => (rec ? [rec.kind] : kindsForAuthor({ profession: user?.profession ?? '' }, a, patient));
  const kinds = kindsOf(author);
  const [kind, setKind] = useState<RecordKind>(kinds[0]!);
  const chooseAuthor = (id: string) => {
    setAuthorId(id);
    // The template of the author's profession: a nurse entering for the doctor writes a doctor's note.
    setKind(kindsOf(candidates.find((m) => m.user_id === id))[0]!);
  };
  const [when, setWhen] = useState(() => (rec ? localTime(rec.occurred_at) : localNow()));
  const [text, setText] = useState(rec?.text ?? '');
  const [vitals, setVitals] = useState<Partial<Record<VitalKey, string>>>(() =>
    Object.fromEntries(VITALS.filter((s) => typeof rec?.vitals?.[s.key] === 'number').map((s) => [s.key, String(rec!.vitals![s.key])])));
  const [next, setNext] = useState(rec?.next_visit_on ?? '');
  const [plan, setPlan] = useState(rec?.plan_changed ?? false);
  const [reason, setReason] = useState('');
  const [inError, setInError] = useState(false);
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => () => photos.forEach((p) => URL.revokeObjectURL(p.url)), []); // eslint-disable-line

  const addPhotos = async (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) {
      try {
        const blob = await downscale(f);
        setPhotos((ps) => [...ps, { blob, url: URL.createObjectURL(blob) }]);
      } catch {
        setErr(t('record.photo_failed'));
      }
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const v: Vitals = {};
    if (kindHasVitals(kind)) for (const s of VITALS) if (vitals[s.key]) v[s.key] = Number(vitals[s.key]);
    if (rec) {
      if (!reason.trim()) return setErr(t('amend.reason_needed'));
      setBusy(true);
      try {
        await amendRecord(rec, {
          reason: reason.trim(), text: text.trim(), vitals: kindHasVitals(kind) ? v : undefined, entered_in_error: inError,
          next_visit_on: kindHasPlan(kind) ? next : undefined, plan_changed: kindHasPlan(kind) ? plan : undefined,
        });
        location.hash = `#/patients/${patientId}`;
      } catch (x) {
        setErr(errorMessage(describeError(x)));
      } finally {
        setBusy(false);
      }
      return;
    }
    if (!text.trim() && Object.keys(v).length === 0 && photos.length === 0) return setErr(t('record.empty'));
    setBusy(true);
    try {
      await createRecord({
        patient_id: patientId,
        kind,
        occurred_at: new Date(`${when}:00+09:00`).toISOString(),
        text: text.trim(),
        vitals: Object.keys(v).length ? v : undefined,
        next_visit_on: kindHasPlan(kind) && next ? next : undefined,
        plan_changed: kindHasPlan(kind) && plan,
        photos: await Promise.all(photos.map(async (p) => new Uint8Array(await p.blob.arrayBuffer()))),
        on_behalf_of: author?.user_id,
      });
      location.hash = `#/patients/${patientId}`;
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="record" onSubmit={save} aria-labelledby="rec-h">
      <h1 id="rec-h">{rec ? t('amend.title') : t('record.title')}</h1>
      {rec && <p class="notice">{t('amend.hint', { version: rec.version })}</p>}
      {candidates.length > 0 && (
        <fieldset class="author">
          <legend>{t('proxy.legend')}</legend>
          <div class="choices">
            <label class="check choice">
              <input type="radio" name="author" value="" checked={!author} onChange={() => chooseAuthor('')} />
              <span>{t('proxy.self')}<small>{user?.name}</small></span>
            </label>
            {candidates.map((m) => (
              <label key={m.user_id} class="check choice">
                <input type="radio" name="author" value={m.user_id} checked={authorId === m.user_id} onChange={() => chooseAuthor(m.user_id)} />
                <span>{t('proxy.for', { name: m.name })}<small>{t(`profession.${m.profession}` as MessageKey)} · {t(`role.${m.role}` as MessageKey)}</small></span>
              </label>
            ))}
          </div>
          {author && <p class="notice">{t('proxy.hint', { name: author.name })}</p>}
        </fieldset>
      )}
      <div class="grid2">
        <label>{t('record.kind')}
          <select value={kind} disabled={!!rec} onChange={(e) => setKind(e.currentTarget.value as RecordKind)}>
            {kinds.map((k) => <option key={k} value={k}>{t(`kind.${k}` as MessageKey)}</option>)}
          </select>
        </label>
        <label>{t('record.occurred_at')}<input type="datetime-local" required disabled={!!rec} value={when} onInput={(e) => setWhen(e.currentTarget.value)} /></label>
      </div>
      {kindHasVitals(kind) && (
        <fieldset>
          <legend>{t('record.vitals')}</legend>
          <div class="vitals-grid">
            {VITALS.map((s) => {
              const raw = vitals[s.key] ?? '';
              const off = raw !== '' && outOfRange(s, Number(raw));
              const hint = `${s.key}-hint`;
              return (
                <label key={s.key} class={off ? 'abnormal' : ''}>
                  {t(`vital.${s.key}` as MessageKey)}
                  <input type="number" inputMode="decimal" min={s.min} max={s.max} step={s.step} value={raw} aria-describedby={hint}
                    onInput={(e) => setVitals({ ...vitals, [s.key]: e.currentTarget.value })} />
                  <small id={hint}>{off ? t('record.out_of_range') : t('record.range', { range: `${s.normal[0]}–${s.normal[1]}` })}</small>
                </label>
              );
            })}
          </div>
        </fieldset>
      )}
      <label>{t('record.text')}<textarea rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} /></label>
      {kindHasPlan(kind) && (
        <div class="grid2">
          <label>{t('record.next_visit_on')}<input type="date" value={next} min={today.value} onInput={(e) => setNext(e.currentTarget.value)} /></label>
          <label class="check"><input type="checkbox" checked={plan} onChange={(e) => setPlan(e.currentTarget.checked)} />{t('record.plan_changed')}</label>
        </div>
      )}
      {rec && (
        <>
          <label>{t('amend.reason')}<input name="reason" required maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
          <label class="check"><input type="checkbox" name="entered_in_error" checked={inError} onChange={(e) => setInError(e.currentTarget.checked)} />{t('amend.entered_in_error')}</label>
        </>
      )}
      {!rec && <fieldset>
        <legend>{t('record.photos')}</legend>
        <label class="button">
          {t('record.add_photo')}
          <input class="sr" type="file" accept="image/*" capture="environment" multiple onChange={(e) => { void addPhotos(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
        <ul class="thumbs">
          {photos.map((p, i) => (
            <li key={p.url}>
              <img src={p.url} alt={`${t('record.photos')} ${i + 1}`} />
              <button type="button" aria-label={t('record.remove_photo')} onClick={() => { URL.revokeObjectURL(p.url); setPhotos(photos.filter((x) => x !== p)); }}>×</button>
            </li>
          ))}
        </ul>
      </fieldset>}
      {err && <p class="error" role="alert">{err}</p>}
      <button class="primary" disabled={busy}>{t('record.save')}</button>
    </form>
  );
}
