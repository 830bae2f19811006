import type { RawEvent } from '../../sources/source.js';
import { present } from '../values.js';

/** The host a CrowdStrike event happened on: its name when the export carries one, else the agent id. */
export function crowdstrikeHost(raw: RawEvent): string | undefined {
  return present(raw.data.ComputerName) ?? present(raw.data.aid_computer_name) ?? present(raw.data.aid);
}
