import { randomBytes } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { SpotifyNotConnectedError, SpotifyReauthRequiredError } from '../src/connections/spotify-connection.errors';
import { reencryptTokens } from '../src/connections/reencrypt-tokens.command';
import { SpotifyTokenService } from '../src/connections/spotify-token.service';
import { parseEnv } from '../src/config/app-config';
import { TokenCipher } from '../src/crypto/token-cipher.service';
import { withClient } from './helpers/database';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, connectionRows, createUser, expireStoredToken, openToken } from './helpers/spotify-connect';
import { createTestApp, TestApp, testEnv } from './helpers/test-app';

const REFRESH = 'POST /api/token refresh_token';

describe('SpotifyTokenService (through the sandbox)', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;
  /** a second instance of the service on the same database: another process, as far as locking goes */
  let other: TestApp;
  let tokens: SpotifyTokenService;
  let otherTokens: SpotifyTokenService;
  let cipher: TokenCipher;
  const oldKey = `k1:${randomBytes(32).toString('base64')}`;

  const refreshCalls = async () => (await sandbox.admin.counters()).byEndpoint[REFRESH] ?? 0;
  const spotifyMe = async (accessToken: string) => {
    const res = await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    return res.status;
  };
  const connected = async (spotifyUserId: string) => {
    const userId = await createUser(t);
    expect((await connect(t, userId, spotifyUserId)).status).toBe(200);
    return userId;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    const env = sandboxEnv(sandbox, { TOKEN_ENCRYPTION_KEYS: oldKey });
    t = await createTestApp('spotify_tokens', env);
    other = await createTestApp('spotify_tokens_b', env, t.db);
    tokens = t.app.get(SpotifyTokenService);
    otherTokens = other.app.get(SpotifyTokenService);
    cipher = new TokenCipher(t.config);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await sandbox?.close();
  });
  afterEach(() => sandbox.admin.reset());

  it('hands out the stored token while it is fresh, without calling Spotify', async () => {
    const userId = await connected('sb-fresh');
    const [row] = await connectionRows(t, userId);
    expect(await tokens.getUserAccessToken(userId)).toBe(openToken(cipher, row, 'access_token'));
    expect(await refreshCalls()).toBe(0);
  });

  it('20 concurrent requests for an expired token, from two processes, cause exactly one refresh', async () => {
    const userId = await connected('sb-crowd');
    const [before] = await connectionRows(t, userId);
    await sandbox.admin.expireAccessTokens('sb-crowd');
    await expireStoredToken(t, userId);

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? otherTokens : tokens).getUserAccessToken(userId)),
    );
    expect(await refreshCalls()).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).not.toBe(openToken(cipher, before, 'access_token'));
    expect(await spotifyMe(results[0])).toBe(200);
    const [after] = await connectionRows(t, userId);
    expect(openToken(cipher, after, 'access_token')).toBe(results[0]);
    expect(after.token_expires_at.getTime()).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('with rotation on: stores each new refresh token before the access token is used, and the next refresh works', async () => {
    await sandbox.admin.configure({ rotateRefreshTokens: true });
    const userId = await connected('sb-rotating');
    const [first] = await connectionRows(t, userId);
    await expireStoredToken(t, userId);
    const access1 = await tokens.getUserAccessToken(userId);
    const [second] = await connectionRows(t, userId);
    expect(openToken(cipher, second, 'refresh_token')).not.toBe(openToken(cipher, first, 'refresh_token'));
    expect(await spotifyMe(access1)).toBe(200);

    // the first refresh token is spent; only the stored rotated one can refresh again
    await expireStoredToken(t, userId);
    const access2 = await otherTokens.getUserAccessToken(userId);
    expect(access2).not.toBe(access1);
    const [third] = await connectionRows(t, userId);
    expect(openToken(cipher, third, 'refresh_token')).not.toBe(openToken(cipher, second, 'refresh_token'));
    expect(third.status).toBe('active');
    expect(await refreshCalls()).toBe(2);
  });

  it('with rotation off: keeps the refresh token it has', async () => {
    const userId = await connected('sb-steady');
    const [before] = await connectionRows(t, userId);
    await expireStoredToken(t, userId);
    const access = await tokens.getUserAccessToken(userId);
    const [after] = await connectionRows(t, userId);
    expect(openToken(cipher, after, 'refresh_token')).toBe(openToken(cipher, before, 'refresh_token'));
    expect(access).not.toBe(openToken(cipher, before, 'access_token'));
    expect(await spotifyMe(access)).toBe(200);
  });

  it('after a 401, concurrent callers holding the rejected token share one forced refresh', async () => {
    const userId = await connected('sb-unauthorized');
    const rejected = await tokens.getUserAccessToken(userId);
    await sandbox.admin.expireAccessTokens('sb-unauthorized');
    expect(await spotifyMe(rejected)).toBe(401);

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? otherTokens : tokens).refreshAfterUnauthorized(userId, rejected)),
    );
    expect(new Set(results).size).toBe(1);
    expect(results[0]).not.toBe(rejected);
    expect(await spotifyMe(results[0])).toBe(200);
    expect(await refreshCalls()).toBe(1);
    // and the fresh token is then simply handed out
    expect(await tokens.getUserAccessToken(userId)).toBe(results[0]);
  });

  it('a revoked refresh token marks the connection needs_reauth once, discards the tokens, and is never retried', async () => {
    const userId = await connected('sb-revoked');
    await sandbox.admin.revokeUser('sb-revoked');
    await expireStoredToken(t, userId);

    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.getUserAccessToken(userId)));
    for (const attempt of attempts) {
      expect(attempt.status).toBe('rejected');
      expect((attempt as PromiseRejectedResult).reason).toBeInstanceOf(SpotifyReauthRequiredError);
    }
    expect(await refreshCalls()).toBe(1);

    const [row] = await connectionRows(t, userId);
    expect(row.status).toBe('needs_reauth');
    expect(row.status_reason).toMatch(/revoked/i);
    expect(openToken(cipher, row, 'access_token')).toBe('');
    expect(openToken(cipher, row, 'refresh_token')).toBe('');

    // no retry loop: later callers are told at once, from the database
    await expect(otherTokens.getUserAccessToken(userId)).rejects.toBeInstanceOf(SpotifyReauthRequiredError);
    await expect(tokens.refreshAfterUnauthorized(userId, 'whatever')).rejects.toBeInstanceOf(SpotifyReauthRequiredError);
    expect(await refreshCalls()).toBe(1);

    const { body } = await t.api().get(`/v1/users/${userId}/spotify`).expect(200);
    expect(body).toMatchObject({ connected: true, status: 'needs_reauth', tokenExpiresAt: null, spotifyUserId: 'sb-revoked' });
    expect(body.statusReason).toMatch(/revoked/i);

    // reconnecting makes it active again
    await sandbox.admin.configure({ revokedUsers: [] });
    expect((await connect(t, userId, 'sb-revoked')).status).toBe(200);
    expect((await t.api().get(`/v1/users/${userId}/spotify`).expect(200)).body).toMatchObject({ status: 'active', statusReason: null });
    expect(await spotifyMe(await tokens.getUserAccessToken(userId))).toBe(200);
  });

  it('says when a user has no connection', async () => {
    const userId = await createUser(t);
    await expect(tokens.getUserAccessToken(userId)).rejects.toBeInstanceOf(SpotifyNotConnectedError);
  });

  it('key rotation: re-encrypts every token under the new key in batches, idempotently; then the new key alone suffices', async () => {
    const userIds = [await connected('sb-rot-1'), await connected('sb-rot-2'), await connected('sb-rot-3')];
    const plaintextBefore = new Map(
      (await connectionRows(t)).map((row) => [row.id, [openToken(cipher, row, 'access_token'), openToken(cipher, row, 'refresh_token')]]),
    );
    const newKey = `k2:${randomBytes(32).toString('base64')}`;
    const rotated = parseEnv(testEnv({ DATABASE_URL: t.db.url, TOKEN_ENCRYPTION_KEYS: `${newKey},${oldKey}` }));

    const report = await reencryptTokens(rotated, 2);
    expect(report.failed).toEqual([]);
    expect(report.scanned).toBe(plaintextBefore.size);
    expect(report.reencrypted).toBe(plaintextBefore.size);

    const again = await reencryptTokens(rotated, 2);
    expect(again).toEqual({ scanned: plaintextBefore.size, reencrypted: 0, encryptedPlaintext: 0, failed: [] });

    const newOnly = new TokenCipher(parseEnv(testEnv({ TOKEN_ENCRYPTION_KEYS: newKey })));
    for (const row of await connectionRows(t)) {
      expect(row.access_token.startsWith('v2.k2.')).toBe(true);
      expect(row.refresh_token.startsWith('v2.k2.')).toBe(true);
      expect([openToken(newOnly, row, 'access_token'), openToken(newOnly, row, 'refresh_token')]).toEqual(plaintextBefore.get(row.id));
    }

    // a service holding only the new key reads and refreshes them
    const fresh = await createTestApp('spotify_tokens_k2', sandboxEnv(sandbox, { TOKEN_ENCRYPTION_KEYS: newKey }), t.db);
    try {
      const service = fresh.app.get(SpotifyTokenService);
      expect(await spotifyMe(await service.getUserAccessToken(userIds[0]))).toBe(200);
      await expireStoredToken(t, userIds[1]);
      expect(await spotifyMe(await service.getUserAccessToken(userIds[1]))).toBe(200);
      const [refreshed] = await connectionRows(t, userIds[1]);
      expect(refreshed.access_token.startsWith('v2.k2.')).toBe(true);
    } finally {
      await fresh.close();
    }
    // while the old key alone can no longer read them
    await expect(tokens.getUserAccessToken(userIds[2])).rejects.toThrow('key id "k2" is not in TOKEN_ENCRYPTION_KEYS');
  });

  it('re-encrypt encrypts plaintext left from before encryption, and reports what it cannot read', async () => {
    await withClient(t.db.url, (pg) => pg.query('DELETE FROM spotify_connections')); // the previous test left rows under k2
    const [plainUser, lostUser] = [await createUser(t), await createUser(t)];
    const lostKey = new TokenCipher({ encryptionKeys: [{ id: 'gone', key: randomBytes(32) }] });
    await withClient(t.db.url, async (pg) => {
      await pg.query(
        `INSERT INTO spotify_connections (user_id, spotify_user_id, access_token, refresh_token, token_expires_at, scope)
         VALUES ($1, 'sb-legacy', 'legacy-access', 'legacy-refresh', now(), ''),
                ($2, 'sb-lost', $3, $4, now(), '')`,
        [plainUser, lostUser, lostKey.encrypt('a', { table: 'spotify_connections', column: 'access_token', rowKey: lostUser }), lostKey.encrypt('b', { table: 'spotify_connections', column: 'refresh_token', rowKey: lostUser })],
      );
    });
    const current = parseEnv(testEnv({ DATABASE_URL: t.db.url, TOKEN_ENCRYPTION_KEYS: oldKey }));
    const report = await reencryptTokens(current);
    expect(report.encryptedPlaintext).toBe(1);
    expect(report.failed).toEqual([{ connectionId: expect.any(String), reason: expect.stringContaining('"gone"') }]);
    const [legacy] = await connectionRows(t, plainUser);
    expect(openToken(cipher, legacy, 'access_token')).toBe('legacy-access');
    expect(openToken(cipher, legacy, 'refresh_token')).toBe('legacy-refresh');
  });
});
