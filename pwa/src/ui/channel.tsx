// The 連絡 tab of the patient: the team's thread (oldest at the top, newest at the
// bottom, one heading per day), and the composer under it (channel-composer.tsx).
// The device's copy shows at once, offline too; online, the newest page is read
// from the server on opening (with read receipts), older pages on demand. A sync
// (the server's event-stream hint) reloads it without leaving the screen.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { byDay, excerpt, newToMe, readUpTo, recordsOf, splitMentions, type LocalMessage, type Message } from '../channel';
import { fetchPage, markThreadRead, retractMessage, thread } from '../channel-state';
import { ct } from '../i18n/channel';
import { errorMessage, formatDate, formatTime, t, type MessageKey } from '../i18n';
import { describeError, dismissProblem, listRecords, listTeam, me, status, unreadMessages } from '../state';
import type { TeamMember } from '../schemas';
import { Composer, type Restore } from './channel-composer';
import { useData } from './hooks';
import './channel.css';

type Receipts = Map<string, NonNullable<Message['read_by']>>;

export default function Channel({ patientId, focus }: { patientId: string; focus?: string }) {
  const [local, setLocal] = useState(0); // bumped when a page read from the server was stored
  const data = useData(async () => {
    const [msgs, team, recs] = await Promise.all([thread(patientId), listTeam(patientId), listRecords(patientId)]);
    return { msgs, team, recs: recs as { id: string; source_message_id?: string | null }[] };
  }, [patientId, local]);
  const [receipts, setReceipts] = useState<Receipts>(new Map());
  const [older, setOlder] = useState<{ next?: string | null; busy?: boolean; online: boolean }>({ online: true });
  const [replyTo, setReplyTo] = useState<LocalMessage | undefined>();
  const [restore, setRestore] = useState<Restore | undefined>();
  const myId = me.value?.id ?? '';
  // What was new when the thread opened stays marked while it is open (reading it lowers the count).
  const unreadAtOpen = useRef(unreadMessages.value[patientId]?.messages ?? 0);
  const seenAtOpen = useRef<Set<string>>();
  const keep = (items: Message[]) => setReceipts((r) => new Map([...r, ...items.map((m) => [m.id, m.read_by ?? []] as const)]));

  const msgs = data?.msgs;
  const last = msgs?.[msgs.length - 1]?.id;
  // Online, the newest page from the server: messages the device may not hold yet, and read
  // receipts (既読); again when the device comes back online, and when a message arrived (new
  // messages come by sync; the receipts of mine may have moved meanwhile).
  const online = status.value?.online ?? true;
  const arrived = useRef<{ last?: string; n: number }>({ n: 0 });
  if (last !== arrived.current.last) arrived.current = { last, n: arrived.current.last ? arrived.current.n + 1 : arrived.current.n };
  const paged = useRef(false); // older pages read: the newest page's `next` no longer says what is left
  useEffect(() => {
    if (!online) return setOlder((o) => ({ ...o, online: false }));
    let live = true;
    fetchPage(patientId).then((p) => {
      if (!live) return;
      setOlder((o) => ({ next: paged.current ? o.next : p?.next, online: !!p }));
      if (p) {
        keep(p.items ?? []);
        setLocal((n) => n + 1);
      }
    }, () => live && setOlder({ online: true })); // the server refused (not offline): what the device holds stays
    return () => {
      live = false;
    };
  }, [patientId, online, arrived.current.n]); // eslint-disable-line react-hooks/exhaustive-deps

  const upTo = msgs && readUpTo(msgs);
  useEffect(() => {
    // Seeing the thread is reading it: the pointer moves to the newest message the server has.
    if (upTo && document.visibilityState === 'visible') void markThreadRead(patientId, upTo).catch(() => undefined);
  }, [patientId, upTo]);

  const log = useRef<HTMLDivElement>(null);
  // The page scrolls (the composer sticks above the tab bar): the newest message comes into view on
  // opening and when one arrives while the reader is at the bottom; a message opened by link, once.
  // Otherwise a button says that something new is below.
  const atBottom = useRef(true);
  const focused = useRef<string | undefined>();
  const [below, setBelow] = useState(false);
  useEffect(() => {
    const f = () => {
      atBottom.current = innerHeight + scrollY >= document.documentElement.scrollHeight - 160;
      if (atBottom.current) setBelow(false);
    };
    addEventListener('scroll', f, { passive: true });
    return () => removeEventListener('scroll', f);
  }, []);
  const toBottom = () => {
    scrollTo(0, document.documentElement.scrollHeight);
    setBelow(false);
  };
  const shown = useRef<string | undefined>();
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    const target = focus && focused.current !== focus ? el.querySelector(`#m-${CSS.escape(focus)}`) : null;
    if (target) {
      focused.current = focus;
      target.scrollIntoView({ block: 'start' });
    } else if (atBottom.current || msgs?.[msgs.length - 1]?.pending) {
      toBottom(); // at the bottom already, or I just wrote it
    } else if (shown.current && last !== shown.current) {
      setBelow(true);
    }
    shown.current = last;
  }, [last, focus, !!msgs]);

  const loadOlder = async () => {
    const first = msgs?.find((m) => !m.pending);
    if (!first) return;
    setOlder((o) => ({ ...o, busy: true }));
    paged.current = true;
    const p = await fetchPage(patientId, first.id).catch(() => null);
    setOlder({ next: p?.next, online: !!p });
    if (p) {
      keep(p.items ?? []);
      setLocal((n) => n + 1);
    }
  };

  if (!data || !msgs) return <p class="empty">{t('app.loading')}</p>;
  // New to me: the unread ones when the thread opened, and those by others that arrived while it is open.
  seenAtOpen.current ??= new Set(msgs.map((m) => m.id));
  const fresh = newToMe(msgs, unreadAtOpen.current, myId);
  for (const m of msgs) if (!seenAtOpen.current.has(m.id) && m.author_id !== myId) fresh.add(m.id);
  const byId = new Map(msgs.map((m) => [m.id, m]));
  const names = data.team.map((m) => m.name);
  const refused = new Map((status.value?.failed ?? []).filter((f) => f.type === 'message.create' && f.subject).map((f) => [f.subject!, f]));
  const days = byDay(msgs);
  return (
    <section class="channel" aria-labelledby="channel-h">
      <h2 id="channel-h" class="sr">{ct('chan.title')}</h2>
      {older.next && (
        <button class="older" disabled={older.busy} onClick={() => void loadOlder()}>{ct('chan.older')}</button>
      )}
      {!older.online && <p class="muted offline-note">{ct('chan.offline')}</p>}
      {msgs.length === 0 && <p class="empty">{ct('chan.empty')}</p>}
      <div class="thread" ref={log} role="log" aria-label={ct('chan.thread')}>
        {days.map((d) => (
          <div key={d.day} class="day">
            <h3 class="day-h"><span>{formatDate(d.day)}</span></h3>
            <ol class="msgs">
              {d.items.map((m) => (
                <Item key={m.id} m={m} patientId={patientId} myId={myId} quoted={m.reply_to ? byId.get(m.reply_to) ?? null : undefined}
                  names={names} fresh={fresh.has(m.id)} focus={focus === m.id} receipts={receipts.get(m.id)} team={data.team}
                  records={recordsOf(m, data.recs)} refused={refused.get(m.id)} onReply={() => setReplyTo(m)}
                  onEdit={() => {
                    // The refused message's text is on this device only: back into the composer
                    // (with what it replied to) before its waiting copy is let go.
                    setRestore({ text: m.text, urgent: !!m.urgent, n: (restore?.n ?? 0) + 1 });
                    if (m.reply_to && byId.get(m.reply_to)) setReplyTo(byId.get(m.reply_to));
                  }} />
              ))}
            </ol>
          </div>
        ))}
      </div>
      <div class="compose-dock">
        {below && <button class="below" onClick={toBottom}>{ct('chan.below')}</button>}
        <Composer patientId={patientId} team={data.team} replyTo={replyTo} onReplyDone={() => setReplyTo(undefined)} restore={restore} />
      </div>
    </section>
  );
}

