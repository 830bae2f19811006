/** One line of the bench's closing list: a target of an issue, met or not (undefined: not measurable here). */
export interface Target {
  name: string;
  met: boolean | undefined;
  detail: string;
}

export const targets: Target[] = [];

export function target(name: string, met: boolean | undefined, detail: string): void {
  targets.push({ name, met, detail });
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function printTargets(): void {
  process.stdout.write('\ntargets:\n');
  for (const t of targets) process.stdout.write(`  [${t.met === undefined ? 'n/a' : t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.detail}\n`);
  process.stdout.write(`targets: ${targets.filter((t) => t.met).length}/${targets.length} met\n`);
}
