// Record search (記録の検索): Japanese words of two or more characters in the records
// the user reads, in one patient (the box above the timeline) or across all of their
// patients (#/search, from the patients list). It asks the server (GET /search/records),
// which applies the same read rule as the timeline; offline it says search needs a
// connection. Each result shows patient, kind, date, author and the matching line with
// the words highlighted, and opens the record. Loaded lazily (ui/lazy.tsx) with its
// own messages.

import { useEffect, useState } from 'preact/hooks';
import { errorMessage, formatDateTime, t, type MessageKey } from '../i18n';
import { st } from '../i18n/search';
import { queryWords } from '../record-search';
import type { Patient, SearchHit, TeamMember } from '../schemas';
import { api, describeError, getPatient, listTeam, status } from '../state';
import './search.css';

const online = () => status.value?.online ?? navigator.onLine;

type Names = { patients: Map<string, string>; authors: Map<string, string> };

async function namesFor(hits: SearchHit[], known: Names): Promise<Names> {
  const patients = new Map(known.patients);
  const authors = new Map(known.authors);
  for (const pid of new Set(hits.map((h) => h.patient_id))) {
    if (patients.has(pid)) continue;
    // What this device holds; a patient it has not synced yet is read from the
    // server (the search was online a moment ago).
    const p = (await getPatient(pid)) ?? (await api.request<Patient>('GET', `/patients/${encodeURIComponent(pid)}`).catch(() => undefined));
    patients.set(pid, p?.name ?? '');
    let team = await listTeam(pid);
    if (!team.length) {
      team = (await api.request<{ members: TeamMember[] | null }>('GET', `/patients/${encodeURIComponent(pid)}/team`).catch(() => undefined))?.members ?? [];
    }
    for (const m of team) authors.set(m.user_id, m.name);
  }
  return { patients, authors };
}

export function RecordSearch({ patientId }: { patientId?: string }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [names, setNames] = useState<Names>({ patients: new Map(), authors: new Map() });
  const [asked, setAsked] = useState('');
  const isOnline = online();

  useEffect(() => { setHits(null); setNext(''); setErr(''); }, [patientId]);

  const run = async (cursor = '') => {
    const words = queryWords(q);
    if (!words) { setErr(st('search.too_short')); return; }
    if (!online()) { setErr(st('search.offline')); return; }
    setBusy(true);
    setErr('');
    try {
      const params = new URLSearchParams({ q: words.join(' '), limit: '20' });
      if (patientId) params.set('patient_id', patientId);
      if (cursor) params.set('cursor', cursor);
      const res = await api.request<{ records: SearchHit[] | null; next?: string }>('GET', `/search/records?${params}`);
      const page = res.records ?? [];
      const all = cursor ? [...(hits ?? []), ...page] : page;
      setNames(await namesFor(page, names));
      setHits(all);
      setNext(res.next ?? '');
      setAsked(words.join(' '));
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  const clear = () => { setQ(''); setHits(null); setNext(''); setErr(''); setAsked(''); };
  const label = patientId ? st('search.label_patient') : st('search.label');

  return (
    <div class="record-search">
      <form role="search" aria-label={label} onSubmit={(e) => { e.preventDefault(); void run(); }}>
        <input type="search" aria-label={label} placeholder={label} value={q} enterKeyHint="search"
          onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || !isOnline}>{st('search.submit')}</button>
        {hits !== null && <button type="button" onClick={clear}>{st('search.clear')}</button>}
      </form>
      {!isOnline && <p class="empty" role="status">{st('search.offline')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      {busy && <p class="empty" role="status">{st('search.searching')}</p>}
      {hits !== null && !busy && (
        <p role="status" aria-live="polite">
          {hits.length === 0 ? st('search.none') : st('search.count', { n: hits.length, more: next ? st('search.count_more') : '' })}
        </p>
      )}
      {hits !== null && hits.length > 0 && (
        <ol class="hits" aria-label={asked}>
          {hits.map((h) => {
            const patient = names.patients.get(h.patient_id) ?? '';
            const author = names.authors.get(h.author_id) ?? st('search.unknown_author');
            const kind = t(`kind.${h.kind}` as MessageKey);
            const date = formatDateTime(h.occurred_at);
            return (
              <li key={h.id}>
                <a href={`#/patients/${h.patient_id}/records/${h.id}`}>
                  <span class="meta">
                    {!patientId && patient && <><strong>{patient}</strong> · </>}
                    <strong>{kind}</strong> · <time dateTime={h.occurred_at}>{date}</time> · {author}
                  </span>
                  <p class="snippet">
                    {(h.snippet ?? []).map((s, i) => (s.hit ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
                  </p>
                </a>
              </li>
            );
          })}
        </ol>
      )}
      {next && !busy && <button type="button" onClick={() => void run(next)}>{st('search.more')}</button>}
    </div>
  );
}

/** #/search: across all of the user's patients. */
export function SearchScreen() {
  return (
    <section aria-labelledby="search-h">
      <h1 id="search-h">{st('search.title')}</h1>
      <p>{st('search.scope_all')}</p>
      <RecordSearch />
    </section>
  );
}
