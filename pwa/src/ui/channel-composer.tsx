// Writing to the team channel: the text with @mention completion from the patient's
// team (a combobox: arrow keys, Enter or Tab to choose, Escape to close; or a tap on
// a name, each a 44 px row), the message replied to, 至急, photos. Sending queues
// message.create in the outbox, so it works offline and shows at once as waiting.
import { useEffect, useRef, useState } from 'preact/hooks';
import { draftProblem, excerpt, insertMention, mentionCandidates, mentionQuery, mentionsIn, MAX_TEXT, restoreText, type LocalMessage } from '../channel';
import { sendMessage } from '../channel-state';
import { ct } from '../i18n/channel';
import { errorMessage, t, type MessageKey } from '../i18n';
import { downscale } from '../photo';
import { describeError, me } from '../state';
import type { TeamMember } from '../schemas';

interface Photo { blob: Blob; url: string }

/** A refused message's text put back to be edited and sent again; `n` tells one restore from the next. */
export interface Restore { text: string; urgent: boolean; n: number }

export function Composer({ patientId, team, replyTo, onReplyDone, restore }: { patientId: string; team: TeamMember[]; replyTo?: LocalMessage; onReplyDone: () => void; restore?: Restore }) {
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [closedAt, setClosedAt] = useState(-1); // Escape closes the list for the @ it was open for
  const [urgent, setUrgent] = useState(false);
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const moveTo = useRef<number | null>(null);
  const sending = useRef(false); // set at once, unlike `busy`, which shows only after the next render
  const myId = me.value?.id ?? '';

  const q = mentionQuery(text, caret);
  const choices = q && q.start !== closedAt ? mentionCandidates(team, q.query, myId) : [];
  const open = choices.length > 0;
  const at = Math.min(active, choices.length - 1);
  const mentioned = mentionsIn(text, team.filter((m) => m.user_id !== myId && m.status === 'active'));

  useEffect(() => setActive(0), [q?.start, q?.query]);
  useEffect(() => {
    if (!restore) return;
    const next = restoreText(text, restore.text);
    moveTo.current = next.length; // the caret at the end, the textarea focused (the effect below)
    setText(next);
    setCaret(next.length);
    if (restore.urgent) setUrgent(true);
  }, [restore?.n]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (replyTo) area.current?.focus();
  }, [replyTo]);
  useEffect(() => {
    // The caret after an inserted name, once the new text is in the textarea.
    const el = area.current;
    if (el && moveTo.current !== null) {
      el.focus();
      el.setSelectionRange(moveTo.current, moveTo.current);
      moveTo.current = null;
    }
  }, [text]);
  useEffect(() => () => photos.forEach((p) => URL.revokeObjectURL(p.url)), []); // eslint-disable-line

  const choose = (m: TeamMember) => {
    if (!q) return;
    const r = insertMention(text, caret, q, m.name);
    moveTo.current = r.caret;
    setText(r.text);
    setCaret(r.caret);
  };
  const track = (e: Event) => setCaret((e.currentTarget as HTMLTextAreaElement).selectionStart ?? 0);
  const onKey = (e: KeyboardEvent) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = choices.length;
        setActive((at + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === 'Enter' && !e.isComposing) || e.key === 'Tab') {
        e.preventDefault();
        choose(choices[at]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setClosedAt(q!.start);
        return;
      }
    }
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && !e.isComposing) {
      e.preventDefault();
      // A held key repeats, and a second press may come before the first send ends.
      if (busy || e.repeat) return;
      void send();
    }
  };

  const addPhotos = async (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) {
      try {
        const blob = await downscale(f);
        setPhotos((ps) => [...ps, { blob, url: URL.createObjectURL(blob) }]);
      } catch {
        setErr(ct('chan.photo_failed'));
      }
    }
  };

  const send = async () => {
    if (sending.current) return;
    const problem = draftProblem({ text });
    if (problem) return setErr(ct(problem === 'empty' ? 'chan.empty_text' : 'chan.too_long', { n: MAX_TEXT }));
    sending.current = true;
    setBusy(true);
    setErr('');
    try {
      const bytes = await Promise.all(photos.map(async (p) => new Uint8Array(await p.blob.arrayBuffer())));
      await sendMessage(patientId, { text, replyTo: replyTo?.id, urgent, photos: bytes }, team);
      photos.forEach((p) => URL.revokeObjectURL(p.url));
      setPhotos([]);
      setText('');
      setCaret(0);
      setUrgent(false);
      setClosedAt(-1);
      onReplyDone();
      area.current?.focus();
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const name = (id: string) => team.find((m) => m.user_id === id)?.name ?? '';
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); void send(); }} aria-label={ct('chan.compose')}>
      {replyTo && (
        <p class="replying">
          <span class="grow">{ct('chan.replying', { name: replyTo.author_name })} <q>{excerpt(replyTo.text, 40)}</q></span>
          <button type="button" onClick={onReplyDone} aria-label={ct('chan.reply_cancel')}>×</button>
        </p>
      )}
      <div class="compose-box">
        <label for="chan-text" class="sr">{ct('chan.text_label')}</label>
        <textarea id="chan-text" ref={area} name="text" rows={3} maxLength={MAX_TEXT + 200} value={text} placeholder={ct('chan.placeholder')}
          role="combobox" aria-autocomplete="list" aria-expanded={open} aria-controls="chan-mentions" aria-describedby="chan-hint"
          aria-activedescendant={open ? `chan-opt-${choices[at]!.user_id}` : undefined}
          onInput={(e) => { setText(e.currentTarget.value); track(e); }} onKeyDown={onKey} onKeyUp={track} onClick={track} onSelect={track} />
        <ul id="chan-mentions" role="listbox" class="mentions-list" aria-label={ct('chan.mention_list')} hidden={!open}>
          {choices.map((m, i) => (
            <li key={m.user_id} id={`chan-opt-${m.user_id}`} role="option" aria-selected={i === at}
              onMouseDown={(e) => e.preventDefault()} onClick={() => choose(m)}>
              <strong>{m.name}</strong> <small>{t(`profession.${m.profession}` as MessageKey)} · {m.facility_name}</small>
            </li>
          ))}
        </ul>
      </div>
      <p id="chan-hint" class="muted hint">{ct('chan.hint')}</p>
      {mentioned.length > 0 && <p class="to">{ct('chan.to', { names: mentioned.map(name).join('、') })}</p>}
      {photos.length > 0 && (
        <ul class="thumbs">
          {photos.map((p, i) => (
            <li key={p.url}>
              <img src={p.url} alt={ct('chan.photo', { n: i + 1 })} />
              <button type="button" aria-label={ct('chan.remove_photo', { n: i + 1 })} onClick={() => { URL.revokeObjectURL(p.url); setPhotos(photos.filter((x) => x !== p)); }}>×</button>
            </li>
          ))}
        </ul>
      )}
      {err && <p class="error" role="alert">{err}</p>}
      <div class="row wrap compose-actions">
        <button type="button" class={urgent ? 'urgent-toggle on' : 'urgent-toggle'} aria-pressed={urgent} onClick={() => setUrgent(!urgent)}>{ct('chan.urgent_toggle')}</button>
        <label class="button">
          {ct('chan.add_photo')}
          <input class="sr" type="file" accept="image/*" capture="environment" multiple onChange={(e) => { void addPhotos(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
        <span class="grow" />
        <button class={urgent ? 'primary send urgent' : 'primary send'} disabled={busy}>{ct(urgent ? 'chan.send_urgent' : 'chan.send')}</button>
      </div>
    </form>
  );
}
