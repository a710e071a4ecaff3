// Staff messages (スタッフ連絡): #/staff lists the user's threads (one-to-one and
// their facility's) with unread counts; #/staff/new picks a person from the staff
// directory or the facility; #/staff/<thread> shows a thread and writes to it;
// #/staff/to/<user> writes the first message to a person. Online only (nothing is
// kept on the device). Loaded lazily (ui/lazy.tsx) with its messages (i18n/inbox.ts);
// the logic is in ../inbox.ts.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, formatDateTime, t, type MessageKey } from '../i18n';
import { ibt } from '../i18n/inbox';
import {
  DraftId, listMessages, listThreads, markRead, mergeMessages, messageBody, photoURL, readUpTo, searchStaff, sendMessage, sortThreads,
  threadWith, thumbnailURL, uploadPhoto, type Recipient, type StaffMessage, type StaffThread, type StaffUser, MAX_PHOTOS, MAX_TEXT,
} from '../inbox';
import { api, describeError, me, status } from '../state';
import { staffUnread } from './inbox-badge';
import './inbox.css';

const online = () => status.value?.online ?? navigator.onLine;
const POLL_MS = 15_000;

/** People picked in the directory this session, to name a thread before its first message. */
const picked = new Map<string, StaffUser>();

export default function Inbox({ path }: { path: string[] }) {
  const [a, b] = path;
  if (a === 'new') return <Compose />;
  if (a === 'to' && b) return <ThreadView key={`to/${b}`} to={{ userId: b }} />;
  if (a) return <ThreadView key={a} threadId={a} />;
  return <ThreadList />;
}

function Offline() {
  return <p class="notice" role="status">{ibt('inbox.offline')}</p>;
}

