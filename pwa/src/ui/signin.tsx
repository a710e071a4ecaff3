import { useState } from 'preact/hooks';
import { t, errorMessage } from '../i18n';
import { changePassword, confirmTotp, describeError, enrolment, notice, pinIsNew, signIn, signInStep, toSignIn, unlock } from '../state';

function useSubmit(run: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErr('');
    try {
      await run();
    } catch (x) {
      const code = describeError(x);
      setErr(code === 'wrong_pin' ? t('pin.wrong') : code === 'expired' ? t('pin.expired') : errorMessage(code));
    } finally {
      setBusy(false);
    }
  };
  return { busy, err, setErr, submit };
}

export function SignIn() {
  const [id, setId] = useState('');
  const [pw, setPw] = useState('');
  const [code, setCode] = useState('');
  const [np, setNp] = useState('');
  const [np2, setNp2] = useState('');
  const step = signInStep.value;
  const { busy, err, setErr, submit } = useSubmit(async () => {
    if (step === 'change') {
      if (np !== np2) return setErr(t('signin.mismatch'));
      await changePassword(id, pw, np, code || undefined);
      setPw(np); // a TOTP step that follows signs in with the new password
    } else if (step === 'enrol') {
      await confirmTotp(code);
      setCode('');
    } else await signIn(id, pw, step === 'totp' ? code : undefined);
  });
  return (
    <main class="card narrow">
      <h1>{t('app.name')}</h1>
      <h2>{step === 'totp' ? t('signin.totp_title') : step === 'change' ? t('signin.change_title') : step === 'enrol' ? t('signin.enrol_title') : t('signin.title')}</h2>
      {notice.value && <p class="notice" role="status">{t(notice.value)}</p>}
      <form onSubmit={submit}>
        {step === 'password' && (
          <>
            <label>{t('signin.login_id')}<input name="login_id" autocomplete="username" autocapitalize="off" required value={id} onInput={(e) => setId(e.currentTarget.value)} /></label>
            <label>{t('signin.password')}<input name="password" type="password" autocomplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} /></label>
          </>
        )}
        {step === 'totp' && (
          <>
            <p>{t('signin.totp_hint')}</p>
            <label>{t('signin.totp_code')}<input name="totp_code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value)} /></label>
          </>
        )}
        {step === 'enrol' && enrolment.value && (
          <>
            <p>{t('signin.enrol_hint')}</p>
            <p>{t('signin.enrol_secret')}: <code class="secret" data-secret={enrolment.value.secret}>{enrolment.value.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
            <label>{t('signin.totp_code')}<input name="totp_code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value)} /></label>
          </>
        )}
        {step === 'change' && (
          <>
            <p>{t('signin.change_hint')}</p>
            <label>{t('signin.new_password')}<input name="new_password" type="password" autocomplete="new-password" required minLength={12} value={np} onInput={(e) => setNp(e.currentTarget.value)} /></label>
            <label>{t('signin.new_password2')}<input name="new_password2" type="password" autocomplete="new-password" required value={np2} onInput={(e) => setNp2(e.currentTarget.value)} /></label>
          </>
        )}
        {err && <p class="error" role="alert">{err}</p>}
        <button class="primary" disabled={busy}>{step === 'totp' || step === 'enrol' ? t('signin.verify') : step === 'change' ? t('signin.change_submit') : t('signin.submit')}</button>
      </form>
    </main>
  );
}

export function Pin() {
  const isNew = pinIsNew.value;
  const [pin, setPin] = useState('');
  const [pin2, setPin2] = useState('');
  const { busy, err, setErr, submit } = useSubmit(async () => {
    if (!/^\d{4,8}$/.test(pin)) return setErr(t('pin.invalid'));
    if (isNew && pin !== pin2) return setErr(t('pin.mismatch'));
    await unlock(pin);
    setPin('');
  });
  return (
    <main class="card narrow">
      <h1>{t('app.name')}</h1>
      <h2>{isNew ? t('pin.set_title') : t('pin.enter_title')}</h2>
      <p>{isNew ? t('pin.set_hint') : t('pin.enter_hint')}</p>
      {notice.value && <p class="notice" role="status">{t(notice.value)}</p>}
      <form onSubmit={submit}>
        <label>{t('pin.pin')}<input name="pin" type="password" inputMode="numeric" autocomplete="off" pattern="[0-9]*" maxLength={8} required value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
        {isNew && <label>{t('pin.pin2')}<input name="pin2" type="password" inputMode="numeric" autocomplete="off" pattern="[0-9]*" maxLength={8} required value={pin2} onInput={(e) => setPin2(e.currentTarget.value)} /></label>}
        {err && <p class="error" role="alert">{err}</p>}
        <button class="primary" disabled={busy}>{t('pin.submit')}</button>
      </form>
      {!isNew && <button class="link" onClick={toSignIn}>{t('pin.signin_again')}</button>}
    </main>
  );
}
