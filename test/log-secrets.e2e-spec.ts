import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { parseEnv } from '../src/config/app-config';
import { TokenCipher } from '../src/crypto/token-cipher.service';
import { ChildApp, startChildApp } from './helpers/child-app';
import { query } from './helpers/database';
import { freePort } from './helpers/free-port';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { openToken } from './helpers/spotify-connect';
import { FAST_JOBS_ENV } from './helpers/sync-jobs';
import { API_KEY, testEnv } from './helpers/test-app';

/**
 * The real process, JSON logs at debug level, through a full connect + library import + sync:
 * no token, authorization code, client secret or API key may appear in what it printed.
 */
describe('log output', () => {
  let sandbox: RunningSandbox;
  let db: TestDatabase;
  let app: ChildApp;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'extended', catalogueSize: 500, clientId: 'log-secrets', clientSecret: 'log-secrets-client-secret-123' });
    db = await createMigratedDatabase('log_secrets');
    env = testEnv({ ...sandboxEnv(sandbox), ...FAST_JOBS_ENV, DATABASE_URL: db.url, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', NODE_ENV: 'production' });
    const port = await freePort();
    env.SPOTIFY_REDIRECT_URI = `http://127.0.0.1:${port}/auth/spotify/callback`;
    app = await startChildApp(['node', '-r', 'ts-node/register/transpile-only', 'src/main.ts'], env, { port, timeoutMs: 60_000 });
  });
  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await db.drop();
    await sandbox.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };

  it('never contains a secret, and carries request and job ids as JSON', async () => {
    const user = await call('POST', '/v1/users', {});
    const { body } = await call('POST', `/v1/users/${user.body.id}/spotify/authorize`);
    const consent = new URL(String(body.authorizeUrl));
    consent.searchParams.set('sandbox_user', 'log-listener');
    const redirect = await fetch(consent, { redirect: 'manual' });
    const callback = new URL(redirect.headers.get('location')!);
    const code = callback.searchParams.get('code')!;
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(200);

    const job = await call('POST', '/v1/sync-jobs', { type: 'user_library', targetId: user.body.id });
    for (let i = 0; i < 100; i++) {
      const state = await call('GET', `/v1/sync-jobs/${job.body.id}`);
      if (state.body.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await sandbox.admin.expireAccessTokens('log-listener'); // the next import refreshes the token
    await query(db.url, 'DELETE FROM spotify_saved_tracks');
    const again = await call('POST', '/v1/sync-jobs', { type: 'user_library', targetId: user.body.id });
    for (let i = 0; i < 100; i++) {
      if ((await call('GET', `/v1/sync-jobs/${again.body.id}`)).body.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await call('GET', `/v1/sync-jobs/${again.body.id}`)).body.status).toBe('completed');

    const cipher = new TokenCipher(parseEnv(env));
    const [row] = await query<{ user_id: string; access_token: string; refresh_token: string }>(db.url, 'SELECT user_id, access_token, refresh_token FROM spotify_connections');
    const secrets = [openToken(cipher, row, 'access_token'), openToken(cipher, row, 'refresh_token'), code, 'log-secrets-client-secret-123', API_KEY];
    const output = app.output();
    expect(output.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(output).not.toContain(secret);

    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((r) => r.jobId === job.body.id)).toBe(true);
    expect(records.some((r) => (r.req as { id?: string } | undefined)?.id)).toBe(true);
  }, 120_000);
});