function useEvery(fn: () => void, ms: number, deps: unknown[]) {
  useEffect(() => {
    fn();
    const id = setInterval(() => { if (document.visibilityState === 'visible' && online()) fn(); }, ms);
    return () => clearInterval(id);
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
}

export function threadTitle(th: StaffThread): string {
  if (th.kind === 'facility') return ibt('inbox.group', { facility: th.facility_name ?? '' });
  return th.other_name ?? '';
}

function ThreadList() {
  const [threads, setThreads] = useState<StaffThread[] | null>(null);
  const [err, setErr] = useState('');
  useEvery(() => {
    if (!online()) return;
    listThreads(api).then((r) => { setThreads(sortThreads(r.items)); staffUnread.value = r.unread; setErr(''); },
      (e) => setErr(errorMessage(describeError(e))));
  }, POLL_MS * 2, []);
  return (
    <section class="inbox">
      <div class="row wrap">
        <h1 class="grow">{ibt('inbox.title')}</h1>
        <a class="button primary" href="#/staff/new">{ibt('inbox.new')}</a>
      </div>
      <p class="muted">{ibt('inbox.lead')}</p>
      {!online() && <Offline />}
      {err && <p class="error" role="alert">{err}</p>}
      {threads === null && !err && online() && <p class="empty">{t('app.loading')}</p>}
      {threads?.length === 0 && <p class="empty">{ibt('inbox.empty')}</p>}
      {threads && threads.length > 0 && (
        <ul class="list threads" aria-label={ibt('inbox.title')}>
          {threads.map((th) => (
            <li key={th.id}>
              <a class="row" href={`#/staff/${encodeURIComponent(th.id)}`}>
                <span class="grow">
                  <strong>{threadTitle(th)}</strong>
                  {th.kind === 'direct' && th.other_facility_name && <small>{th.other_facility_name}</small>}
                  {th.last_message_at && <small>{th.last_author_name} · <time class="time" dateTime={th.last_message_at}>{formatDateTime(th.last_message_at)}</time></small>}
                  {!th.last_message_at && <small>{ibt('inbox.no_messages')}</small>}
                </span>
                {th.unread > 0 && <span class="badge" aria-label={ibt('inbox.unread', { n: th.unread })}>{th.unread}</span>}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Compose() {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<StaffUser[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [threads, setThreads] = useState<StaffThread[]>([]);
  const user = me.value;
  useEffect(() => { if (online()) listThreads(api).then((r) => setThreads(r.items), () => undefined); }, []);
  const search = async () => {
    if (!q.trim()) return;
    setBusy(true);
    setErr('');
    try {
      setFound(await searchStaff(api, q, user?.id ?? ''));
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  const open = (u: StaffUser) => {
    picked.set(u.id, u);
    const th = threadWith(threads, u.id);
    location.hash = th ? `#/staff/${encodeURIComponent(th.id)}` : `#/staff/to/${encodeURIComponent(u.id)}`;
  };
  return (
    <section class="inbox">
      <a href="#/staff">{ibt('inbox.back')}</a>
      <h1>{ibt('inbox.new')}</h1>
      {!online() && <Offline />}
      {user?.facility_id && (
        <p><a class="button" href={`#/staff/${encodeURIComponent(user.facility_id)}`}>{ibt('inbox.my_group')}</a></p>
      )}
      <form role="search" class="row wrap" onSubmit={(e) => { e.preventDefault(); void search(); }}>
        <input class="grow" type="search" aria-label={ibt('inbox.to_label')} placeholder={ibt('inbox.to_label')} value={q}
          enterKeyHint="search" onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || !online()}>{ibt('inbox.search')}</button>
      </form>
      {busy && <p class="empty" role="status">{ibt('inbox.searching')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      {found?.length === 0 && <p class="empty" role="status">{ibt('inbox.none_found')}</p>}
      {found && found.length > 0 && (
        <ul class="list" aria-label={ibt('inbox.to_label')}>
          {found.map((u) => (
            <li key={u.id}>
              <button type="button" class="person" onClick={() => open(u)}>
                <strong>{u.name}</strong>
                <small>{t(`profession.${u.profession}` as MessageKey)}{u.facility_name ? ` · ${u.facility_name}` : ''}</small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ThreadView({ threadId, to }: { threadId?: string; to?: { userId: string } }) {
  const [thread, setThread] = useState<StaffThread | null>(null);
  const [msgs, setMsgs] = useState<StaffMessage[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [err, setErr] = useState('');
  const bottom = useRef<HTMLDivElement>(null);
  const mine = me.value?.id;

  const load = async (before?: string) => {
    if (!threadId || !online()) return;
    try {
      const r = await listMessages(api, threadId, before);
      setThread(r.thread);
      setMsgs((shown) => mergeMessages(shown, r.items));
      if (before || !next) setNext(r.next);
      setErr('');
      const up = readUpTo(r.thread, mergeMessages([], r.items));
      if (up && !before) {
        const th = await markRead(api, threadId, up);
        setThread(th);
        staffUnread.value = Math.max(0, (staffUnread.value ?? 0) - r.thread.unread);
      }
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    }
  };
  // Polls the thread list (unaudited, cheap) and reads the thread (an audited read)
  // only when it has a message the screen does not show yet.
  const seen = useRef(-1);
  const poll = async () => {
    if (!threadId || !online()) return;
    if (seen.current >= 0) {
      const th = (await listThreads(api).catch(() => undefined))?.items.find((x) => x.id === threadId);
      if (!th || th.last_seq <= seen.current) return;
    }
    await load();
  };
  useEffect(() => { seen.current = Math.max(seen.current, ...msgs.map((m) => m.seq), thread?.last_seq ?? -1); }, [msgs, thread]);
  useEvery(() => void poll(), POLL_MS, [threadId]);
  useEffect(() => bottom.current?.scrollIntoView?.({ block: 'end' }), [msgs.length]);

  const person = to ? picked.get(to.userId) : undefined;
  const title = thread ? threadTitle(thread) : person ? person.name : '';
  const recipient: Recipient | null = to ? to : thread?.kind === 'facility' ? { facilityId: thread.id }
    : thread?.other_user_id ? { userId: thread.other_user_id } : null;
  const closed = thread?.kind === 'direct' && !thread.other_active;

  const sent = (m: StaffMessage) => {
    if (to) {
      location.hash = `#/staff/${encodeURIComponent(m.thread_id)}`;
      return;
    }
    setMsgs((shown) => mergeMessages(shown, [m]));
  };

  return (
    <section class="inbox thread">
      <a href="#/staff">{ibt('inbox.back')}</a>
      <h1>{to ? ibt('inbox.to', { name: title }) : title}</h1>
      {thread?.kind === 'direct' && thread.other_facility_name && <p class="muted">{thread.other_facility_name}</p>}
      {!online() && <Offline />}
      {err && <p class="error" role="alert">{err}</p>}
      {next && <button type="button" onClick={() => void load(next)}>{ibt('inbox.older')}</button>}
      {threadId && thread && msgs.length === 0 && <p class="empty">{ibt('inbox.no_messages')}</p>}
      <ol class="messages" aria-label={title} aria-live="polite">
        {msgs.map((m) => (
          <li key={m.id} class={m.author_id === mine ? 'mine' : ''}>
            <p class="meta">
              <strong>{m.author_id === mine ? ibt('inbox.me') : m.author_name}</strong>
              {' · '}{t(`profession.${m.profession}` as MessageKey)}{' · '}
              <time class="time" dateTime={m.created_at}>{formatDateTime(m.created_at)}</time>
            </p>
            <p class="text">{m.text}</p>
            {(m.staff_attachment_ids ?? []).length > 0 && (
              <p class="photos">
                {(m.staff_attachment_ids ?? []).map((id) => (
                  <a key={id} href={photoURL(id)} target="_blank" rel="noopener" aria-label={ibt('inbox.open_photo')}>
                    <img loading="lazy" alt={ibt('inbox.open_photo')} src={thumbnailURL(id)} />
                  </a>
                ))}
              </p>
            )}
          </li>
        ))}
      </ol>
      <div ref={bottom} />
      {closed ? <p class="notice">{ibt('inbox.inactive')}</p> : <Composer to={recipient} onSent={sent} />}
    </section>
  );
}

function Composer({ to, onSent }: { to: Recipient | null; onSent: (m: StaffMessage) => void }) {
  const [text, setText] = useState('');
  const [photos, setPhotos] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [done, setDone] = useState(false);
  const draftId = useRef(new DraftId()); // the same id for every retry of one message

  const addPhotos = async (files: FileList | null) => {
    if (!files?.length) return;
    if (photos.length + files.length > MAX_PHOTOS) { setErr(ibt('inbox.err_photos')); return; }
    setBusy(true);
    setErr('');
    try {
      const ids: string[] = [];
      for (const f of Array.from(files)) ids.push(await uploadPhoto(api, f));
      setPhotos((p) => [...p, ...ids]);
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  const send = async () => {
    const r = messageBody(to, text, photos, draftId.current.current);
    if ('error' in r) { setErr(ibt(r.error)); return; }
    setBusy(true);
    setErr('');
    setDone(false);
    try {
      const m = await sendMessage(api, r.body);
      draftId.current.sent();
      setText('');
      setPhotos([]);
      setDone(true);
      onSent(m);
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="composer card" onSubmit={(e) => { e.preventDefault(); void send(); }}>
      <label>
        {ibt('inbox.text_label')}
        <textarea rows={3} maxLength={MAX_TEXT} value={text} placeholder={ibt('inbox.text_placeholder')}
          onInput={(e) => { setText(e.currentTarget.value); setDone(false); }} />
      </label>
      {photos.length > 0 && (
        <p class="photos">
          {photos.map((id) => <img key={id} alt="" src={thumbnailURL(id)} />)}
          <span>{ibt('inbox.photo_added', { n: photos.length })}</span>
          <button type="button" class="link" onClick={() => setPhotos([])}>{ibt('inbox.photo_remove')}</button>
        </p>
      )}
      {err && <p class="error" role="alert">{err}</p>}
      {done && <p class="muted" role="status">{ibt('inbox.sent')}</p>}
      <div class="row wrap">
        <label class="button photo-pick">
          {ibt('inbox.photo')}
          <input class="sr" type="file" accept="image/*" multiple disabled={busy || !online()}
            onChange={(e) => { void addPhotos(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
        <span class="grow" />
        <button type="submit" class="primary" disabled={busy || !online()}>{busy ? ibt('inbox.sending') : ibt('inbox.send')}</button>
      </div>
    </form>
  );
}
