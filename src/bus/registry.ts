import type { Bus, BusOptions } from './bus.js';

interface BusKind {
  /** does this kind open `url`? */
  accepts(url: string): boolean;
  /** its client, loaded on demand so that a scan never loads a bus library */
  open(url: string, options: BusOptions): Promise<Bus>;
}

/** Every bus, by name; the first that accepts a URL opens it. */
export const buses = {
  nats: {
    accepts: (url) => /^(nats|tls):\/\//i.test(url) || !url.includes('://'),
    open: async (url, options) => (await import('./nats.js')).openNatsBus(url, options),
  },
} as const satisfies Record<string, BusKind>;

export async function openBus(url: string, options: BusOptions): Promise<Bus> {
  const kind = (Object.values(buses) as BusKind[]).find((b) => b.accepts(url));
  if (!kind) throw new Error(`no bus accepts ${url}`);
  return kind.open(url, options);
}
