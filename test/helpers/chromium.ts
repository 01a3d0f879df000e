import { accessSync, constants } from 'node:fs';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type BrowserDecision = { kind: 'run' } | { kind: 'skip'; line: string } | { kind: 'fail'; reason: string };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Browser tests run where Chromium is installed. Elsewhere they are skipped with one line saying
 * how to get it, except under CI (CI=true), where a missing browser fails instead: CI installs it.
 */
export function chromiumDecision(
  path = CHROMIUM,
  env: Record<string, string | undefined> = process.env,
  executable: (path: string) => boolean = isExecutable,
): BrowserDecision {
  if (executable(path)) return { kind: 'run' };
  const how = `install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
  if (env.CI === 'true') return { kind: 'fail', reason: `CI=true but no Chromium at ${path}: ${how}` };
  return { kind: 'skip', line: `Skipping the Swagger UI browser test: no Chromium at ${path}; to run it, ${how}\n` };
}
