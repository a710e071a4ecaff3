// あなた宛ての連絡 (#/mentions): the messages mentioning me across my patients,
// newest first, each opening its thread at the message. Online from the server
// (unread ones marked, from its read receipts); offline, those on this device.
import { useEffect, useState } from 'preact/hooks';
import { excerpt, type Message } from '../channel';
import { myMentions } from '../channel-state';
import { ct } from '../i18n/channel';
import { errorMessage, formatDateTime, t, type MessageKey } from '../i18n';
import { describeError, listPatients, me } from '../state';
import { useData } from './hooks';
import './channel.css';

export default function Mentions() {
  const [items, setItems] = useState<Message[] | undefined>();
  const [next, setNext] = useState<string | null | undefined>();
  const [online, setOnline] = useState(true);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const patients = useData(async () => new Map((await listPatients()).map((p) => [p.id, p.name])));
  const myId = me.value?.id ?? '';

  const load = async (before?: string) => {
    setBusy(true);
    setErr('');
    try {
      const r = await myMentions(before);
      setItems((xs) => (before ? [...(xs ?? []), ...r.items] : r.items));
      setNext(r.next);
      setOnline(r.online);
    } catch (x) {
      setErr(errorMessage(describeError(x)));
      setItems((xs) => xs ?? []);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(), []); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <section aria-labelledby="mentions-h" class="mentions">
      <h1 id="mentions-h">{ct('chan.mentions_title')}</h1>
      {!online && <p class="notice">{ct('chan.mentions_offline')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      {!items && <p class="empty">{t('app.loading')}</p>}
      {items?.length === 0 && <p class="empty">{ct('chan.mentions_none')}</p>}
      <ul class="list">
        {items?.map((m) => {
          const unread = online && !(m.read_by ?? []).some((r) => r.user_id === myId);
          return (
            <li key={m.id} class={m.urgent && !m.retracted ? 'urgent' : undefined}>
              <a class="row" href={`#/patients/${m.patient_id}/messages/${m.id}`}>
                <span class="grow">
                  <strong>{patients?.get(m.patient_id) ?? '—'}</strong>
                  <small>{m.author_name}({t(`profession.${m.profession}` as MessageKey)}) · <time dateTime={m.created_at}>{formatDateTime(m.created_at)}</time></small>
                  <small class="excerpt">{m.retracted && !m.text ? ct('chan.retracted') : excerpt(m.text, 80)}</small>
                </span>
                {m.urgent && !m.retracted && <span class="tag urgent-tag">{ct('chan.urgent')}</span>}
                {unread && <span class="tag new-tag">{ct('chan.unread')}</span>}
              </a>
            </li>
          );
        })}
      </ul>
      {next && <button disabled={busy} onClick={() => void load(next)}>{ct('chan.more')}</button>}
    </section>
  );
}
