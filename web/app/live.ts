import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiFinding } from './api.js';

/**
 * Server-sent `findings` events (GET /api/events). `onChange` applies updates in place and returns
 * the ids that are new to the view: they are counted for the "N new" pill, not inserted.
 */
export function useLiveFindings(onChange: (changed: ApiFinding[]) => string[]): { count: number; clear: () => void } {
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.addEventListener('findings', (event) => {
      const { items } = JSON.parse((event as MessageEvent<string>).data) as { items: ApiFinding[] };
      const added = handler.current(items);
      if (added.length > 0) setFresh((s) => new Set([...s, ...added]));
    });
    return () => source.close();
  }, []);
  return { count: fresh.size, clear: () => setFresh(new Set()) };
}
