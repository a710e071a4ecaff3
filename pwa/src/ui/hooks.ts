import { useEffect, useState } from 'preact/hooks';
import { status } from '../state';

/** Loads local data and reloads it whenever a sync changed something. */
export function useData<T>(load: () => Promise<T>, deps: unknown[] = []): T | undefined {
  const [v, setV] = useState<T | undefined>(undefined);
  const rev = status.value?.revision ?? 0;
  useEffect(() => {
    let live = true;
    load().then((x) => live && setV(x), () => live && setV(undefined));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rev, ...deps]);
  return v;
}
