import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { pkcePair } from '../sandbox/test-helpers';
import {
  SpotifyAuthRevokedError,
  SpotifyBadRequestError,
  SpotifyUnauthorizedError,
  SpotifyUserNotAllowedError,
} from '../src/spotify/spotify.errors';
import { matchTrack } from '../src/spotify/track-matcher';
import { createMigratedDatabase, query, TestDatabase } from './helpers/database';
import { SpotifyProcess, startSpotifyProcess } from './helpers/spotify-process';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/spotify/callback';

/** Each scenario has its own sandbox and client id, so capabilities learnt in one never leak into another. */
async function sandboxFor(tier: 'extended' | 'development', clientId: string): Promise<RunningSandbox> {
  return startSandbox({ tier, clientId, catalogueSize: 1_500 });
}

describe('Spotify client against the sandbox', () => {
  let db: TestDatabase;
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(thing: T): T => {
    open.push(thing);
    return thing;
  };

  beforeAll(async () => {
    db = await createMigratedDatabase('spotify_client');
  });
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  afterAll(() => db.drop());

  it('extended tier: 1,000 songs take 20 track batches + 10 audio-feature batches, and the tier is learnt', async () => {
    const sandbox = track(await sandboxFor('extended', 'client-extended'));
    const p = track(await startSpotifyProcess(db, sandbox));
    const ids = sandbox.catalogue.slice(0, 1_000).map((t) => t.id);

    const tracks = await p.client.getTracks(ids);
    const features = await p.client.getAudioFeatures(ids);

    expect(tracks.size).toBe(1_000);
    const first = tracks.get(ids[0])!;
    const expected = sandbox.catalogue[0];
    expect(first).toMatchObject({
      id: expected.id,
      name: expected.name,
      durationMs: expected.duration_ms,
      isrc: expected.external_ids.isrc,
      popularity: expected.popularity,
      externalUrl: expected.external_urls.spotify,
    });
    expect([...tracks.values()].every((t) => t !== null && typeof t.popularity === 'number')).toBe(true);
    expect(features.available).toBe(true);
    if (!features.available) return;
    expect(features.features.size).toBe(1_000);
    expect(features.features.get(ids[0])).toMatchObject({
      speechiness: expected.audio_features.speechiness,
      liveness: expected.audio_features.liveness,
      loudness: expected.audio_features.loudness,
    });

    const counters = await sandbox.admin.counters();
    expect(counters.byEndpoint).toEqual({
      'POST /api/token client_credentials': 1,
      'GET /v1/tracks': 20,
      'GET /v1/audio-features': 10,
    });
    expect(await p.capabilities.report()).toMatchObject({
      tier: 'extended',
      learnedAt: expect.any(Date),
      available: { batchTracks: true, popularity: true, audioFeatures: true, previewUrls: true },
    });
  });

  it('development tier: one track a request, audio features unavailable, each forbidden endpoint probed once, remembered across a restart', async () => {
    const sandbox = track(await sandboxFor('development', 'client-development'));
    const ids = sandbox.catalogue.slice(0, 1_000).map((t) => t.id);
    const first = track(await startSpotifyProcess(db, sandbox));

    const tracks = await first.client.getTracks(ids);
    const features = await first.client.getAudioFeatures(ids);

    expect(tracks.size).toBe(1_000);
    expect([...tracks.values()].every((t) => t !== null && t.popularity === null && t.previewUrl === null && t.isrc)).toBe(true);
    expect(features).toEqual({ available: false, reason: expect.stringContaining('access tier') });
    let counters = await sandbox.admin.counters();
    // 1,000 useful requests; the two probes answered 403 are the only waste.
    expect(counters.byEndpoint).toEqual({
      'POST /api/token client_credentials': 1,
      'GET /v1/tracks': 1,
      'GET /v1/tracks/{id}': 1_000,
      'GET /v1/audio-features': 1,
    });

    // The same process never asks again.
    await first.client.getTracks(ids.slice(0, 3));
    await expect(first.client.getAudioFeatures(ids.slice(0, 3))).resolves.toMatchObject({ available: false });
    counters = await sandbox.admin.counters();
    expect(counters.byEndpoint['GET /v1/tracks']).toBe(1);
    expect(counters.byEndpoint['GET /v1/audio-features']).toBe(1);

    const stored = await query(db.url, `SELECT capability, available FROM spotify_capabilities WHERE client_id = 'client-development' ORDER BY capability`);
    expect(stored).toEqual([
      { capability: 'audio_features', available: false },
      { capability: 'batch_tracks', available: false },
      { capability: 'popularity', available: false },
      { capability: 'preview_urls', available: false },
    ]);

    // A restart (a new process on the same database) knows it without asking.
    await first.close();
    open.splice(open.indexOf(first), 1);
    await sandbox.admin.reset();
    const restarted = track(await startSpotifyProcess(db, sandbox));
    await restarted.client.getTracks(ids.slice(0, 100));
    await expect(restarted.client.getAudioFeatures(ids.slice(0, 100))).resolves.toMatchObject({ available: false });
    expect((await sandbox.admin.counters()).byEndpoint).toEqual({
      'POST /api/token client_credentials': 1,
      'GET /v1/tracks/{id}': 100,
    });
    expect(await restarted.capabilities.report()).toMatchObject({
      tier: 'development',
      available: { batchTracks: false, popularity: false, audioFeatures: false, previewUrls: false },
    });

    // After the re-check interval, exactly one of two processes probes again; the others keep the stored answer.
    await query(db.url, `UPDATE spotify_capabilities SET checked_at = checked_at - interval '25 hours' WHERE client_id = 'client-development'`);
    const other = track(await startSpotifyProcess(db, sandbox));
    await sandbox.admin.reset();
    await Promise.all([restarted.client.getTracks(ids.slice(0, 2)), other.client.getTracks(ids.slice(2, 4))]);
    await Promise.all([restarted.client.getTracks(ids.slice(0, 2)), other.client.getTracks(ids.slice(2, 4))]);
    expect((await sandbox.admin.counters()).byEndpoint['GET /v1/tracks']).toBe(1);
  });

  it('concurrent first calls in one process wait for a single probe of each forbidden endpoint', async () => {
    const sandbox = track(await sandboxFor('development', 'client-concurrent-probe'));
    const p = track(await startSpotifyProcess(db, sandbox));
    const ids = sandbox.catalogue.slice(0, 12).map((t) => t.id);
    const results = await Promise.all([
      ...[0, 2, 4, 6, 8, 10].map((i) => p.client.getTracks(ids.slice(i, i + 2))),
      ...[0, 4, 8].map((i) => p.client.getAudioFeatures(ids.slice(i, i + 4))),
    ]);
    expect(results.slice(0, 6).every((map) => [...(map as Map<string, unknown>).values()].every((t) => t !== null))).toBe(true);
    expect(results.slice(6)).toEqual([0, 1, 2].map(() => expect.objectContaining({ available: false })));
    expect((await sandbox.admin.counters()).byEndpoint).toMatchObject({ 'GET /v1/tracks': 1, 'GET /v1/audio-features': 1, 'GET /v1/tracks/{id}': 12 });
  });

  it('an explicit tier fixes the capabilities: no probe at all', async () => {
    const sandbox = track(await sandboxFor('development', 'client-explicit'));
    const p = track(await startSpotifyProcess(db, sandbox, { SPOTIFY_ACCESS_TIER: 'development' }));
    const ids = sandbox.catalogue.slice(0, 20).map((t) => t.id);
    await p.client.getTracks(ids);
    await expect(p.client.getAudioFeatures(ids)).resolves.toMatchObject({ available: false });
    expect((await sandbox.admin.counters()).byEndpoint).toEqual({
      'POST /api/token client_credentials': 1,
      'GET /v1/tracks/{id}': 20,
    });
    expect(await p.capabilities.report()).toEqual({
      tier: 'development',
      learnedAt: null,
      available: { batchTracks: false, popularity: false, audioFeatures: false, previewUrls: false },
      pause: null,
    });
  });

  it('concurrent demand for the app token makes one client-credentials request', async () => {
    const sandbox = track(await sandboxFor('extended', 'client-token'));
    const p = track(await startSpotifyProcess(db, sandbox));
    const ids = sandbox.catalogue.slice(0, 25).map((t) => t.id);
    const tracks = await Promise.all(ids.map((id) => p.client.getTrack(id)));
    expect(tracks.every((t) => t !== null)).toBe(true);
    await p.client.searchTracks('love');
    expect((await sandbox.admin.counters()).byEndpoint['POST /api/token client_credentials']).toBe(1);
  });

  it('unknown ids are null per item; malformed ids are never sent', async () => {
    const sandbox = track(await sandboxFor('extended', 'client-ids'));
    const p = track(await startSpotifyProcess(db, sandbox));
    const known = sandbox.catalogue[0].id;
    const unknown = '0000000000000000000000';
    const malformed = ['nope', `${known}x`, 'spotify:track:' + known, '!!!!!!!!!!!!!!!!!!!!!!'];

    const tracks = await p.client.getTracks([known, unknown, ...malformed, known]);
    expect([...tracks.keys()]).toEqual([known, unknown, ...malformed]);
    expect(tracks.get(known)?.id).toBe(known);
    expect([unknown, ...malformed].map((id) => tracks.get(id))).toEqual([null, null, null, null, null]);
    // One batch, and Spotify accepted it: a malformed id would have made it a 400.
    const log = (await sandbox.admin.requests()).filter((r) => r.endpoint.startsWith('GET /v1'));
    expect(log.map((r) => [r.endpoint, r.status])).toEqual([['GET /v1/tracks', 200]]);

    await expect(p.client.getTracks(malformed)).resolves.toEqual(new Map(malformed.map((id) => [id, null])));
    await expect(p.client.getTrack('nope')).resolves.toBeNull();
    expect((await sandbox.admin.counters()).byEndpoint['GET /v1/tracks']).toBe(1);

    // One by one: a 404 is "unknown", not a failure.
    await sandbox.admin.configure({ tier: 'development' });
    const dev = track(await startSpotifyProcess(db, sandbox, { SPOTIFY_ACCESS_TIER: 'development' }));
    const single = await dev.client.getTracks([known, unknown]);
    expect(single.get(known)?.id).toBe(known);
    expect(single.get(unknown)).toBeNull();
    const statuses = (await sandbox.admin.requests()).filter((r) => r.endpoint === 'GET /v1/tracks/{id}').map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 404]);
  });

  it('search: limit within the tier maximum, ISRC search', async () => {
    const sandbox = track(await sandboxFor('development', 'client-search'));
    const p = track(await startSpotifyProcess(db, sandbox));
    // Unknown tier: the safe maximum of 10 (more would be a 400 in development mode).
    const found = await p.client.searchTracks('the', { limit: 50 });
    expect(found.length).toBe(10);
    const target = sandbox.catalogue[0];
    const byIsrc = await p.client.searchByIsrc(target.external_ids.isrc.toLowerCase());
    expect(byIsrc.map((t) => t.id)).toContain(target.id);
    expect(byIsrc.every((t) => t.isrc === target.external_ids.isrc)).toBe(true);

    const extendedSandbox = track(await sandboxFor('extended', 'client-search-ext'));
    const ext = track(await startSpotifyProcess(db, extendedSandbox, { SPOTIFY_ACCESS_TIER: 'extended' }));
    expect((await ext.client.searchTracks('the', { limit: 50 })).length).toBe(50);
    expect((await ext.client.searchTracks('the', { limit: 500 })).length).toBe(50);
  });

  it('matches catalogue songs to the right recording, past their live, karaoke and sped-up versions', async () => {
    const sandbox = track(await sandboxFor('development', 'client-match'));
    const p = track(await startSpotifyProcess(db, sandbox));
    const byId = new Map(sandbox.catalogue.map((t) => [t.id, t]));
    const originals = sandbox.catalogue.filter((t) => t.variant === null && sandbox.catalogue.some((v) => v.variant?.of === t.id)).slice(0, 8);
    expect(originals.length).toBe(8);
    for (const original of originals) {
      const song = { title: original.name, artist: original.artists[0].name, durationMs: original.duration_ms };
      const bySearch = await matchTrack(song, p.client);
      expect(bySearch).toMatchObject({ matched: true, via: 'search' });
      if (!bySearch.matched) continue;
      expect(['live', 'live-at', 'karaoke', 'sped-up']).not.toContain(byId.get(bySearch.track.id)?.variant?.kind);

      const byIsrc = await matchTrack({ ...song, isrc: original.external_ids.isrc }, p.client);
      expect(byIsrc).toMatchObject({ matched: true, via: 'isrc', track: { isrc: original.external_ids.isrc } });
    }
  });

  describe('user tokens', () => {
    async function authorize(sandbox: RunningSandbox, userId: string, scope = 'user-library-read user-read-private') {
      const { verifier, challenge } = pkcePair();
      const url = new URL(`${sandbox.accountsBaseUrl}/authorize`);
      url.search = new URLSearchParams({
        client_id: sandbox.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        sandbox_user: userId,
      }).toString();
      const consent = await fetch(url, { redirect: 'manual' });
      const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
      return { code, codeVerifier: verifier, redirectUri: REDIRECT_URI };
    }

    it('exchanges a code with PKCE, reads /me and saved tracks, refreshes with and without rotation', async () => {
      const sandbox = track(await sandboxFor('extended', 'client-users'));
      const p = track(await startSpotifyProcess(db, sandbox));
      const grant = await authorize(sandbox, 'alice');

      const tokens = await p.accounts.exchangeAuthorizationCode(grant);
      expect(tokens).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: expect.any(Date), scope: 'user-library-read user-read-private' });
      expect(Math.abs(tokens.expiresAt.getTime() - Date.now() - 3_600_000)).toBeLessThan(5_000);
      const reused = p.accounts.exchangeAuthorizationCode(grant);
      await expect(reused).rejects.toBeInstanceOf(SpotifyBadRequestError);
      await expect(reused).rejects.toMatchObject({ oauthError: 'invalid_grant' });

      await expect(p.client.getCurrentUser(tokens.accessToken)).resolves.toMatchObject({ id: 'alice', displayName: 'Alice', country: 'SE' });
      const page1 = await p.client.getSavedTracks(tokens.accessToken, { offset: 0 });
      expect(page1).toMatchObject({ total: 120, offset: 0, limit: 50, next: expect.any(String) });
      expect(page1.items).toHaveLength(50);
      expect(page1.items[0]).toEqual({ addedAt: expect.any(Date), track: expect.objectContaining({ id: expect.any(String) }) });
      const last = await p.client.getSavedTracks(tokens.accessToken, { offset: 100, limit: 50 });
      expect(last.items).toHaveLength(20);
      expect(last.next).toBeNull();

      const refreshed = await p.accounts.refreshUserToken(tokens.refreshToken);
      expect(refreshed.refreshToken).toBeUndefined();
      expect(refreshed.accessToken).not.toBe(tokens.accessToken);
      await sandbox.admin.configure({ rotateRefreshTokens: true });
      const rotated = await p.accounts.refreshUserToken(tokens.refreshToken);
      expect(rotated.refreshToken).toEqual(expect.any(String));
      expect(rotated.refreshToken).not.toBe(tokens.refreshToken);

      await sandbox.admin.expireAccessTokens('alice');
      await expect(p.client.getCurrentUser(rotated.accessToken)).rejects.toBeInstanceOf(SpotifyUnauthorizedError);

      await sandbox.admin.revokeUser('alice');
      await expect(p.accounts.refreshUserToken(rotated.refreshToken!)).rejects.toBeInstanceOf(SpotifyAuthRevokedError);
      expect((await sandbox.admin.counters()).byEndpoint['POST /api/token refresh_token']).toBe(3);
    });

    it('development tier: a user outside the allowed five gets SpotifyUserNotAllowedError; user calls teach nothing about the tier', async () => {
      const sandbox = track(await sandboxFor('development', 'client-users-dev'));
      const p = track(await startSpotifyProcess(db, sandbox));
      const tokens = await p.accounts.exchangeAuthorizationCode(await authorize(sandbox, 'bob'));
      const page = await p.client.getSavedTracks(tokens.accessToken);
      expect(page.items[0].track.popularity).toBeNull();
      expect((await p.capabilities.report()).available).toEqual({ batchTracks: null, popularity: null, audioFeatures: null, previewUrls: null });

      await sandbox.admin.configure({ devModeAllowedUsers: ['someone-else'] });
      await expect(p.client.getCurrentUser(tokens.accessToken)).rejects.toBeInstanceOf(SpotifyUserNotAllowedError);
    });
  });
});
