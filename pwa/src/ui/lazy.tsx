// Screens that not every user opens (the care-team editor, the access log) are
// loaded on first use with a dynamic import(), so the first load stays small.
// The service worker precaches their chunks, so they open offline too.

import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, t } from '../i18n';

export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  return function Lazy(props: P) {
    const [C, setC] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (C) return;
      let live = true;
      load().then(
        (c) => {
          loaded = c;
          if (live) setC(() => c);
        },
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, []);
    if (failed) return <p class="error" role="alert">{errorMessage('network')}</p>;
    return C ? <C {...props} /> : <p class="empty">{t('app.loading')}</p>;
  };
}
