// The document scanner (#/patients/:id/scan), loaded on first use: photograph the
// pages of a paper document one by one; for each, the sheet's corners are found (and
// can be dragged), the page is flattened and cleaned (black-and-white or greyscale);
// pages can be reordered, retaken and removed. Saving queues ONE document record with
// its pages in order through the outbox (createRecord), so it works offline and
// reaches the server once.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, t } from '../i18n';
import { createRecord, describeError, getPatient, leaving, listPatients, type NewRecord } from '../state';
import { sharedNames } from '../identity';
import { PatientIdentity } from '../ui/identity';
import { useData } from '../ui/hooks';
import { decodePhoto, encodePage } from './browser';
import type { Mode } from './clean';
import { CornerEditor } from './corners';
import { detectSheet } from './detect';
import { rotateQuad, type Quad } from './geometry';
import type { Img } from './image';
import { st, type ScanKey } from './messages';
import { DOCUMENT_TYPES, MAX_PAGES, MAX_TITLE, move, problems, put, remove, type DocumentType } from './pages';
import { flatten } from './warp';
import './scan.css';

interface ScanPage {
  key: string;
  /** The photo (JPEG, no EXIF), to adjust the corners again. */
  photo: Blob;
  quad: Quad;
  mode: Mode;
  /** The finished page (JPEG) and its object URL. */
  page: Blob;
  url: string;
}

/** The page being fitted: its decoded photo, where it goes in the list, the corners so far. */
interface Editing {
  at: number;
  img: Img;
  photo: Blob;
  photoUrl: string;
  quad: Quad;
  found: boolean;
  mode: Mode;
}

let seq = 0;

