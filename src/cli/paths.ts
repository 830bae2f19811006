import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, whether running from dist/src/cli or from a published install (and in the bundle: scripts/bundle.mjs rebases the URL). */
export const packageRoot = fileURLToPath(new URL('../../..', import.meta.url)).replace(/[\\/]$/, '');
export const defaultContentDir = path.join(packageRoot, 'content');
export const defaultDetectionsDir = path.join(defaultContentDir, 'detections');
/** the tuning file a scan reads from the working directory when no --tuning is given */
export const defaultTuningFile = 'tunnelwatch.tuning.yml';
