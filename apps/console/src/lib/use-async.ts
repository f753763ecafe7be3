import { useCallback, useEffect, useState } from 'react';

/** A value loaded by `load`, reloaded by `reload()` or every `everyMs`; errors kept for display. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number): { value: T | undefined; error: string | null; reload: () => void } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && (setValue(v), setError(null)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the load depends on
  }, [...deps, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, reload]);
  return { value, error, reload };
}
