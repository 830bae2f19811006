import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

const ngrokLine = readFileSync(path.join(repoRoot, 'examples', 'windows-sysmon.xml'), 'utf8')
  .split('\n')
  .find((l) => l.includes('config add-authtoken') && l.includes('<EventID>1</EventID>'));
if (!ngrokLine) throw new Error('examples/windows-sysmon.xml lost its ngrok process-creation event');
const AUTHTOKEN = /add-authtoken [A-Za-z0-9_]+/g;

/**
 * The real ngrok process-creation event of examples/windows-sysmon.xml with the authtoken replaced
 * by `marker` (so a test's events form a finding of their own) and its own record id: events with
 * the same marker fall into one finding whose count is the number of distinct events.
 */
export function ngrokEvent(marker: string, recordId: number): string {
  return ngrokLine!.replace(AUTHTOKEN, `add-authtoken ${marker}`).replace(/<EventRecordID>\d+<\/EventRecordID>/, `<EventRecordID>${recordId}</EventRecordID>`);
}
