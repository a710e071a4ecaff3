// The actions on one staff account: suspend, reactivate, revoke (final), reset the
// password (the temporary one is shown once) and reset two-factor sign-in. Each asks
// for confirmation first; the server decides who may (care.CanManageUser).

import { useState } from 'preact/hooks';
import { me } from '../state';
import { resetPassword, resetTotp, setStatus } from './client';
import { statusActions, type AccountStatus, type Staff } from './logic';
import { professionLabel, statusLabel } from './staff';
import { Dialog, ErrorNote, at, useAction } from './ui';

type Step = { kind: 'menu' } | { kind: 'confirm'; action: Action } | { kind: 'temp'; password: string } | { kind: 'done'; message: string };
type Action = { status: AccountStatus } | { reset: 'password' | 'totp' };

const confirmText = (a: Action, name: string) =>
  'status' in a
    ? at(a.status === 'revoked' ? 'admin.staff.confirm_revoke' : a.status === 'suspended' ? 'admin.staff.confirm_suspend' : 'admin.staff.confirm_reactivate', { name })
    : at(a.reset === 'password' ? 'admin.staff.confirm_password' : 'admin.staff.confirm_totp', { name });

const actionLabel = (a: Action) =>
  'status' in a
    ? at(a.status === 'revoked' ? 'admin.staff.revoke' : a.status === 'suspended' ? 'admin.staff.suspend' : 'admin.staff.reactivate')
    : at(a.reset === 'password' ? 'admin.staff.reset_password' : 'admin.staff.reset_totp');

export function StaffActions({ user, onChanged, onClose }: { user: Staff; onChanged: (u: Staff) => void; onClose: () => void }) {
  const [step, setStep] = useState<Step>({ kind: 'menu' });
  const act = useAction();
  const own = user.id === me.value?.id;
  const actions: Action[] = [
    ...statusActions(user.status).map((status) => ({ status })),
    ...(user.status === 'revoked' ? [] : [{ reset: 'password' } as const, { reset: 'totp' } as const]),
  ];
  const perform = (a: Action) =>
    act.run(async () => {
      if ('status' in a) {
        const u = await setStatus(user.id, a.status);
        onChanged(u);
        setStep({ kind: 'done', message: at('admin.staff.done_status', { name: user.name, status: statusLabel(u.status) }) });
      } else if (a.reset === 'password') {
        const r = await resetPassword(user.id);
        onChanged(r.user);
        setStep({ kind: 'temp', password: r.temporary_password });
      } else {
        onChanged(await resetTotp(user.id));
        setStep({ kind: 'done', message: at('admin.staff.done_totp', { name: user.name }) });
      }
    });
  return (
    <Dialog title={step.kind === 'temp' ? at('admin.staff.temp_title', { name: user.name }) : at('admin.staff.manage', { name: user.name })} onClose={onClose}>
      <p>
        <span class="name">{user.name}</span><small class="kana">{user.name_kana}</small> · {professionLabel(user.profession)} · {user.login_id ?? ''} ·{' '}
        <span class={user.status === 'active' ? 'tag' : 'tag warn'}>{statusLabel(user.status)}</span>
      </p>
      {own && <p class="notice">{at('admin.staff.own')}</p>}
      {step.kind === 'menu' && !own && (
        <div class="row wrap">
          {actions.map((a) => (
            <button key={actionLabel(a)} class={'status' in a && a.status !== 'active' ? 'danger' : ''} onClick={() => { act.setErr(''); setStep({ kind: 'confirm', action: a }); }}>
              {actionLabel(a)}
            </button>
          ))}
        </div>
      )}
      {step.kind === 'confirm' && (
        <div class="card confirm" role="group" aria-label={actionLabel(step.action)}>
          <p>{confirmText(step.action, user.name)}</p>
          <div class="row wrap">
            <button class={'status' in step.action && step.action.status === 'active' ? 'primary' : 'danger'} disabled={act.busy} onClick={() => perform(step.action)}>
              {'status' in step.action && step.action.status === 'revoked' ? at('admin.staff.revoke_do') : at('admin.staff.confirm_do')}
            </button>
            <button onClick={() => setStep({ kind: 'menu' })}>{at('admin.cancel')}</button>
          </div>
        </div>
      )}
      {step.kind === 'temp' && <TemporaryPassword password={step.password} />}
      {step.kind === 'done' && <p class="notice" role="status">{step.message}</p>}
      <ErrorNote err={act.err} />
    </Dialog>
  );
}

/** The temporary password, once, large, with a copy button. */
function TemporaryPassword({ password }: { password: string }) {
  const [copied, setCopied] = useState<'' | 'ok' | 'failed'>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      setCopied('ok');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div class="temp-password">
      <p class="notice">{at('admin.staff.temp_note')}</p>
      <p><code class="secret big" data-temporary-password={password}>{password}</code></p>
      <button class="primary" onClick={copy}>{at('admin.staff.copy')}</button>
      <span role="status" aria-live="polite">{copied === 'ok' ? at('admin.staff.copied') : copied === 'failed' ? at('admin.staff.copy_failed') : ''}</span>
    </div>
  );
}
