import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { testEnv } from './helpers/test-app';

const root = join(__dirname, '..');

/** Starts src/main.ts with exactly this environment (and PATH) and waits for it to stop. */
function start(env: Record<string, string | undefined>) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...env, PATH: process.env.PATH } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('start-up configuration check', () => {
  it('stops with one line naming a missing variable, before connecting to anything', () => {
    const result = start({ ...testEnv(), DATABASE_URL: '' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: DATABASE_URL is required');
  });

  it('in production, stops with one line when an API key printed in the repository is configured', () => {
    const result = start(testEnv({ NODE_ENV: 'production', API_KEYS: 'local-dev-api-key-0123456789' }));
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: API_KEYS holds a sample key printed in the repository; generate your own in production',
    );
  });
});
