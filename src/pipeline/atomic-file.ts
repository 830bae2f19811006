import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Written beside, flushed to disk, then renamed over the old one: a crash leaves the old or the new content, whole. */
export function writeFileAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}
