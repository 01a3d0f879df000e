import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { TokenCipher } from '../src/crypto/token-cipher.service';
import { sandboxEnv } from './helpers/sandbox-env';
import { connect, connectionRows, consent, consentAttempt, createUser, openToken } from './helpers/spotify-connect';
import { createTestApp, TestApp } from './helpers/test-app';

describe('Spotify connection (through the sandbox)', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;
  let cipher: TokenCipher;
  /** every body the service answered, to prove no token ever left it */
  const bodies: string[] = [];
  const record = <R extends { text: string; headers: Record<string, string> }>(res: R): R => {
    bodies.push(res.text ?? '', res.headers.location ?? '');
    return res;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, tier: 'extended' });
    t = await createTestApp('spotify_connect', sandboxEnv(sandbox));
    cipher = new TokenCipher(t.config);
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });
  afterEach(() => sandbox.admin.reset());

  it('builds an authorize URL with a fresh state and an S256 PKCE challenge', async () => {
    const userId = await createUser(t);
    const before = Date.now();
    const { body } = record(await t.api().post(`/v1/users/${userId}/spotify/authorize`).expect(200));
    const url = new URL(body.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.accountsBaseUrl}/authorize`);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe(sandbox.clientId);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(t.config.spotify.redirectUri);
    expect(q.get('scope')?.split(' ')).toContain('user-library-read');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // the consent screen every time, even for a returning Spotify user (issue 11, finding 4)
    expect(q.get('show_dialog')).toBe('true');
    expect(body.attemptId).toMatch(/^[0-9a-f-]{36}$/);
    const ttl = new Date(body.expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1_000);

    const again = await t.api().post(`/v1/users/${userId}/spotify/authorize`).expect(200);
    expect(new URL(again.body.authorizeUrl).searchParams.get('state')).not.toBe(q.get('state'));
    expect(again.body.attemptId).not.toBe(body.attemptId);
    await t.api().post(`/v1/users/${randomUUID()}/spotify/authorize`).expect(404);
    await t.http().post(`/v1/users/${userId}/spotify/authorize`).expect(401);
  });

  it('connects: code exchange with PKCE, profile, both tokens stored encrypted, status readable', async () => {
    const userId = await createUser(t);
    const res = record(await connect(t, userId, 'sb-ada'));
    expect(res.status).toBe(200);
    // one code exchange and one profile read, both through the service's Spotify client
    expect((await sandbox.admin.counters()).byEndpoint).toMatchObject({
      'POST /api/token authorization_code': 1,
      'GET /v1/me': 1,
    });
    expect(res.body).toMatchObject({
      status: 'connected',
      userId,
      connection: { connected: true, spotifyUserId: 'sb-ada', status: 'active', scope: 'user-library-read' },
    });

    const [row] = await connectionRows(t, userId);
    expect(row.access_token.startsWith('v2.k1.')).toBe(true);
    expect(row.refresh_token.startsWith('v2.k1.')).toBe(true);
    const accessToken = openToken(cipher, row, 'access_token');
    const refreshToken = openToken(cipher, row, 'refresh_token');
    expect(accessToken.length).toBeGreaterThan(20);
    // the decrypted token is Spotify's: it works at the sandbox
    const me = await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(((await me.json()) as { id: string }).id).toBe('sb-ada');
    // no plaintext anywhere in the table
    const everything = JSON.stringify(await connectionRows(t));
    expect(everything).not.toContain(accessToken);
    expect(everything).not.toContain(refreshToken);

    const status = record(await t.api().get(`/v1/users/${userId}/spotify`).expect(200));
    expect(status.body).toEqual({
      connected: true,
      spotifyUserId: 'sb-ada',
      scope: 'user-library-read',
      tokenExpiresAt: expect.any(String),
      status: 'active',
      statusReason: null,
      reauthorizeBy: expect.any(String),
    });
    const expiresIn = new Date(status.body.tokenExpiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    const authorizedAt = row.authorized_at.getTime();
    expect(Math.abs(authorizedAt - Date.now())).toBeLessThan(60_000);
    const reauthorizeBy = new Date(status.body.reauthorizeBy);
    const days = (reauthorizeBy.getTime() - authorizedAt) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(180);
    expect(days).toBeLessThanOrEqual(184);

    for (const body of bodies) {
      expect(body).not.toContain(accessToken);
      expect(body).not.toContain(refreshToken);
    }
  });

  it('refuses a replayed callback and keeps the connection it made', async () => {
    const userId = await createUser(t);
    const callback = await consent(t, userId, { spotifyUserId: 'sb-replay' });
    record(await t.http().get(callback).expect(200));
    const [before] = await connectionRows(t, userId);
    const replay = record(await t.http().get(callback).expect(400));
    expect(replay.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(replay.body.message).toMatch(/state is unknown, expired or already used/);
    expect(await connectionRows(t, userId)).toEqual([before]);
  });

  it('refuses a forged state, and a callback without code or state, storing nothing', async () => {
    const userId = await createUser(t);
    const callback = new URL(await consent(t, userId, { spotifyUserId: 'sb-forged' }), 'http://x');
    const code = callback.searchParams.get('code') ?? '';
    const forged = record(
      await t.http().get(`/auth/spotify/callback?code=${code}&state=${randomBytes(32).toString('base64url')}`).expect(400),
    );
    expect(forged.body.message).toMatch(/state/);
    record(await t.http().get(`/auth/spotify/callback?code=${code}&state=not-a-state`).expect(400));
    record(await t.http().get('/auth/spotify/callback').expect(400));
    record(await t.http().get(`/auth/spotify/callback?code=${code}`).expect(400));
    expect(await connectionRows(t, userId)).toEqual([]);
    const byTraffic = (await sandbox.admin.counters()).byEndpoint;
    expect(byTraffic['POST /api/token authorization_code'] ?? 0).toBe(0);
  });

  it('answers a denied consent clearly, stores nothing, and burns the state', async () => {
    const userId = await createUser(t);
    const callback = await consent(t, userId, { spotifyUserId: 'sb-denies', deny: true });
    expect(callback).toContain('error=access_denied');
    const res = record(await t.http().get(callback).expect(403));
    expect(res.body).toMatchObject({ statusCode: 403, message: expect.stringMatching(/denied access/) });
    expect(await connectionRows(t, userId)).toEqual([]);
    // the denied attempt's state cannot be completed later with another code
    const deniedState = new URL(callback, 'http://x').searchParams.get('state');
    const code = new URL(await consent(t, userId, { spotifyUserId: 'sb-denies' }), 'http://x').searchParams.get('code');
    record(await t.http().get(`/auth/spotify/callback?code=${code}&state=${deniedState}`).expect(400));
    expect(await connectionRows(t, userId)).toEqual([]);
  });

  it('refuses a Spotify account already linked to another user with 409, storing nothing', async () => {
    const first = await createUser(t);
    const second = await createUser(t);
    record(await connect(t, first, 'sb-shared'));
    const [before] = await connectionRows(t, first);
    const res = record(await connect(t, second, 'sb-shared'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ statusCode: 409, message: expect.stringMatching(/already connected to another user/) });
    expect(await connectionRows(t, second)).toEqual([]);
    expect(await connectionRows(t, first)).toEqual([before]);
    expect((await t.api().get(`/v1/users/${second}/spotify`).expect(200)).body).toEqual({ connected: false });
  });

  it('tells a Spotify account not admitted to a development-mode app why, storing nothing', async () => {
    await sandbox.admin.configure({ tier: 'development', devModeAllowedUsers: ['sb-someone-else'] });
    const userId = await createUser(t);
    const res = record(await connect(t, userId, 'sb-not-allowed'));
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/development mode/);
    expect(res.body.message).toMatch(/at most 5/);
    expect(await connectionRows(t, userId)).toEqual([]);
  });

  it('answers 502 when Spotify is down, storing nothing', async () => {
    await sandbox.admin.configure({ serverErrors: { count: 50, status: 503 } });
    const userId = await createUser(t);
    const res = record(await connect(t, userId, 'sb-outage'));
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/Spotify is not answering/);
    expect(await connectionRows(t, userId)).toEqual([]);
  });

  it('reconnecting replaces the tokens and the consent time', async () => {
    const userId = await createUser(t);
    record(await connect(t, userId, 'sb-again'));
    const [first] = await connectionRows(t, userId);
    record(await connect(t, userId, 'sb-again').then((r) => (expect(r.status).toBe(200), r)));
    const rows = await connectionRows(t, userId);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(first.id);
    expect(openToken(cipher, rows[0], 'access_token')).not.toBe(openToken(cipher, first, 'access_token'));
    expect(openToken(cipher, rows[0], 'refresh_token')).not.toBe(openToken(cipher, first, 'refresh_token'));
    expect(rows[0].authorized_at.getTime()).toBeGreaterThanOrEqual(first.authorized_at.getTime());
  });

  it('reads { connected: false } for a user who never connected, and 404 for an unknown user', async () => {
    const userId = await createUser(t);
    expect((await t.api().get(`/v1/users/${userId}/spotify`).expect(200)).body).toEqual({ connected: false });
    await t.api().get(`/v1/users/${randomUUID()}/spotify`).expect(404);
    await t.api().delete(`/v1/users/${randomUUID()}/spotify`).expect(404);
    await t.api().get('/v1/users/nope/spotify').expect(400);
  });

  it('disconnects (204, tokens deleted), and deleting the user removes the connection', async () => {
    const a = await createUser(t);
    record(await connect(t, a, 'sb-leaves'));
    await t.api().delete(`/v1/users/${a}/spotify`).expect(204);
    expect(await connectionRows(t, a)).toEqual([]);
    expect((await t.api().get(`/v1/users/${a}/spotify`).expect(200)).body).toEqual({ connected: false });
    await t.api().delete(`/v1/users/${a}/spotify`).expect(204);

    const b = await createUser(t);
    record(await connect(t, b, 'sb-deleted'));
    await t.api().delete(`/v1/users/${b}`).expect(204);
    expect(await connectionRows(t, b)).toEqual([]);
    // the Spotify account is free again for someone else
    const c = await createUser(t);
    expect((await connect(t, c, 'sb-deleted')).status).toBe(200);
  });
});

describe('Spotify connection with SPOTIFY_CONNECT_RETURN_URL', () => {
  let sandbox: RunningSandbox;
  let t: TestApp;
  const secret = 'return-secret-0123456789abcdefghijklmnop';
  const base = 'https://app.example.com/settings/spotify?tab=1';

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    t = await createTestApp(
      'spotify_return',
      sandboxEnv(sandbox, { SPOTIFY_CONNECT_RETURN_URL: base, SPOTIFY_CONNECT_RETURN_SECRET: secret }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  /** What the calling service does on return: check the signature, then compare with its session. */
  const verified = (location: string) => {
    const url = new URL(location);
    const q = url.searchParams;
    const expected = createHmac('sha256', secret).update(`${q.get('status')}.${q.get('userId')}.${q.get('attempt')}`).digest('base64url');
    expect(q.get('signature')).toBe(expected);
    expect(`${url.origin}${url.pathname}?tab=${q.get('tab')}`).toBe(base);
    return { status: q.get('status'), userId: q.get('userId'), attempt: q.get('attempt'), reason: q.get('reason') };
  };

  it('sends the browser back with status, userId, attempt and a signature the caller can check', async () => {
    const userId = await createUser(t);
    const { callback, attemptId } = await consentAttempt(t, userId, { spotifyUserId: 'sb-browser' });
    const ok = await t.http().get(callback).expect(302);
    expect(verified(ok.headers.location)).toEqual({ status: 'connected', userId, attempt: attemptId, reason: null });
    expect([...new URL(ok.headers.location).searchParams.keys()]).toEqual(['tab', 'status', 'userId', 'attempt', 'signature']);

    const replay = await t.http().get(callback).expect(302);
    expect(verified(replay.headers.location)).toEqual({ status: 'error', userId: '', attempt: '', reason: 'invalid_state' });

    const other = await createUser(t);
    const linkedAttempt = await consentAttempt(t, other, { spotifyUserId: 'sb-browser' });
    const linked = await t.http().get(linkedAttempt.callback).expect(302);
    expect(verified(linked.headers.location)).toEqual({ status: 'error', userId: other, attempt: linkedAttempt.attemptId, reason: 'already_linked' });
    const deniedAttempt = await consentAttempt(t, other, { spotifyUserId: 'sb-x', deny: true });
    const denied = await t.http().get(deniedAttempt.callback).expect(302);
    expect(verified(denied.headers.location)).toEqual({ status: 'error', userId: other, attempt: deniedAttempt.attemptId, reason: 'access_denied' });
  });

  it("lets the caller catch a victim finishing an attacker's flow: the return names the attacker's user and attempt", async () => {
    const attacker = await createUser(t);
    const victim = await createUser(t);
    const victimAttempt = (await t.api().post(`/v1/users/${victim}/spotify/authorize`).expect(200)).body.attemptId;
    // the victim's browser completes the authorize URL the attacker started
    const { callback, attemptId } = await consentAttempt(t, attacker, { spotifyUserId: 'sb-victim-account' });
    const back = verified((await t.http().get(callback).expect(302)).headers.location);
    expect(back.status).toBe('connected');
    // the victim's session holds victim + victimAttempt: both differ, so the caller refuses and disconnects
    expect(back.userId).toBe(attacker);
    expect(back.userId).not.toBe(victim);
    expect(back.attempt).toBe(attemptId);
    expect(back.attempt).not.toBe(victimAttempt);
    await t.api().delete(`/v1/users/${back.userId}/spotify`).expect(204);
    expect((await t.api().get(`/v1/users/${attacker}/spotify`).expect(200)).body.connected).toBe(false);
  });

  it('a forged return (changed userId or attempt) fails the signature check', async () => {
    const userId = await createUser(t);
    const { callback } = await consentAttempt(t, userId, { spotifyUserId: 'sb-forge' });
    const url = new URL((await t.http().get(callback).expect(302)).headers.location);
    url.searchParams.set('userId', randomUUID());
    const q = url.searchParams;
    const recomputed = createHmac('sha256', secret).update(`${q.get('status')}.${q.get('userId')}.${q.get('attempt')}`).digest('base64url');
    expect(q.get('signature')).not.toBe(recomputed);
  });
});
