// The record form (loaded on first use): one form per kind (nursing.tsx, doctor.tsx,
// medication.tsx, care.tsx; a note is its text), headed by who the patient is. A
// half-written record is kept as a sealed draft on the device; leaving with unsaved
// changes asks first. Opened from a visit, 保存して完了 saves the record with the
// visit and marks the visit done, both through the outbox (offline too).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Patient, RecordKind, TeamMember, VisitDetail } from '../../schemas';
import { kindsForAuthor, proxyCandidates } from '../../authorship';
import { errorMessage, formatDateTime, formatTime, t, tokyoDay, type MessageKey } from '../../i18n';
import { sharedNames } from '../../identity';
import { downscale } from '../../photo';
import { amendRecord, createRecord, describeError, drafts, getPatient, getRecord, getVisit, leaving, listPatients, listTeam, me, setVisitStatus, type LocalRecord } from '../../state';
import type { Draft } from '../../drafts';
import { useData } from '../hooks';
import { PatientIdentity } from '../identity';
import { FORM_KINDS, bpOrderWrong, changed, emptyState, isEmpty, stateOf, toContent, type FormState } from './content';
import { ft } from './messages';
import { CollabPart, type PartProps } from './shared';
import { NursingVisit } from './nursing';
import { DoctorNote } from './doctor';
import { Medication } from './medication';
import { CareNote } from './care';
import { getMessage } from '../../channel-state';
import { ct } from '../../i18n/channel';
import './forms.css';

interface Photo { blob: Blob; url: string }

const hm = (d: Date | string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(d));
/** <input type=datetime-local> wants Tokyo wall time without a zone. */
const localTime = (d: Date | string = new Date()) => `${tokyoDay(d)}T${hm(d)}`;

const BODIES: Partial<Record<RecordKind, (p: PartProps) => preact.JSX.Element>> = {
  nursing_visit: NursingVisit, doctor_note: DoctorNote, medication: Medication, care_note: CareNote,
};

/**
 * A new record (from a visit when `visitId` is given; from a team-channel message,
 * 「記録にする」, when `sourceMessageId` is), or with `recordId` an amendment (訂正).
 */
export function NewRecord({ patientId, recordId, visitId, occurrence, sourceMessageId }: { patientId: string; recordId?: string; visitId?: string; occurrence?: string; sourceMessageId?: string }) {
  const ctx = useData(async () => {
    const [rec, patient, team, patients, visit, message] = await Promise.all([
      recordId ? getRecord(recordId).then((r) => r ?? null) : null, getPatient(patientId), listTeam(patientId), listPatients(),
      visitId ? getVisit(visitId) : undefined, sourceMessageId ? getMessage(sourceMessageId) : undefined,
    ]);
    // A record made from a message starts from the message's text, not from a draft.
    const draft = recordId
      ? rec ? await drafts.get<FormState>(patientId, rec.kind, recordId) : undefined
      : message ? undefined : await drafts.newest<FormState>(patientId, FORM_KINDS);
    const source = message?.patient_id === patientId && !message.retracted ? message : undefined;
    return { rec, patient, team, visit: visit?.patient_id === patientId ? visit : undefined, draft, sameName: sharedNames(patients).has(patientId), source };
  }, [patientId, recordId, visitId, sourceMessageId]);
  if (!ctx) return <p class="empty">{t('app.loading')}</p>;
  if (recordId && !ctx.rec) return <p class="empty">{t('patient.not_found')}</p>;
  return <RecordForm key={recordId ?? 'new'} patientId={patientId} rec={ctx.rec ?? undefined} patient={ctx.patient} team={ctx.team} sameName={ctx.sameName}
    visit={ctx.visit} occurrence={occurrence} draft={ctx.draft} source={ctx.source && { id: ctx.source.id, text: ctx.source.text }} />;
}

