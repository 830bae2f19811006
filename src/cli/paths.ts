import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, whether running from dist/src/cli or from a published install. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const defaultContentDir = path.join(packageRoot, 'content');
export const defaultDetectionsDir = path.join(defaultContentDir, 'detections');
/** the tuning file a scan reads from the working directory when no --tuning is given */
export const defaultTuningFile = 'tunnelwatch.tuning.yml';
