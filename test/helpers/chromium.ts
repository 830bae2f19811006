import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from './paths.js';

/** Debian's Chromium: `.ci/run` installs it where it is missing. */
export const chromiumPath = '/usr/bin/chromium';

/** Where browser tests leave their screenshots (kept after the run, not in git). */
export const artefactsDir = path.join(repoRoot, 'test-artifacts');

/**
 * A skip reason where there is no browser; false where the tests must run. With CI=true a missing
 * browser is a failure, not a skip: the tests run and fail at launch, saying why.
 */
export const chromiumMissing: string | false =
  existsSync(chromiumPath) || process.env.CI === 'true' ? false : `${chromiumPath} absent: browser tests need Debian's chromium (apt-get install chromium)`;

/**
 * Headless Chromium as the brief asks: no sandbox (containers), no GPU, no background networking,
 * component updates, first-run or sync. Playwright gives each launch a fresh temporary profile
 * (user-data-dir) and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing and CI=true: install Debian's chromium (see .ci/run)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export function artefactPath(name: string): string {
  mkdirSync(artefactsDir, { recursive: true });
  return path.join(artefactsDir, name);
}
