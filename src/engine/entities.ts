import { CapTally } from '../diagnostics/cap-tally.js';

/**
 * One entity per host and per user. Logs spell one machine `SRV-APP-02`, `srv-app-02` and
 * `srv-app-02.acme.example`, one account `S-1-5-18`, `SYSTEM` and `NT AUTHORITY\SYSTEM`, and
 * CrowdStrike names a sensor by its agent id: the risk of one entity must not be split across its
 * spellings. Names are folded to one canonical form; the spellings seen are kept as aliases.
 */

/** Well-known SIDs and the names Windows logs give the same accounts (lower-cased), to one display name. */
const WELL_KNOWN_ACCOUNTS: Array<{ name: string; spellings: string[] }> = [
  { name: 'NT AUTHORITY\\SYSTEM', spellings: ['s-1-5-18', 'system', 'nt authority\\system', 'localsystem', 'local system'] },
  { name: 'NT AUTHORITY\\LOCAL SERVICE', spellings: ['s-1-5-19', 'local service', 'nt authority\\local service', 'localservice'] },
  { name: 'NT AUTHORITY\\NETWORK SERVICE', spellings: ['s-1-5-20', 'network service', 'nt authority\\network service', 'networkservice'] },
  { name: 'NT AUTHORITY\\ANONYMOUS LOGON', spellings: ['s-1-5-7', 'anonymous logon', 'nt authority\\anonymous logon'] },
  { name: 'BUILTIN\\Administrators', spellings: ['s-1-5-32-544', 'builtin\\administrators'] },
  { name: 'BUILTIN\\Users', spellings: ['s-1-5-32-545', 'builtin\\users'] },
];
const accountBySpelling = new Map(WELL_KNOWN_ACCOUNTS.flatMap((a) => a.spellings.map((s) => [s, a.name] as const)));

/** a CrowdStrike agent id (`aid`): 32 hex digits */
const AGENT_ID = /^[0-9a-f]{32}$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The canonical name of a host: lower-cased, the short name of an FQDN; addresses stay whole. */
export function canonicalHost(name: string): string {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === '' || IPV4.test(host) || host.includes(':')) return host;
  return host.split('.')[0];
}

/** The canonical name of a user: a well-known account by its Windows name, anyone else lower-cased. */
export function canonicalUser(name: string): string {
  const user = name.trim().toLowerCase();
  return accountBySpelling.get(user) ?? user;
}

/** names kept per kind of observation unless a run says otherwise: beyond it new ones are counted, not kept (bounded memory) */
const DEFAULT_MAX_NAMES = 100_000;

/**
 * Resolves entity names for one run. Agent ids become host names once some event of the run has
 * named both (`observeAgent`); a bare user name becomes `domain\user` when the run saw exactly one
 * domain for it (`observeUser`). Both merge order-free (partial states of threads and machines).
 */
export class EntityResolver {
  private readonly agents = new Map<string, string>();
  /** bare user name -> the domain-qualified names seen for it */
  private readonly qualified = new Map<string, Set<string>>();
  /** grows whenever what is learnt can change a canonical name: a stream then renames what it showed */
  version = 0;

  constructor(
    private readonly caps = new CapTally(),
    private readonly maxNames = DEFAULT_MAX_NAMES,
  ) {}

  /** forgets what was learnt (after a batch's partial state shipped it) */
  clear(): void {
    this.agents.clear();
    this.qualified.clear();
  }

  /** an event naming both a CrowdStrike agent id and its host; a clash keeps the first name in text order */
  observeAgent(agentId: string, hostName: string): void {
    const id = agentId.toLowerCase();
    const host = canonicalHost(hostName);
    if (!AGENT_ID.test(id) || host === '' || AGENT_ID.test(host)) return;
    const known = this.agents.get(id);
    if (known === undefined && this.agents.size >= this.maxNames) {
      this.caps.add('entity names', 'entities', 'cap');
      return;
    }
    if (known === undefined || host < known) {
      this.agents.set(id, host);
      this.version++;
    }
  }

  /** a user name as an event gave it: a `domain\user` one lets the bare `user` join it */
  observeUser(name: string): void {
    const user = canonicalUser(name);
    if (user !== name.trim().toLowerCase()) return; // a well-known account: already one entity
    const slash = user.indexOf('\\');
    if (slash <= 0 || slash === user.length - 1) return;
    const bare = user.slice(slash + 1);
    let set = this.qualified.get(bare);
    if (!set) {
      if (this.qualified.size >= this.maxNames) {
        this.caps.add('entity names', 'entities', 'cap');
        return;
      }
      this.qualified.set(bare, (set = new Set()));
    }
    // two domains are enough to know the bare name is ambiguous
    if (set.size < 2 && !set.has(user)) {
      set.add(user);
      this.version++;
    }
  }

  /** the canonical name of a risk object of this type (`system`, `user`; others stay as written) */
  canonical(type: string, value: string): string {
    if (type === 'user') {
      const user = canonicalUser(value);
      const domains = user.includes('\\') ? undefined : this.qualified.get(user);
      return domains?.size === 1 ? [...domains][0] : user;
    }
    if (type !== 'system') return value;
    const host = canonicalHost(value);
    return this.agents.get(host) ?? host;
  }

  agentHosts(): Array<[agentId: string, host: string]> {
    return [...this.agents].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /** the domain-qualified user names seen (at most two per bare name: enough to tell ambiguity) */
  qualifiedUsers(): string[] {
    return [...this.qualified.values()].flatMap((s) => [...s]).sort();
  }

  merge(data: { agentHosts?: Array<[string, string]>; users?: string[] }): void {
    for (const [id, host] of data.agentHosts ?? []) this.observeAgent(id, host);
    for (const user of data.users ?? []) this.observeUser(user);
  }
}