interface FormProps {
  patientId: string; rec?: LocalRecord; patient?: Patient; team: TeamMember[]; sameName: boolean;
  visit?: VisitDetail; occurrence?: string; draft?: Draft<FormState>;
  /** The team-channel message this record is made from (its text fills the form). */
  source?: { id: string; text: string };
}

function RecordForm({ patientId, rec, patient, team, sameName, visit, occurrence, draft, source }: FormProps) {
  const user = me.value;
  // 代行入力: the others of my facility on this patient's team (none when amending).
  const candidates = rec || !user ? [] : proxyCandidates(team, user);
  const [authorId, setAuthorId] = useState('');
  const author = candidates.find((m) => m.user_id === authorId);
  const allowed = (a?: TeamMember) => (rec ? [rec.kind] : kindsForAuthor({ profession: user?.profession ?? '' }, a, patient));
  const kinds = rec ? [rec.kind] : allowed(author).filter((k) => FORM_KINDS.includes(k));
  const scans = !rec && allowed(author).includes('document');
  const fresh = (k: RecordKind, when = localTime()) => (rec ? stateOf(rec, localTime(rec.occurred_at)) : emptyState(k, when));
  const start = rec ? { ...fresh(rec.kind), base: rec.version } : fresh(draft && kinds.includes(draft.state.kind) ? draft.state.kind : kinds[0]!);
  // From a message, the message's text is where the form starts (not an unsaved change).
  const [pristine, setPristine] = useState(source ? { ...start, text: source.text } : start);
  const [s, setS] = useState<FormState>(() => (draft && (rec || kinds.includes(draft.state.kind)) ? draft.state : pristine));
  const [restored, setRestored] = useState(draft && s === draft.state ? draft.saved_at : '');
  const [reason, setReason] = useState('');
  const [inError, setInError] = useState(false);
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const dirty = changed(s, pristine);
  // Photos are not kept in drafts: with photos taken, leaving loses them, so it asks too.
  const unsaved = dirty || photos.length > 0;
  const live = useRef({ dirty, unsaved, photos: photos.length, s, saved: false });
  live.current = { dirty, unsaved, photos: photos.length, s, saved: live.current.saved };
  const set = (patch: Partial<FormState>) => setS((x) => ({ ...x, ...patch }));
  const setF = (k: string, v: string) => setS((x) => ({ ...x, f: { ...x.f, [k]: v } }));

  const keep = (x: FormState, isDirty: boolean) =>
    isDirty ? drafts.put(patientId, x.kind, x, rec?.id) : drafts.drop(patientId, x.kind, rec?.id);
  // The draft follows the form, a moment after typing stops.
  useEffect(() => {
    const h = setTimeout(() => { if (!live.current.saved) void keep(s, dirty).catch(() => undefined); }, 400);
    return () => clearTimeout(h);
  }, [s]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const here = location.href;
    // The router asks before it follows a link away (state.ts leaving).
    const guard = (to: string) => {
      const { dirty: d, unsaved: u, photos: n, s: x, saved } = live.current;
      if (!u || saved || to === here) return true;
      if (!confirm(ft(n > 0 ? 'form.leave_photos' : 'form.leave'))) return false;
      void keep(x, d).catch(() => undefined);
      return true;
    };
    const onUnload = (e: BeforeUnloadEvent) => {
      if (live.current.unsaved && !live.current.saved) {
        e.preventDefault();
        e.returnValue = '';
      }
    };
    leaving.guard = guard;
    addEventListener('beforeunload', onUnload);
    return () => {
      if (leaving.guard === guard) leaving.guard = null;
      removeEventListener('beforeunload', onUnload);
    };
  }, []);
  useEffect(() => () => photos.forEach((p) => URL.revokeObjectURL(p.url)), []); // eslint-disable-line

  /** Another kind: this one's draft stays; that one's comes back if there is one. */
  const chooseKind = async (k: RecordKind) => {
    if (k === s.kind) return;
    await keep(s, dirty).catch(() => undefined);
    const d = await drafts.get<FormState>(patientId, k).catch(() => undefined);
    const p = fresh(k, s.when);
    setPristine(p);
    setS(d?.state ?? p);
    setRestored(d?.saved_at ?? '');
  };
  const chooseAuthor = (id: string) => {
    setAuthorId(id);
    // The template of the author's profession: a nurse entering for the doctor writes a doctor's note.
    const k = allowed(candidates.find((m) => m.user_id === id)).find((x) => FORM_KINDS.includes(x));
    if (k) void chooseKind(k);
  };

  const addPhotos = async (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) {
      try {
        const blob = await downscale(f);
        setPhotos((ps) => [...ps, { blob, url: URL.createObjectURL(blob) }]);
      } catch {
        setErr(ft('form.photo_failed'));
      }
    }
  };

  const save = async (done: boolean) => {
    const c = toContent(s);
    if (bpOrderWrong(c)) return setErr(ft('form.bp_order'));
    if (rec && !reason.trim()) return setErr(ft('form.reason_needed'));
    if (!rec && isEmpty(c) && photos.length === 0) return setErr(ft('form.empty'));
    setBusy(true);
    live.current.saved = true;
    let created = false;
    try {
      if (rec) {
        // The version the form was opened on (or the draft was written against): a newer
        // one written meanwhile comes back as a conflict instead of being undone.
        await amendRecord({ ...rec, version: s.base ?? rec.version }, {
          reason: reason.trim(), text: c.text, vitals: c.vitals ?? (rec.vitals ? {} : undefined), fields: c.fields, care_notes: c.care_notes ?? '',
          next_visit_on: c.next_visit_on ?? '', plan_changed: c.plan_changed, entered_in_error: inError,
        });
      } else {
        await createRecord({
          patient_id: patientId, kind: s.kind, occurred_at: new Date(`${s.when}:00+09:00`).toISOString(), ...c, vitals: c.vitals,
          visit_id: visit?.id, photos: await Promise.all(photos.map(async (p) => new Uint8Array(await p.blob.arrayBuffer()))), on_behalf_of: author?.user_id,
          source_message_id: source?.id,
        });
        created = true;
        if (done && visit) await setVisitStatus({ ...visit, occurrence_start: occurrence || undefined }, 'done');
      }
      await drafts.drop(patientId, s.kind, rec?.id).catch(() => undefined);
      location.hash = done ? '#/today' : source ? `#/patients/${patientId}/messages/${source.id}` : `#/patients/${patientId}`;
    } catch (x) {
      if (created) {
        // The record is queued; only marking the visit done failed. Saving again would
        // queue the record twice: leave for today, where the visit still shows 完了.
        await drafts.drop(patientId, s.kind).catch(() => undefined);
        location.hash = '#/today';
        return;
      }
      live.current.saved = false;
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };
  const discard = async () => {
    await drafts.drop(patientId, s.kind, rec?.id).catch(() => undefined);
    const p = fresh(s.kind);
    setPristine(p);
    setS(p);
    setRestored('');
  };

  const Body = BODIES[s.kind];
  const kindName = t(`kind.${s.kind}` as MessageKey);
  return (
    <form class="record" onSubmit={(e) => { e.preventDefault(); void save(false); }} aria-labelledby="rec-h">
      <h1 id="rec-h"><PatientIdentity patient={patient} sameName={sameName} /></h1>
      <p class="form-sub">{ft(rec ? 'form.title_amend' : 'form.title_new', { kind: kindName })}
        {visit && <> · {ft('form.from_visit', { time: formatTime(visit.occurrence_start ?? visit.starts_at) })}</>}</p>
      {rec && <p class="notice">{ft('form.amend_hint', { version: rec.version })}</p>}
      {source && <p class="notice">{ct('chan.form_from')}</p>}
      {restored && (
        <p class="notice draft" role="status">{ft('form.draft_restored', { when: formatDateTime(restored) })} {ft('form.draft_kept')}
          <button type="button" class="link" onClick={() => void discard()}>{ft('form.discard')}</button></p>
      )}
      {candidates.length > 0 && (
        <fieldset class="author">
          <legend>{ft('form.proxy_legend')}</legend>
          <div class="choices">
            <label class="check choice">
              <input type="radio" name="author" value="" checked={!author} onChange={() => chooseAuthor('')} />
              <span>{ft('form.proxy_self')}<small>{user?.name}</small></span>
            </label>
            {candidates.map((m) => (
              <label key={m.user_id} class="check choice">
                <input type="radio" name="author" value={m.user_id} checked={authorId === m.user_id} onChange={() => chooseAuthor(m.user_id)} />
                <span>{ft('form.proxy_for', { name: m.name })}<small>{t(`profession.${m.profession}` as MessageKey)} · {t(`role.${m.role}` as MessageKey)}</small></span>
              </label>
            ))}
          </div>
          {author && <p class="notice">{ft('form.proxy_hint', { name: author.name })}</p>}
        </fieldset>
      )}
      {!rec && (
        <fieldset class="kinds">
          <legend>{ft('form.kind')}</legend>
          <div class="kind-choices">
            {kinds.map((k) => (
              <label key={k} class="check kind">
                <input type="radio" name="kind" value={k} checked={s.kind === k} onChange={() => void chooseKind(k)} />
                {t(`kind.${k}` as MessageKey)}
              </label>
            ))}
            {scans && <a class="button kind" href={`#/patients/${patientId}/scan`}>{ft('form.scan')}</a>}
          </div>
        </fieldset>
      )}
      <label class="when">{ft('form.occurred_at')}<input type="datetime-local" name="occurred_at" required disabled={!!rec} value={s.when} onInput={(e) => set({ when: e.currentTarget.value })} /></label>
      {Body && <Body s={s} set={set} setF={setF} />}
      {s.kind === 'document' && (
        <label>{ft('form.doc_title')}<input name="title" required maxLength={200} value={s.f.title ?? ''} onInput={(e) => setF('title', e.currentTarget.value)} /></label>
      )}
      <label>{ft(Body ? 'form.text_other' : 'form.text_note')}<textarea name="text" rows={Body ? 3 : 6} maxLength={4000} value={s.text} onInput={(e) => set({ text: e.currentTarget.value })} /></label>
      {s.kind !== 'document' && <CollabPart s={s} set={set} setF={setF} />}
      {rec && (
        <>
          <label>{t('amend.reason')}<input name="reason" required maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
          <label class="check"><input type="checkbox" name="entered_in_error" checked={inError} onChange={(e) => setInError(e.currentTarget.checked)} />{ft('form.entered_in_error')}</label>
        </>
      )}
      {!rec && <fieldset>
        <legend>{t('record.photos')}</legend>
        <label class="button">
          {ft('form.add_photo')}
          <input class="sr" type="file" accept="image/*" capture="environment" multiple onChange={(e) => { void addPhotos(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
        <small class="muted">{ft('form.photos_hint')}</small>
        <ul class="thumbs">
          {photos.map((p, i) => (
            <li key={p.url}>
              <img src={p.url} alt={`${t('record.photos')} ${i + 1}`} />
              <button type="button" aria-label={ft('form.remove_photo')} onClick={() => { URL.revokeObjectURL(p.url); setPhotos(photos.filter((x) => x !== p)); }}>×</button>
            </li>
          ))}
        </ul>
      </fieldset>}
      {err && <p class="error" role="alert">{err}</p>}
      <div class="row wrap form-actions">
        <button class="primary" name="save" disabled={busy}>{ft('form.save')}</button>
        {!rec && visit && visit.status === 'planned' && (
          <button type="button" class="primary done" name="save_done" disabled={busy} aria-describedby="done-hint" onClick={(e) => { if (e.currentTarget.form?.reportValidity() !== false) void save(true); }}>{ft('form.save_done')}</button>
        )}
        {!rec && visit && visit.status === 'planned' && <small id="done-hint" class="muted">{ft('form.save_done_hint')}</small>}
      </div>
    </form>
  );
}
