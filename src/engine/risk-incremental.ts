import { createHash } from 'node:crypto';
import { objectIncidents, riskObjectKey, sortIncidents, type IncidentOptions, type RiskEvent, type RiskIncident } from './risk.js';

/** An incident that appeared, changed, became final, or no longer exists (its burst merged into another). */
export interface IncidentChange {
  incident_id: string;
  status: 'open' | 'closed' | 'retracted';
  incident: RiskIncident;
}

/** JSON-safe state, for checkpoints */
export interface IncrementalRiskData {
  events: Array<[eventKey: string, event: RiskEvent]>;
  /** risk object key -> the incidents last reported for it (id, JSON) */
  shown: Array<[objectKey: string, incidents: Array<[id: string, json: string]>]>;
}

/**
 * Risk incidents kept up to date as findings appear and change. A finding's risk events replace
 * its previous ones (its lastTime moved, its objects changed); only the risk objects they touch are
 * recomputed, with the batch function itself (`objectIncidents`), so the incidents always equal
 * `riskIncidents` over the same current events. An object whose newest event fell a whole risk
 * window behind the watermark can join no new incident: its incidents are reported final and its
 * events leave memory.
 */
export class IncrementalRisk {
  /** risk object key -> event key -> event */
  private readonly byObject = new Map<string, Map<string, RiskEvent>>();
  /** finding id -> keys of its current events (the ones an update of the finding replaces) */
  private readonly ofFinding = new Map<string, Array<[objectKey: string, eventKey: string]>>();
  /** risk object key -> incident id -> the incident last reported */
  private readonly shown = new Map<string, Map<string, string>>();
  private readonly dirty = new Set<string>();

  constructor(private readonly options: IncidentOptions) {}

  /**
   * The current risk events of a finding. `amendment` (a late update, which holds only the late
   * events) adds to the finding's events instead of replacing them.
   */
  update(findingId: string, events: RiskEvent[], amendment = false): void {
    if (!amendment) {
      for (const [objectKey, eventKey] of this.ofFinding.get(findingId) ?? []) {
        this.byObject.get(objectKey)?.delete(eventKey);
        this.dirty.add(objectKey);
      }
      this.ofFinding.delete(findingId);
    }
    const keys: Array<[string, string]> = [];
    for (const e of events) {
      const objectKey = riskObjectKey(e);
      const eventKey = `${findingId}\u0000${objectKey}${amendment ? `\u0000late\u0000${e._time}` : ''}`;
      let events = this.byObject.get(objectKey);
      if (!events) this.byObject.set(objectKey, (events = new Map()));
      events.set(eventKey, e);
      keys.push([objectKey, eventKey]);
      this.dirty.add(objectKey);
    }
    if (!amendment && keys.length > 0) this.ofFinding.set(findingId, keys);
  }

  /** a finding that will not change again (its window closed): its events stay for incidents, its index entry goes */
  forget(findingId: string): void {
    this.ofFinding.delete(findingId);
  }

  /** Incidents changed since the last call; then objects the watermark left behind, final and freed. */
  changes(watermark = -Infinity): IncidentChange[] {
    const out: IncidentChange[] = [];
    for (const objectKey of this.dirty) out.push(...this.recompute(objectKey, 'open'));
    this.dirty.clear();
    const horizon = watermark - this.options.windowSeconds;
    for (const [objectKey, events] of this.byObject) {
      let newest = -Infinity;
      for (const e of events.values()) if (e._time !== null && e._time > newest) newest = e._time;
      if (events.size > 0 && !(newest < horizon)) continue;
      out.push(...this.recompute(objectKey, 'closed'));
      this.byObject.delete(objectKey);
      this.shown.delete(objectKey);
    }
    return out;
  }

  private recompute(objectKey: string, status: 'open' | 'closed'): IncidentChange[] {
    const events = [...(this.byObject.get(objectKey)?.values() ?? [])];
    const before = this.shown.get(objectKey) ?? new Map<string, string>();
    const now = new Map<string, string>();
    const out: IncidentChange[] = [];
    for (const incident of objectIncidents(events, this.options)) {
      const id = incidentId(incident);
      const text = JSON.stringify(incident);
      now.set(id, text);
      if (status === 'closed' || before.get(id) !== text) out.push({ incident_id: id, status, incident });
    }
    for (const [id, text] of before) if (!now.has(id)) out.push({ incident_id: id, status: 'retracted', incident: JSON.parse(text) as RiskIncident });
    if (now.size > 0) this.shown.set(objectKey, now);
    else this.shown.delete(objectKey);
    return out;
  }

  /** every incident over the events held now, in batch order */
  incidents(): RiskIncident[] {
    return sortIncidents([...this.byObject.values()].flatMap((events) => objectIncidents([...events.values()], this.options)));
  }

  toData(): IncrementalRiskData {
    return {
      events: [...this.byObject.values()].flatMap((m) => [...m]),
      shown: [...this.shown].map(([k, m]) => [k, [...m]]),
    };
  }

  static fromData(data: IncrementalRiskData, options: IncidentOptions): IncrementalRisk {
    const risk = new IncrementalRisk(options);
    for (const [eventKey, event] of data.events) {
      const objectKey = riskObjectKey(event);
      let events = risk.byObject.get(objectKey);
      if (!events) risk.byObject.set(objectKey, (events = new Map()));
      events.set(eventKey, event);
      if (eventKey.includes('\u0000late\u0000')) continue;
      const keys = risk.ofFinding.get(event.finding_id) ?? [];
      keys.push([objectKey, eventKey]);
      risk.ofFinding.set(event.finding_id, keys);
    }
    for (const [objectKey, incidents] of data.shown) risk.shown.set(objectKey, new Map(incidents));
    return risk;
  }
}

/** An incident is one burst of one risk object: named by the object and the burst's first time. */
export function incidentId(incident: Pick<RiskIncident, 'risk_object_type' | 'risk_object' | 'firstTime'>): string {
  return createHash('sha256').update(`${incident.risk_object_type}\u0000${incident.risk_object}\u0000${incident.firstTime}`).digest('hex').slice(0, 32);
}
