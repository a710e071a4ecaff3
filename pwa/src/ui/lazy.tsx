import { h, type ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';

/**
 * A screen loaded on first use (dynamic import), so the nurse's first load
 * stays small. The service worker precaches the chunk, so it opens offline too.
 */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function Lazy(props: P) {
    const [C, setC] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (C) return;
      let live = true;
      (loading ??= load()).then(
        (c) => {
          loaded = c;
          if (live) setC(() => c);
        },
        () => {
          loading = undefined;
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []); // eslint-disable-line react-hooks/exhaustive-deps
    if (failed) return <p class="error" role="alert">{t('onboard.load_failed')}</p>;
    return C ? h(C, props) : <p class="empty">{t('app.loading')}</p>;
  };
}