interface ItemProps {
  m: LocalMessage; patientId: string; myId: string; quoted?: LocalMessage | null; names: string[]; fresh: boolean; focus: boolean;
  receipts?: NonNullable<Message['read_by']>; team: TeamMember[]; records: string[];
  refused?: { id: string; code: string }; onReply: () => void; onEdit: () => void;
}

function Item({ m, patientId, myId, quoted, names, fresh, focus, receipts, team, records, refused, onReply, onEdit }: ItemProps) {
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const mine = m.author_id === myId;
  const prof = t(`profession.${m.profession}` as MessageKey);
  const when = formatTime(m.created_at);
  const retract = async () => {
    if (!confirm(ct('chan.retract_confirm'))) return;
    setBusy(true);
    setErr('');
    try {
      await retractMessage(m);
    } catch (x) {
      const code = describeError(x);
      setErr(code === 'network' ? ct('chan.retract_offline') : errorMessage(code));
    } finally {
      setBusy(false);
    }
  };
  const readers = (receipts ?? []).filter((r) => r.user_id !== m.author_id);
  const nameOf = (id: string) => team.find((x) => x.user_id === id)?.name ?? t('conflict.someone');
  const cls = ['msg', mine && 'mine', m.urgent && !m.retracted && 'urgent', m.pending && 'pending', fresh && 'fresh', focus && 'focus', m.retracted && 'retracted'].filter(Boolean).join(' ');
  return (
    <li id={`m-${m.id}`} class={cls}>
      <p class="meta">
        <strong class="who">{m.author_name}</strong> <span class="prof">{prof}</span> <time dateTime={m.created_at}>{when}</time>
        {m.urgent && !m.retracted && <span class="tag urgent-tag">{ct('chan.urgent')}</span>}
        {fresh && <span class="tag new-tag">{ct('chan.new')}</span>}
        {refused ? <span class="tag warn">{ct('chan.refused')}</span> : m.pending && <span class="tag warn">{ct('chan.pending')}</span>}
      </p>
      {quoted !== undefined && (
        <blockquote class="quote">
          {quoted ? <><span class="who">{quoted.author_name}</span> {quoted.retracted && !quoted.text ? ct('chan.retracted') : excerpt(quoted.text)}</> : ct('chan.quote_unknown')}
        </blockquote>
      )}
      {m.retracted ? (
        <p class="text retracted-text">
          {ct('chan.retracted')}
          {m.text && <><br /><del aria-label={ct('chan.retracted_own')}>{m.text}</del></>}
        </p>
      ) : (
        <p class="text">{splitMentions(m.text, names).map((s, i) => (s.mention ? <mark key={i} class="mention">{s.text}</mark> : s.text))}</p>
      )}
      {!m.retracted && !!m.attachment_ids?.length && (
        <div class="photos">
          {m.pending
            ? <span class="muted">{ct('chan.photos_waiting', { n: m.attachment_ids.length })}</span>
            : m.attachment_ids.map((a, i) => (
              <a key={a} href={`/api/v1/attachments/${a}?redirect=1`} target="_blank" rel="noopener">
                <img loading="lazy" alt={ct('chan.photo', { n: i + 1 })} src={`/api/v1/attachments/${a}/thumbnail?redirect=1`} />
              </a>
            ))}
        </div>
      )}
      {records.length > 0 && (
        <p class="records">
          {records.map((rid, i) => <a key={rid} href={`#/patients/${patientId}/records/${rid}`}>{ct('chan.record_link', { n: records.length > 1 ? i + 1 : '' })}</a>)}
        </p>
      )}
      {mine && !m.pending && readers.length > 0 && (
        <p class="readers muted">{ct('chan.read_by', { n: readers.length, names: readers.map((r) => nameOf(r.user_id)).join('、') })}</p>
      )}
      {refused && (
        <p class="error">{errorMessage(refused.code)}{' '}
          <button class="link" onClick={() => { onEdit(); void dismissProblem(refused.id); }}>{ct('chan.edit_resend')}</button></p>
      )}
      {!m.pending && !m.retracted && (
        <div class="row wrap actions">
          <button onClick={onReply} aria-label={ct('chan.reply_label', { name: m.author_name, time: when })}>{ct('chan.reply')}</button>
          <a class="button" href={`#/patients/${patientId}/message-record/${m.id}`} aria-label={ct('chan.to_record_label', { name: m.author_name, time: when })}>{ct('chan.to_record')}</a>
          {mine && <button class="danger" disabled={busy} onClick={() => void retract()} aria-label={ct('chan.retract_label', { time: when })}>{ct('chan.retract')}</button>}
        </div>
      )}
      {err && <p class="error" role="alert">{err}</p>}
    </li>
  );
}
