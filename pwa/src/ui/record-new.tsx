import { useEffect, useState } from 'preact/hooks';
import type { RecordKind, Vitals } from '../schemas';
import { errorMessage, t, tokyoDay, type MessageKey } from '../i18n';
import { downscale } from '../photo';
import { createRecord, describeError, me } from '../state';
import { VITALS, kindHasPlan, kindHasVitals, kindsFor, outOfRange, type VitalKey } from '../vitals';

interface Photo { blob: Blob; url: string }

function localNow(): string {
  // <input type=datetime-local> wants Tokyo wall time without a zone.
  const d = new Date();
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return `${tokyoDay(d)}T${hm}`;
}

export function NewRecord({ patientId }: { patientId: string }) {
  const kinds = kindsFor(me.value?.profession);
  const [kind, setKind] = useState<RecordKind>(kinds[0]!);
  const [when, setWhen] = useState(localNow);
  const [text, setText] = useState('');
  const [vitals, setVitals] = useState<Partial<Record<VitalKey, string>>>({});
  const [next, setNext] = useState('');
  const [plan, setPlan] = useState(false);
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
      <h1 id="rec-h">{t('record.title')}</h1>
      <div class="grid2">
        <label>{t('record.kind')}
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as RecordKind)}>
            {kinds.map((k) => <option key={k} value={k}>{t(`kind.${k}` as MessageKey)}</option>)}
          </select>
        </label>
        <label>{t('record.occurred_at')}<input type="datetime-local" required value={when} onInput={(e) => setWhen(e.currentTarget.value)} /></label>
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
          <label>{t('record.next_visit_on')}<input type="date" value={next} min={tokyoDay()} onInput={(e) => setNext(e.currentTarget.value)} /></label>
          <label class="check"><input type="checkbox" checked={plan} onChange={(e) => setPlan(e.currentTarget.checked)} />{t('record.plan_changed')}</label>
        </div>
      )}
      <fieldset>
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
      </fieldset>
      {err && <p class="error" role="alert">{err}</p>}
      <button class="primary" disabled={busy}>{t('record.save')}</button>
    </form>
  );
}
