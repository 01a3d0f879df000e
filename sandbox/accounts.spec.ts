import { RunningSandbox, startSandbox } from './sandbox-server';
import { basicAuth, connectSandboxUser, pkcePair, requestToken } from './test-helpers';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/spotify/callback';

describe('sandbox Accounts service', () => {
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ catalogueSize: 500 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.admin.reset());

  function authorizeUrl(params: Record<string, string>): string {
    const base = { client_id: sandbox.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, state: 'xyz', scope: 'user-library-read' };
    return `${sandbox.accountsBaseUrl}/authorize?${new URLSearchParams({ ...base, ...params })}`;
  }

  async function authorize(params: Record<string, string> = {}): Promise<{ status: number; location: URL | null; body: string }> {
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    const location = response.headers.get('location');
    return { status: response.status, location: location ? new URL(location) : null, body: await response.text() };
  }

  async function userIdOf(accessToken: string): Promise<string> {
    const response = await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    return ((await response.json()) as { id: string }).id;
  }

  async function refresh(refreshToken: string) {
    return requestToken(sandbox, { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  describe('GET /authorize', () => {
    it('auto-approves and redirects back with a code and the state', async () => {
      const { status, location } = await authorize();
      expect(status).toBe(302);
      expect(`${location!.origin}${location!.pathname}`).toBe(REDIRECT_URI);
      expect(location!.searchParams.get('code')).toEqual(expect.any(String));
      expect(location!.searchParams.get('state')).toBe('xyz');
    });

    it.each([
      ['an unknown client_id', { client_id: 'nope' }, 'invalid_client'],
      ['a missing redirect_uri', { redirect_uri: '' }, 'invalid_request'],
      ['a localhost redirect_uri (refused since 2025-11-27)', { redirect_uri: 'http://localhost:3000/cb' }, 'invalid_client'],
      ['response_type=token (implicit grant is gone)', { response_type: 'token' }, 'unsupported_response_type'],
      ['a plain code_challenge_method', { code_challenge: 'abc', code_challenge_method: 'plain' }, 'invalid_request'],
      ['an unknown scope', { scope: 'user-library-read user-read-everything' }, 'invalid_scope'],
    ])('answers 400 for %s', async (_, params, error) => {
      const { status, body } = await authorize(params);
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({ error });
    });

    it('accepts https and loopback IPv6 redirect URIs', async () => {
      expect((await authorize({ redirect_uri: 'https://app.example.com/cb' })).status).toBe(302);
      expect((await authorize({ redirect_uri: 'http://[::1]:8080/cb' })).status).toBe(302);
    });

    it('denies with error=access_denied on sandbox_deny=1 or once after denyNextAuthorize', async () => {
      const byQuery = await authorize({ sandbox_deny: '1' });
      expect(byQuery.location!.searchParams.get('error')).toBe('access_denied');
      expect(byQuery.location!.searchParams.get('state')).toBe('xyz');
      expect(byQuery.location!.searchParams.has('code')).toBe(false);

      await sandbox.admin.configure({ denyNextAuthorize: true });
      expect((await authorize()).location!.searchParams.get('error')).toBe('access_denied');
      expect((await authorize()).location!.searchParams.has('code')).toBe(true);
    });

    it('picks the consenting user from sandbox_user, then nextAuthorizeUser (once), then sandbox-user-1', async () => {
      expect(await userIdOf((await connectSandboxUser(sandbox, { userId: 'alice' })).access_token)).toBe('alice');
      await sandbox.admin.configure({ nextAuthorizeUser: 'bob' });
      expect(await userIdOf((await connectSandboxUser(sandbox)).access_token)).toBe('bob');
      expect(await userIdOf((await connectSandboxUser(sandbox)).access_token)).toBe('sandbox-user-1');
    });

    it('records each consent time', async () => {
      const before = Date.now();
      await connectSandboxUser(sandbox, { userId: 'consent-user' });
      const { consents } = await sandbox.admin.user('consent-user');
      expect(consents).toHaveLength(1);
      expect(consents[0]).toBeGreaterThanOrEqual(before);
    });
  });

  describe('POST /api/token client authentication', () => {
    async function post(headers: Record<string, string>, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
      const response = await fetch(`${sandbox.accountsBaseUrl}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form).toString(),
      });
      return { status: response.status, body: await response.json() };
    }

    it('accepts Basic credentials or client_id/client_secret in the body', async () => {
      expect((await post({ authorization: basicAuth(sandbox) }, { grant_type: 'client_credentials' })).status).toBe(200);
      const inBody = { grant_type: 'client_credentials', client_id: sandbox.clientId, client_secret: sandbox.clientSecret };
      const { status, body } = await post({}, inBody);
      expect(status).toBe(200);
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    });

    it('answers 401 invalid_client for a wrong secret or unknown client', async () => {
      const wrong = basicAuth({ ...sandbox, clientSecret: 'wrong' });
      expect(await post({ authorization: wrong }, { grant_type: 'client_credentials' })).toEqual({
        status: 401,
        body: expect.objectContaining({ error: 'invalid_client' }),
      });
      const unknown = { grant_type: 'client_credentials', client_id: 'other', client_secret: sandbox.clientSecret };
      expect((await post({}, unknown)).status).toBe(401);
      expect((await post({}, { grant_type: 'client_credentials' })).status).toBe(401);
    });

    it('rejects a JSON body and an unknown grant type', async () => {
      const json = await fetch(`${sandbox.accountsBaseUrl}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(json.status).toBe(400);
      expect((await requestToken(sandbox, { grant_type: 'password' })).body).toMatchObject({ error: 'unsupported_grant_type' });
    });

    it('issues access tokens with the configured lifetime', async () => {
      await sandbox.admin.configure({ accessTokenTtlSeconds: 120 });
      expect((await requestToken(sandbox, { grant_type: 'client_credentials' })).body.expires_in).toBe(120);
    });
  });

  describe('authorization_code grant with PKCE', () => {
    async function codeFor(challenge: string): Promise<string> {
      const { location } = await authorize({ code_challenge: challenge, code_challenge_method: 'S256', scope: 'user-library-read user-read-email' });
      return location!.searchParams.get('code')!;
    }

    it('exchanges a code for an access token, a refresh token and the granted scope', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(challenge);
      const { status, body } = await requestToken(sandbox, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
      expect(status).toBe(200);
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        scope: 'user-library-read user-read-email',
        expires_in: 3600,
        refresh_token: expect.any(String),
      });
    });

    it('refuses a wrong verifier, a missing verifier and a different redirect_uri', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(challenge);
      const exchange = (form: Record<string, string>) => requestToken(sandbox, { grant_type: 'authorization_code', code, ...form });
      expect(await exchange({ redirect_uri: REDIRECT_URI, code_verifier: pkcePair().verifier })).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'code_verifier was incorrect' },
      });
      expect((await exchange({ redirect_uri: REDIRECT_URI })).body).toMatchObject({ error: 'invalid_grant' });
      expect((await exchange({ redirect_uri: 'http://127.0.0.1:3000/other', code_verifier: verifier })).body).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid redirect URI',
      });
      // None of the failures used the code up.
      expect((await exchange({ redirect_uri: REDIRECT_URI, code_verifier: verifier })).status).toBe(200);
    });

    it('makes codes single-use', async () => {
      const { verifier, challenge } = pkcePair();
      const form = { grant_type: 'authorization_code', code: await codeFor(challenge), redirect_uri: REDIRECT_URI, code_verifier: verifier };
      expect((await requestToken(sandbox, form)).status).toBe(200);
      expect(await requestToken(sandbox, form)).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Invalid authorization code' },
      });
    });

    it('expires codes after 10 minutes', async () => {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(challenge);
      const now = Date.now();
      const spy = jest.spyOn(Date, 'now').mockReturnValue(now + 10 * 60 * 1000 + 1);
      try {
        const { body } = await requestToken(sandbox, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
        expect(body).toEqual({ error: 'invalid_grant', error_description: 'Authorization code expired' });
      } finally {
        spy.mockRestore();
      }
    });

    it('issues a fresh refresh token for every consent', async () => {
      const first = await connectSandboxUser(sandbox, { userId: 'carol' });
      const second = await connectSandboxUser(sandbox, { userId: 'carol' });
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect((await refresh(first.refresh_token)).status).toBe(200);
      expect((await refresh(second.refresh_token)).status).toBe(200);
    });
  });

  describe('refresh_token grant', () => {
    it('without rotation: returns a new access token and no refresh token; the old one keeps working', async () => {
      const tokens = await connectSandboxUser(sandbox, { userId: 'dave' });
      const { status, body } = await refresh(tokens.refresh_token);
      expect(status).toBe(200);
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', scope: tokens.scope, expires_in: 3600 });
      expect(body.access_token).not.toBe(tokens.access_token);
      expect(await userIdOf(body.access_token as string)).toBe('dave');
      expect((await refresh(tokens.refresh_token)).status).toBe(200);
    });

    it('with rotation: returns a new refresh token and the old one becomes invalid', async () => {
      await sandbox.admin.configure({ rotateRefreshTokens: true });
      const tokens = await connectSandboxUser(sandbox, { userId: 'erin' });
      const first = await refresh(tokens.refresh_token);
      expect(first.body.refresh_token).toEqual(expect.any(String));
      expect(await refresh(tokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } });
      expect((await refresh(first.body.refresh_token as string)).status).toBe(200);
    });

    it('refuses an unknown refresh token', async () => {
      expect((await refresh('not-a-token')).body).toEqual({ error: 'invalid_grant', error_description: 'Invalid refresh token' });
    });

    it('revoking a user kills their refresh and access tokens; a new consent works again', async () => {
      const tokens = await connectSandboxUser(sandbox, { userId: 'frank' });
      await sandbox.admin.revokeUser('frank');
      expect(await refresh(tokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token revoked' } });
      const me = await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual({ error: { status: 401, message: 'Invalid access token' } });

      const again = await connectSandboxUser(sandbox, { userId: 'frank' });
      expect((await refresh(again.refresh_token)).status).toBe(200);
    });

    it('refuses every token of a user listed in revokedUsers while listed', async () => {
      const tokens = await connectSandboxUser(sandbox, { userId: 'gina' });
      await sandbox.admin.configure({ revokedUsers: ['gina'] });
      expect((await refresh(tokens.refresh_token)).body).toEqual({ error: 'invalid_grant', error_description: 'Refresh token revoked' });
      await sandbox.admin.configure({ revokedUsers: [] });
      expect((await refresh(tokens.refresh_token)).status).toBe(200);
    });

    it('expires refresh tokens refreshTokenMaxAgeSeconds after the consent, however often refreshed', async () => {
      await sandbox.admin.configure({ rotateRefreshTokens: true });
      const tokens = await connectSandboxUser(sandbox, { userId: 'hank' });
      const rotated = (await refresh(tokens.refresh_token)).body.refresh_token as string;
      await sandbox.admin.configure({ refreshTokenMaxAgeSeconds: 0 });
      expect(await refresh(rotated)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token expired' } });
    });

    it('defaults the refresh token limit to about six months', async () => {
      const { refreshTokenMaxAgeSeconds } = await sandbox.admin.getConfig();
      expect(refreshTokenMaxAgeSeconds / 86_400).toBeGreaterThanOrEqual(181);
      expect(refreshTokenMaxAgeSeconds / 86_400).toBeLessThanOrEqual(184);
    });
  });

  describe('access tokens', () => {
    it('expire after their lifetime and on admin request', async () => {
      const tokens = await connectSandboxUser(sandbox, { userId: 'ivy' });
      await sandbox.admin.expireAccessTokens('ivy');
      const me = await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual({ error: { status: 401, message: 'The access token expired' } });

      await sandbox.admin.configure({ accessTokenTtlSeconds: 0 });
      const fresh = (await refresh(tokens.refresh_token)).body.access_token as string;
      expect((await fetch(`${sandbox.apiBaseUrl}/me`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(401);
    });
  });
});
