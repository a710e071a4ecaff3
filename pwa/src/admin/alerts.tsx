// 不正利用アラート: what the misuse rules found (CONTRACT.md "Alerts"), newest first;
// an admin acknowledges one with a note of what they checked.

import { useEffect, useState } from 'preact/hooks';
import { formatDateTime } from '../i18n';
import { me } from '../state';
import { acknowledgeAlert, listAlerts, searchStaff } from './client';
import { emptyStaffFilter, isAlertRule, type Alert } from './logic';
import { Dialog, ErrorNote, at, useAction } from './ui';

/** The rule's name in the user's language; an unknown rule shows its code. */
export const ruleName = (rule: string) => (isAlertRule(rule) ? at(`admin.alerts.rule.${rule}`) : rule);
const ruleHint = (rule: string) => (isAlertRule(rule) ? at(`admin.alerts.rule_hint.${rule}`) : '');

export function Alerts() {
  const [status, setStatus] = useState<'open' | 'acknowledged'>('open');
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [acking, setAcking] = useState<Alert | null>(null);
  const [people, setPeople] = useState<Map<string, string>>(new Map());
  const load = useAction();
  useEffect(() => void searchStaff(emptyStaffFilter()).then((us) => setPeople(new Map(us.map((u) => [u.id, u.name]))), () => undefined), []);
  useEffect(() => {
    setAlerts(null);
    void load.run(async () => setAlerts(await listAlerts(status)));
  }, [status]);
  return (
    <section aria-labelledby="adm-alerts-h">
      <h2 id="adm-alerts-h">{at('admin.alerts.title')}</h2>
      <div class="row seg" role="radiogroup" aria-label={at('admin.alerts.status')}>
        {(['open', 'acknowledged'] as const).map((s) => (
          <button key={s} role="radio" aria-checked={status === s} onClick={() => setStatus(s)}>{at(`admin.alerts.${s}`)}</button>
        ))}
      </div>
      <ErrorNote err={load.err} />
      {alerts && alerts.length === 0 && <p class="empty">{at(status === 'open' ? 'admin.alerts.none_open' : 'admin.alerts.none_ack')}</p>}
      {!!alerts?.length && (
        <table class="data admin-table">
          <thead>
            <tr>
              <th scope="col">{at('admin.alerts.rule')}</th>
              <th scope="col">{at('admin.alerts.user')}</th>
              <th scope="col">{at('admin.alerts.count')}</th>
              <th scope="col">{at('admin.alerts.first')}</th>
              <th scope="col">{at('admin.alerts.last')}</th>
              <th scope="col">{status === 'open' ? at('admin.staff.actions') : at('admin.alerts.note')}</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id}>
                <th scope="row">{ruleName(a.rule)}<small class="muted">{ruleHint(a.rule)}</small></th>
                <td>{a.user_name}</td>
                <td>{a.count}{!!a.patient_ids?.length && <small class="muted">{at('admin.alerts.patients', { n: a.patient_ids.length })}</small>}</td>
                <td><time dateTime={a.first_at}>{formatDateTime(a.first_at)}</time></td>
                <td><time dateTime={a.last_at}>{formatDateTime(a.last_at)}</time></td>
                <td>
                  {a.status === 'open' && a.user_id === me.value?.id ? (
                    <small class="muted">{at('admin.alerts.own')}</small>
                  ) : a.status === 'open' ? (
                    <button onClick={() => setAcking(a)} aria-label={at('admin.alerts.ack_label', { name: a.user_name, rule: ruleName(a.rule) })}>{at('admin.alerts.ack')}</button>
                  ) : (
                    <>
                      <span class="text">{a.note}</span>
                      {a.acknowledged_at && <small class="muted">{at('admin.alerts.acked_by', { time: formatDateTime(a.acknowledged_at), name: people.get(a.acknowledged_by ?? '') ?? a.acknowledged_by ?? '' })}</small>}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {acking && (
        <Acknowledge
          alert={acking}
          onClose={() => setAcking(null)}
          onDone={(done) => {
            setAlerts((xs) => (xs ?? []).filter((x) => x.id !== done.id));
            setAcking(null);
          }}
        />
      )}
    </section>
  );
}

function Acknowledge({ alert, onClose, onDone }: { alert: Alert; onClose: () => void; onDone: (a: Alert) => void }) {
  const [note, setNote] = useState('');
  const act = useAction();
  return (
    <Dialog title={at('admin.alerts.ack_label', { name: alert.user_name, rule: ruleName(alert.rule) })} onClose={onClose}>
      <p>{ruleHint(alert.rule)}</p>
      <form onSubmit={(e) => { e.preventDefault(); void act.run(async () => onDone(await acknowledgeAlert(alert.id, note.trim()))); }}>
        <label>{at('admin.alerts.note')}
          <textarea name="note" rows={4} maxLength={1000} value={note} onInput={(e) => setNote(e.currentTarget.value)} aria-describedby="adm-note-hint" />
        </label>
        <small id="adm-note-hint" class="muted">{at('admin.alerts.note_hint')}</small>
        <ErrorNote err={act.err} />
        <div class="row">
          <button type="submit" class="primary" disabled={act.busy}>{at('admin.alerts.ack')}</button>
          <button type="button" onClick={onClose}>{at('admin.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
