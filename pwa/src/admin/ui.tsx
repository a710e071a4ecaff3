// Small pieces the console's screens share: its messages, a modal dialog, and a
// runner that keeps "busy" and the error of an action.

import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, tx } from '../i18n';
import { failure } from './client';
import type { AdminKey } from './messages';

/** The console's t(). */
export const at = (key: AdminKey, vars?: Record<string, string | number>): string => tx(key, vars);

let seq = 0;
export const useId = (prefix: string) => useState(() => `${prefix}-${++seq}`)[0];

/**
 * A modal dialog (the platform's <dialog>: focus moves into it, Escape closes it,
 * the page behind is inert). `onClose` runs however it closes.
 */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const h = useId('dlg');
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (!d.open) d.showModal();
    const f = () => close.current();
    d.addEventListener('close', f);
    return () => {
      d.removeEventListener('close', f);
      if (d.open) d.close();
    };
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'admin-dialog wide' : 'admin-dialog'} aria-labelledby={h}>
      <div class="row">
        <h2 id={h} class="grow">{title}</h2>
        <button type="button" onClick={() => ref.current?.close()}>{at('admin.close')}</button>
      </div>
      {children}
    </dialog>
  );
}

/** Runs an action once at a time; its failure becomes a message to show. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const run = async (f: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setErr('');
    try {
      await f();
    } catch (e) {
      setErr(errorMessage(failure(e)));
    } finally {
      setBusy(false);
    }
  };
  return { busy, err, setErr, run };
}

export const ErrorNote = ({ err }: { err: string }) => (err ? <p class="error" role="alert">{err}</p> : null);

/**
 * A labelled <select>. The label is outside the control (label for=), so the
 * accessible name is the label alone, not the label plus every option's text.
 */
export function SelectField({ label, children, ...props }: { label: string; children: ComponentChildren } & JSX.SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId('sel');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} {...props}>{children}</select>
    </div>
  );
}
