import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { USER_NOT_ALLOWED_WORDINGS } from '../sandbox/config';
import { messyExternalIds } from '../sandbox/render';
import { connectSandboxUser, pkcePair } from '../sandbox/test-helpers';
import {
  SpotifyAuthRevokedError,
  SpotifyMalformedResponseError,
  SpotifyRateLimitedError,
  SpotifyTransientError,
  SpotifyUserNotAllowedError,
} from '../src/spotify/spotify.errors';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { connect, createUser } from './helpers/spotify-connect';
import { sandboxEnv } from './helpers/sandbox-env';
import { startSpotifyProcess } from './helpers/spotify-process';
import { createTestApp } from './helpers/test-app';

// Spotify's messy answers (SERVICE.md), at the client level, against the sandbox in dirty mode.

/** 22 base-62 characters that do not decode to a 128-bit number: Spotify refuses a batch holding one. */
const UNDECODABLE = 'zzzzzzzzzzzzzzzzzzzzzz';
/** Decodes, but no track has it: Spotify answers null in a batch, 404 alone. */
const UNKNOWN = '0000000000000000000000';

describe.each(['extended', 'development'] as const)("Spotify's messy answers, %s tier (dirty sandbox)", (tier) => {
  let db: TestDatabase;
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(thing: T): T => {
    open.push(thing);
    return thing;
  };
  let n = 0;
  const sandbox = async (dirty: Record<string, unknown> = {}): Promise<RunningSandbox> => {
    const s = track(await startSandbox({ tier, clientId: `messy-${tier}-${++n}`, catalogueSize: 400, dirty: true }));
    if (Object.keys(dirty).length) await s.admin.configure({ dirty });
    return s;
  };

  beforeAll(async () => {
    db = await createMigratedDatabase(`spotify_messy_${tier}`);
  });
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  afterAll(() => db.drop());

  it('a batch with a refused id yields every other track, the refused id with its reason, unknown ids apart; ISRCs normalised', async () => {
    const s = await sandbox();
    const p = track(await startSpotifyProcess(db, s));
    const catalogue = s.catalogue.slice(0, 60);
    const ids = [...catalogue.slice(0, 30).map((t) => t.id), UNDECODABLE, UNKNOWN, ...catalogue.slice(30).map((t) => t.id), 'not-an-id'];

    const outcome = await p.client.getTrackOutcomes(ids);

    expect([...outcome.found.keys()].sort()).toEqual(catalogue.map((t) => t.id).sort());
    expect(outcome.unknown).toEqual([UNKNOWN]);
    expect([...outcome.refused.keys()].sort()).toEqual(['not-an-id', UNDECODABLE].sort());
    expect(outcome.refused.get(UNDECODABLE)).toBe('Spotify refused the id (400: invalid id)');
    for (const t of catalogue) {
      const sent = messyExternalIds(t).isrc;
      // hyphens, spaces and case are repaired; junk is dropped (and counted), never passed on
      expect(outcome.found.get(t.id)!.isrc).toBe(sent === 'N/A' ? null : t.external_ids.isrc);
    }
    expect(outcome.dropped.isrc).toBe(catalogue.filter((t) => messyExternalIds(t).isrc === 'N/A').length);
    expect(catalogue.some((t) => (messyExternalIds(t).isrc as string).includes('-'))).toBe(true);
    // the legacy map: the refused id is null, not an error for the whole batch
    const legacy = await p.client.getTracks([catalogue[0].id, UNDECODABLE]);
    expect(legacy.get(catalogue[0].id)?.id).toBe(catalogue[0].id);
    expect(legacy.get(UNDECODABLE)).toBeNull();
  });

  it('audio features: a refused id is isolated the same way (extended), or the capability is unavailable (development)', async () => {
    const s = await sandbox();
    const p = track(await startSpotifyProcess(db, s));
    const ids = [...s.catalogue.slice(0, 20).map((t) => t.id), UNDECODABLE];
    const outcome = await p.client.getAudioFeatureOutcomes(ids);
    if (tier === 'development') {
      expect(outcome.available).toBe(false);
      return;
    }
    if (!outcome.available) throw new Error('expected audio features');
    expect(outcome.found.size).toBe(20);
    expect(outcome.refused.get(UNDECODABLE)).toContain('invalid id');
    expect(outcome.found.get(ids[0])!.danceability).toBe(s.catalogue[0].audio_features.danceability);
  });

  it('a 200 that is not JSON (HTML, cut-off) is retried, then a transient error with the reason; never "no tracks"', async () => {
    const s = await sandbox({ malformedEveryN: 5 });
    const p = track(await startSpotifyProcess(db, s, { SPOTIFY_MAX_ATTEMPTS: '3' }));
    const ids = s.catalogue.slice(0, 8).map((t) => t.id);
    // every fifth answer is broken: retries get every track anyway
    const outcome = await p.client.getTrackOutcomes(ids);
    expect(outcome.found.size).toBe(8);
    expect(outcome.unknown).toEqual([]);

    await s.admin.reset();
    await s.admin.configure({ dirty: { malformedEveryN: 1 } });
    const error = await p.client.getTrackOutcomes(ids.slice(0, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyMalformedResponseError);
    expect(error).toBeInstanceOf(SpotifyTransientError);
    expect((error as SpotifyMalformedResponseError).retryable).toBe(true);
    expect((error as SpotifyMalformedResponseError).reason).toMatch(/not JSON|expected/);
    expect((await s.admin.counters()).total).toBe(3);
  });

  it('a removed endpoint (404) on audio features means the capability is unavailable, and it is not asked again', async () => {
    const s = await sandbox({ removedEndpoints: ['/v1/audio-features'] });
    const p = track(await startSpotifyProcess(db, s));
    const ids = s.catalogue.slice(0, 5).map((t) => t.id);
    await expect(p.client.getAudioFeatureOutcomes(ids)).resolves.toMatchObject({ available: false });
    expect((await p.capabilities.report()).available.audioFeatures).toBe(false);
    const before = (await s.admin.counters()).byEndpoint['GET /v1/audio-features'] ?? 0;
    await expect(p.client.getAudioFeatures(ids)).resolves.toMatchObject({ available: false });
    expect((await s.admin.counters()).byEndpoint['GET /v1/audio-features'] ?? 0).toBe(before);
  });

  it('a huge Retry-After is capped: the pause is SPOTIFY_MAX_RETRY_AFTER_S, reported at GET /v1/spotify/capabilities and in /metrics', async () => {
    const s = await sandbox();
    const t = track(await createTestApp(`messy_cap_${tier}`, sandboxEnv(s, { APP_ROLE: 'api', SPOTIFY_MAX_RETRY_AFTER_S: '30' }), db));
    const { SpotifyClient } = await import('../src/spotify/spotify.client');
    await s.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: 31_536_000 } });

    const error = await t.app.get(SpotifyClient).getTrackOutcomes([s.catalogue[0].id]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpotifyRateLimitedError);
    expect(error).toMatchObject({ capped: true, retryAfterMs: 30_000, requestedMs: 31_536_000_000 });
    expect((error as Error).message).toContain('capped by SPOTIFY_MAX_RETRY_AFTER_S');

    const { body } = await t.api().get('/v1/spotify/capabilities').expect(200);
    expect(body.pause).toMatchObject({ reason: 'retry_after_capped', requestedSeconds: 31_536_000, cappedSeconds: 30 });
    const until = new Date(body.pause.until).getTime();
    expect(until).toBeGreaterThan(Date.now() + 20_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 31_000);
    // a later call is refused from the shared pause, still saying it was capped
    const again = await t.app.get(SpotifyClient).getTrackOutcomes([s.catalogue[1].id]).catch((e: unknown) => e);
    expect(again).toMatchObject({ capped: true });
    const metrics = (await t.metricsHttp().get('/metrics').expect(200)).text;
    expect(metrics).toContain('spotify_retry_after_capped_total 1');
  });

  it('a long pause mid-call can hand back what was fetched before it (keepPartialOnRateLimit), and what is still pending', async () => {
    const s = await sandbox({ malformedEveryN: 0 });
    const p = track(await startSpotifyProcess(db, s));
    const ids = s.catalogue.slice(0, 120).map((t) => t.id);
    await s.admin.configure({ rateLimit: { everyN: 3, retryAfterSeconds: 60 } });
    const outcome = await p.client.getTrackOutcomes(ids, { keepPartialOnRateLimit: true });
    expect(outcome.interrupted?.error).toBeInstanceOf(SpotifyRateLimitedError);
    expect(outcome.found.size).toBeGreaterThan(0);
    expect(outcome.interrupted!.pending.length).toBeGreaterThan(0);
    expect([...outcome.found.keys(), ...outcome.interrupted!.pending].sort()).toEqual([...ids].sort());
    for (const [id, found] of outcome.found) expect(found.id).toBe(id);
    // without the option the pause is thrown, as before
    await expect(p.client.getTrackOutcomes(ids)).rejects.toBeInstanceOf(SpotifyRateLimitedError);
  });

  it('saved tracks: pages by Spotify offsets whatever items hold; null and local items are counted; total is only a claim', async () => {
    const s = await sandbox();
    const p = track(await startSpotifyProcess(db, s));
    const saved = s.catalogue.slice(100, 130).map((t) => t.id);
    await s.admin.setLibrary('messy-lib', saved);
    const tokens = await connectSandboxUser(s, { userId: 'messy-lib' });
    const seen: string[] = [];
    const skipped = { nullTrack: 0, localFile: 0 };
    let raw = 0;
    let offset = 0;
    for (let pages = 0; pages < 20; pages++) {
      const page = await p.client.getSavedTracks(tokens.access_token, { offset, limit: 10 });
      expect(page.offset).toBe(offset);
      seen.push(...page.items.map((i) => i.track.id));
      skipped.nullTrack += page.skipped.nullTrack;
      skipped.localFile += page.skipped.localFile;
      raw += page.rawCount;
      expect(page.total).toBe(30 + 4 + 2 + 7);
      if (!page.next) break;
      offset += page.rawCount;
    }
    expect(seen).toEqual(saved);
    expect(skipped).toEqual({ nullTrack: 4, localFile: 2 });
    expect(raw).toBe(36);
  });

  it('token endpoint: a 5xx is retried for client credentials, not for a single-use code', async () => {
    const s = await sandbox();
    const p = track(await startSpotifyProcess(db, s));
    await s.admin.configure({ tokenServerErrors: { count: 2, status: 502 } });
    await expect(p.accounts.getAppAccessToken()).resolves.toEqual(expect.any(String));
    expect((await s.admin.counters()).byEndpoint['POST /api/token client_credentials']).toBe(3);

    const { verifier, challenge } = pkcePair();
    const redirectUri = 'http://127.0.0.1:3000/auth/spotify/callback/';
    const url = new URL(`${s.accountsBaseUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: s.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'user-library-read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      sandbox_user: 'code-user',
    }).toString();
    const code = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    await s.admin.configure({ tokenServerErrors: { count: 1, status: 503 } });
    await expect(p.accounts.exchangeAuthorizationCode({ code, redirectUri, codeVerifier: verifier })).rejects.toBeInstanceOf(SpotifyTransientError);
    expect((await s.admin.counters()).byEndpoint['POST /api/token authorization_code']).toBe(1);
    // the trailing slash is sent as given: the sandbox, like Spotify, compares redirect URIs exactly
    await expect(p.accounts.exchangeAuthorizationCode({ code, redirectUri, codeVerifier: verifier })).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
  });

  it('invalid_grant right after token-endpoint 5xx is confirmed once after a short delay; without an outage it is final at once', async () => {
    const s = await sandbox();
    const p = track(await startSpotifyProcess(db, s));
    const tokens = await connectSandboxUser(s, { userId: 'outage-user' });
    await s.admin.configure({ tokenServerErrors: { count: 1, status: 503, thenInvalidGrant: 1 } });
    await expect(p.accounts.refreshUserToken(tokens.refresh_token)).resolves.toMatchObject({ accessToken: expect.any(String) });
    // 503, spurious invalid_grant, then the confirming request
    expect((await s.admin.counters()).byEndpoint['POST /api/token refresh_token']).toBe(3);

    const fresh = track(await startSpotifyProcess(db, s));
    await s.admin.revokeUser('outage-user');
    await expect(fresh.accounts.refreshUserToken(tokens.refresh_token)).rejects.toBeInstanceOf(SpotifyAuthRevokedError);
    expect((await s.admin.counters()).byEndpoint['POST /api/token refresh_token']).toBe(4);
  });

  if (tier === 'extended') {
    it('SPOTIFY_REDIRECT_URI with a trailing slash is sent exactly, in the authorize URL and the code exchange', async () => {
      const s = await sandbox();
      const redirectUri = 'http://127.0.0.1:3000/auth/spotify/callback/';
      const t = track(await createTestApp('messy_redirect', sandboxEnv(s, { APP_ROLE: 'api', SPOTIFY_REDIRECT_URI: redirectUri }), db));
      const userId = await createUser(t);
      const { body } = await t.api().post(`/v1/users/${userId}/spotify/authorize`).expect(200);
      expect(new URL(body.authorizeUrl).searchParams.get('redirect_uri')).toBe(redirectUri);
      // the sandbox refuses a code exchanged with another redirect URI than the authorize request's
      const answer = await connect(t, await createUser(t), 'slash-user');
      expect(answer.status).toBe(200);
    });
  }

  if (tier === 'development') {
    it.each(USER_NOT_ALLOWED_WORDINGS.map((w) => [w]))('"user not allowed" is recognised by a 403 on /me, whatever the wording: %j', async (wording) => {
      const s = await sandbox();
      const p = track(await startSpotifyProcess(db, s));
      const tokens = await connectSandboxUser(s, { userId: 'outsider' });
      await s.admin.configure({ devModeAllowedUsers: ['someone-else'], userNotAllowedMessage: wording });
      await expect(p.client.getCurrentUser(tokens.access_token)).rejects.toBeInstanceOf(SpotifyUserNotAllowedError);
    });

    it('the connect callback answers user_not_allowed for each wording', async () => {
      const s = await sandbox();
      const t = track(await createTestApp('messy_callback', sandboxEnv(s, { APP_ROLE: 'api' }), db));
      await s.admin.configure({ devModeAllowedUsers: ['someone-else'] });
      for (const wording of USER_NOT_ALLOWED_WORDINGS) {
        await s.admin.configure({ userNotAllowedMessage: wording });
        const userId = await createUser(t);
        const answer = await connect(t, userId, 'outsider');
        expect(answer.status).toBe(403);
        expect(answer.body.message).toContain('development mode');
      }
    });
  }
});