export function Scanner({ patientId }: { patientId: string }) {
  const patient = useData(() => getPatient(patientId), [patientId]);
  const patients = useData(() => listPatients(), []);
  const [title, setTitle] = useState('');
  const [docType, setDocType] = useState<DocumentType>('referral');
  const [pages, setPages] = useState<ScanPage[]>([]);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [mode, setMode] = useState<Mode>('bw');
  const [busy, setBusy] = useState<'' | 'working' | 'saving'>('');
  const [err, setErr] = useState('');
  const [shown, setShown] = useState(false); // problems show after the first save attempt
  const retakeAt = useRef<number>(-1);
  const retakeInput = useRef<HTMLInputElement>(null);
  const live = useRef({ pages, editing });
  live.current = { pages, editing };

  // Object URLs are freed when the screen goes.
  useEffect(() => () => {
    for (const p of live.current.pages) URL.revokeObjectURL(p.url);
    if (live.current.editing) URL.revokeObjectURL(live.current.editing.photoUrl);
  }, []);

  // Pages not saved yet (or a page being framed): the router asks before it follows a
  // link away (state.ts leaving; the tab bar, 戻る), and the browser before the app is
  // closed or reloaded. Pages are not kept as a draft, so leaving loses them.
  const unsaved = (pages.length > 0 || !!editing) && busy !== 'saving';
  const unsavedNow = useRef(unsaved);
  unsavedNow.current = unsaved;
  useEffect(() => {
    const here = location.href;
    const guard = (to: string) => !unsavedNow.current || to === here || confirm(st('scan.leave'));
    leaving.guard = guard;
    return () => { if (leaving.guard === guard) leaving.guard = null; };
  }, []);
  useEffect(() => {
    if (!unsaved) return;
    const ask = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener('beforeunload', ask);
    return () => removeEventListener('beforeunload', ask);
  }, [unsaved]);

  const open = async (file: Blob, at: number, quad?: Quad, pageMode = mode): Promise<Editing> => {
    const { img, jpeg } = await decodePhoto(file);
    const d = quad ? { quad, found: true } : detectSheet(img);
    return { at, img, photo: quad ? file : jpeg, photoUrl: URL.createObjectURL(quad ? file : jpeg), quad: d.quad, found: d.found, mode: pageMode };
  };

  const finish = async (e: Editing) => {
    const page = await encodePage(flatten(e.img, e.quad, e.mode));
    const p: ScanPage = { key: `p${++seq}`, photo: e.photo, quad: e.quad, mode: e.mode, page, url: URL.createObjectURL(page) };
    setPages((ps) => {
      if (e.at < ps.length) URL.revokeObjectURL(ps[e.at]!.url);
      return put(ps, e.at, p);
    });
    setMode(e.mode);
  };

  /** New photos: one opens the corner editor; several are taken as found. */
  const addPhotos = async (files: FileList | null, at: number) => {
    const list = Array.from(files ?? []);
    if (!list.length) return;
    setErr('');
    setBusy('working');
    try {
      if (list.length === 1) {
        setEditing(await open(list[0]!, at));
      } else {
        for (const [k, f] of list.entries()) {
          if (at + k >= MAX_PAGES) break;
          const e = await open(f, at + k);
          URL.revokeObjectURL(e.photoUrl);
          await finish(e);
        }
      }
    } catch {
      setErr(st('scan.err.photo'));
    } finally {
      setBusy('');
    }
  };

  const adjust = async (i: number) => {
    const p = pages[i]!;
    setBusy('working');
    try {
      setEditing(await open(p.photo, i, p.quad, p.mode));
    } catch {
      setErr(st('scan.err.photo'));
    } finally {
      setBusy('');
    }
  };

  const retake = (i: number) => {
    retakeAt.current = i;
    retakeInput.current?.click();
  };

  const apply = async () => {
    if (!editing) return;
    setBusy('working');
    try {
      await finish(editing);
      URL.revokeObjectURL(editing.photoUrl);
      setEditing(null);
    } catch {
      setErr(st('scan.err.photo'));
    } finally {
      setBusy('');
    }
  };

  const cancel = () => {
    if (editing) URL.revokeObjectURL(editing.photoUrl);
    setEditing(null);
  };

  const found = problems(title, pages.length);
  const save = async (ev: Event) => {
    ev.preventDefault();
    setShown(true);
    if (found.length) return;
    setBusy('saving');
    try {
      const photos = await Promise.all(pages.map(async (p) => new Uint8Array(await p.page.arrayBuffer())));
      const rec = {
        patient_id: patientId,
        kind: 'document',
        occurred_at: new Date().toISOString(),
        text: '',
        vitals: undefined,
        plan_changed: false,
        photos,
        fields: { title: title.trim(), document_type: docType },
      } as NewRecord; // createRecord passes fields through to record.create as they are
      await createRecord(rec);
      unsavedNow.current = false;
      location.hash = `#/patients/${patientId}`;
    } catch (x) {
      setErr(errorMessage(describeError(x)));
      setBusy('');
    }
  };

  const fileInput = (at: () => number, ref?: preact.Ref<HTMLInputElement>) => (
    <input ref={ref} class="sr" type="file" accept="image/*" capture="environment" multiple={!ref}
      {...(ref ? { tabIndex: -1, 'aria-label': st('scan.retake'), name: 'retake' } : { name: 'page' })}
      onChange={(e) => { void addPhotos(e.currentTarget.files, at()); e.currentTarget.value = ''; }} />
  );

  if (editing) {
    const n = editing.at + 1;
    return (
      <section class="scan-edit" aria-labelledby="scan-edit-h">
        <h1 id="scan-edit-h">{st('scan.edit.title', { n })}</h1>
        <p class={editing.found ? 'muted' : 'notice'}>{st(editing.found ? 'scan.edit.found' : 'scan.edit.not_found')}</p>
        <CornerEditor url={editing.photoUrl} width={editing.img.width} height={editing.img.height} quad={editing.quad}
          onChange={(quad) => setEditing({ ...editing, quad })} />
        <fieldset class="scan-mode">
          <legend>{st('scan.mode')}</legend>
          {(['bw', 'gray'] as const).map((m) => (
            <label key={m} class="check choice">
              <input type="radio" name="mode" value={m} checked={editing.mode === m} onChange={() => setEditing({ ...editing, mode: m })} />
              {st(`scan.mode.${m}`)}
            </label>
          ))}
        </fieldset>
        <div class="row wrap">
          <button type="button" onClick={() => setEditing({ ...editing, quad: rotateQuad(editing.quad) })}>{st('scan.rotate')}</button>
          <button type="button" onClick={cancel}>{st('scan.cancel')}</button>
          <button type="button" class="primary apply" disabled={!!busy} onClick={() => void apply()}>{busy ? st('scan.working') : st('scan.apply')}</button>
        </div>
      </section>
    );
  }

  const same = patient && patients ? sharedNames(patients).has(patient.id) : false;
  return (
    <form class="scan" onSubmit={save} aria-labelledby="scan-h" noValidate>
      <a class="button back" href={`#/patients/${patientId}`}>{t('record.back', { name: patient?.name ?? '' })}</a>
      <h1 id="scan-h">{st('scan.title')}</h1>
      <p><PatientIdentity patient={patient} sameName={same} /></p>
      <label>
        {st('scan.doc_title')}
        <small>{st('scan.doc_title_hint')}</small>
        <input name="title" required maxLength={MAX_TITLE} value={title} aria-invalid={shown && found.includes('title')}
          onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      {shown && found.includes('title') && <p class="error" role="alert">{st('scan.err.title')}</p>}
      <label>
        {st('scan.doc_type')}
        <select name="document_type" value={docType} onChange={(e) => setDocType(e.currentTarget.value as DocumentType)}>
          {DOCUMENT_TYPES.map((k) => <option key={k} value={k}>{st(`scan.type.${k}` as ScanKey)}</option>)}
        </select>
      </label>
      <fieldset>
        <legend>{st('scan.pages')}</legend>
        {pages.length === 0 && <p class="muted">{st('scan.no_pages')}</p>}
        <ol class="scan-pages">
          {pages.map((p, i) => (
            <li key={p.key} class="card">
              <img src={p.url} alt={st('scan.page', { n: i + 1 })} />
              <div class="scan-page-actions">
                <strong>{st('scan.page_of', { n: i + 1, total: pages.length })}</strong>
                <div class="row wrap">
                  <button type="button" aria-label={st('scan.up', { n: i + 1 })} disabled={i === 0} onClick={() => setPages(move(pages, i, -1))}>↑</button>
                  <button type="button" aria-label={st('scan.down', { n: i + 1 })} disabled={i === pages.length - 1} onClick={() => setPages(move(pages, i, 1))}>↓</button>
                  <button type="button" class="adjust" aria-label={st('scan.adjust_label', { n: i + 1 })} onClick={() => void adjust(i)}>{st('scan.adjust')}</button>
                  <button type="button" aria-label={st('scan.retake_label', { n: i + 1 })} onClick={() => retake(i)}>{st('scan.retake')}</button>
                  <button type="button" class="danger" aria-label={st('scan.remove_label', { n: i + 1 })}
                    onClick={() => { URL.revokeObjectURL(p.url); setPages(remove(pages, i)); }}>{st('scan.remove')}</button>
                </div>
              </div>
            </li>
          ))}
        </ol>
        {pages.length < MAX_PAGES && (
          <label class="button add-page">
            {st('scan.add_page')}
            {fileInput(() => pages.length)}
          </label>
        )}
        {fileInput(() => retakeAt.current, retakeInput)}
        {shown && found.includes('no_pages') && <p class="error" role="alert">{st('scan.err.no_pages')}</p>}
        {shown && found.includes('too_many') && <p class="error" role="alert">{st('scan.err.too_many', { max: MAX_PAGES })}</p>}
      </fieldset>
      {busy === 'working' && <p class="muted" role="status">{st('scan.working')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      <p class="muted">{st('scan.offline_hint')}</p>
      <button class="primary" disabled={!!busy}>{busy === 'saving' ? st('scan.saving') : st('scan.save')}</button>
    </form>
  );
}
export { DocumentViewer } from './viewer';
