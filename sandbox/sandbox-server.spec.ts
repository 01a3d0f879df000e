import { findVariants, SandboxTrack } from './catalogue';
import { RunningSandbox, startSandbox } from './sandbox-server';
import { connectSandboxUser, sandboxAppToken } from './test-helpers';

interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function get(sandbox: RunningSandbox, path: string, token?: string): Promise<ApiResponse> {
  const response = await fetch(`${sandbox.apiBaseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const SPOTIFY_ERROR = (status: number, message: string) => ({ error: { status, message } });

describe('sandbox Web API', () => {
  let sandbox: RunningSandbox;
  let appToken: string;
  let userToken: string;
  let track: SandboxTrack;

  beforeAll(async () => {
    sandbox = await startSandbox();
    appToken = await sandboxAppToken(sandbox);
    userToken = (await connectSandboxUser(sandbox, { userId: 'web-user', scope: 'user-library-read user-read-private user-read-email' })).access_token;
    track = sandbox.catalogue[0];
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.admin.reset());

  it('exposes its URLs, the client credentials and the catalogue', () => {
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    expect(sandbox.apiBaseUrl).toBe(`${sandbox.url}/v1`);
    expect(sandbox.accountsBaseUrl).toBe(sandbox.url);
    expect(sandbox.clientId).toBe('sandbox-client-id');
    expect(sandbox.catalogue).toHaveLength(10_000);
  });

  describe('access tokens', () => {
    it('answers 401 without a token and for an unknown one, 400 for a non-bearer header', async () => {
      expect(await get(sandbox, `/tracks/${track.id}`)).toMatchObject({ status: 401, body: SPOTIFY_ERROR(401, 'No token provided') });
      expect(await get(sandbox, `/tracks/${track.id}`, 'forged')).toMatchObject({ status: 401, body: SPOTIFY_ERROR(401, 'Invalid access token') });
      const basic = await fetch(`${sandbox.apiBaseUrl}/tracks/${track.id}`, { headers: { authorization: 'Basic abc' } });
      expect(basic.status).toBe(400);
    });

    it('answers 404 "Service not found" for endpoints the sandbox (or Spotify) does not have', async () => {
      expect(await get(sandbox, '/recommendations?seed_tracks=x', appToken)).toMatchObject({ status: 404, body: SPOTIFY_ERROR(404, 'Service not found') });
    });
  });

  describe('GET /v1/me', () => {
    it('returns the user, with email/country/product per scope in the extended tier', async () => {
      const { status, body } = await get(sandbox, '/me', userToken);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        id: 'web-user',
        display_name: 'Web User',
        type: 'user',
        uri: 'spotify:user:web-user',
        external_urls: { spotify: 'https://open.spotify.com/user/web-user' },
        email: 'web-user@sandbox.invalid',
        country: expect.any(String),
        product: 'premium',
      });
    });

    it('refuses an app token: no user behind it', async () => {
      expect(await get(sandbox, '/me', appToken)).toMatchObject({ status: 401, body: SPOTIFY_ERROR(401, 'This request requires user authentication.') });
    });
  });

  describe('GET /v1/me/tracks', () => {
    it('pages a deterministic 120-track default library, newest first', async () => {
      const first = await get(sandbox, '/me/tracks?limit=50', userToken);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ limit: 50, offset: 0, total: 120, previous: null, href: `${sandbox.apiBaseUrl}/me/tracks?offset=0&limit=50` });
      expect(first.body.next).toBe(`${sandbox.apiBaseUrl}/me/tracks?offset=50&limit=50`);
      expect(first.body.items).toHaveLength(50);
      expect(first.body.items[0]).toEqual({ added_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), track: expect.objectContaining({ type: 'track' }) });
      const addedAt = first.body.items.map((item: { added_at: string }) => item.added_at);
      expect([...addedAt].sort().reverse()).toEqual(addedAt);

      const last = await get(sandbox, '/me/tracks?limit=50&offset=100', userToken);
      expect(last.body.items).toHaveLength(20);
      expect(last.body.next).toBeNull();
      expect(last.body.previous).toBe(`${sandbox.apiBaseUrl}/me/tracks?offset=50&limit=50`);

      const other = await startSandbox({ catalogueSize: 10_000 });
      try {
        const again = await connectSandboxUser(other, { userId: 'web-user' });
        expect((await get(other, '/me/tracks?limit=50', again.access_token)).body.items).toEqual(
          first.body.items.map((item: { track: object }) => ({ ...item, track: expect.objectContaining({ id: (item.track as { id: string }).id }) })),
        );
      } finally {
        await other.close();
      }
    });

    it('defaults to 20 a page and rejects limit outside 1..50', async () => {
      expect((await get(sandbox, '/me/tracks', userToken)).body.limit).toBe(20);
      expect(await get(sandbox, '/me/tracks?limit=51', userToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'Invalid limit') });
      expect((await get(sandbox, '/me/tracks?limit=0', userToken)).status).toBe(400);
      expect((await get(sandbox, '/me/tracks?offset=-1', userToken)).status).toBe(400);
    });

    it('needs the user-library-read scope and a user token', async () => {
      const noScope = await connectSandboxUser(sandbox, { userId: 'no-scope', scope: 'user-read-private' });
      expect(await get(sandbox, '/me/tracks', noScope.access_token)).toMatchObject({ status: 403, body: SPOTIFY_ERROR(403, 'Insufficient client scope') });
      expect((await get(sandbox, '/me/tracks', appToken)).status).toBe(401);
    });

    it('follows admin changes: set, add and remove saved tracks', async () => {
      const ids = sandbox.catalogue.slice(10, 13).map((t) => t.id);
      await sandbox.admin.setLibrary('web-user', ids);
      const savedIds = async () => (await get(sandbox, '/me/tracks?limit=50', userToken)).body.items.map((item: { track: { id: string } }) => item.track.id);
      expect(await savedIds()).toEqual(ids);

      await sandbox.admin.saveTracks('web-user', [sandbox.catalogue[20].id, ids[0]]);
      expect(await savedIds()).toEqual([sandbox.catalogue[20].id, ...ids]);

      await sandbox.admin.removeSavedTracks('web-user', [ids[1]]);
      expect(await savedIds()).toEqual([sandbox.catalogue[20].id, ids[0], ids[2]]);
      expect((await sandbox.admin.user('web-user')).savedTrackIds).toEqual(await savedIds());

      await expect(sandbox.admin.setLibrary('web-user', ['0000000000000000000000'])).rejects.toThrow(/unknown track ids/);
    });
  });

  describe('GET /v1/tracks/{id}', () => {
    it('returns the full track in the extended tier', async () => {
      const { status, body } = await get(sandbox, `/tracks/${track.id}`, appToken);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        id: track.id,
        name: track.name,
        artists: track.artists.map((a) => expect.objectContaining({ id: a.id, name: a.name, type: 'artist' })),
        album: expect.objectContaining({ id: track.album.id, name: track.album.name, release_date: track.album.release_date, images: [] }),
        duration_ms: track.duration_ms,
        explicit: track.explicit,
        external_ids: { isrc: track.external_ids.isrc },
        external_urls: { spotify: `https://open.spotify.com/track/${track.id}` },
        popularity: track.popularity,
        preview_url: track.preview_url,
        track_number: track.track_number,
        type: 'track',
        uri: `spotify:track:${track.id}`,
      });
      expect(body).not.toHaveProperty('audio_features');
      expect(body).not.toHaveProperty('variant');
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expect(await get(sandbox, '/tracks/0000000000000000000000', appToken)).toMatchObject({ status: 404, body: SPOTIFY_ERROR(404, 'Resource not found') });
      expect(await get(sandbox, '/tracks/not-an-id', appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'invalid id') });
      expect(await get(sandbox, '/tracks/%E0%A4%A', appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'invalid id') });
    });
  });

  describe('GET /v1/tracks?ids=', () => {
    it('returns the tracks in order, null for unknown ids', async () => {
      const ids = [track.id, '0000000000000000000000', sandbox.catalogue[5].id];
      const { status, body } = await get(sandbox, `/tracks?ids=${ids.join(',')}`, appToken);
      expect(status).toBe(200);
      expect(body.tracks.map((t: { id: string } | null) => t && t.id)).toEqual([track.id, null, sandbox.catalogue[5].id]);
    });

    it('refuses more than 50 ids and malformed ids', async () => {
      const ids51 = sandbox.catalogue.slice(0, 51).map((t) => t.id).join(',');
      expect(await get(sandbox, `/tracks?ids=${ids51}`, appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'Too many ids requested') });
      expect((await get(sandbox, `/tracks?ids=${ids51.split(',').slice(0, 50).join(',')}`, appToken)).status).toBe(200);
      expect(await get(sandbox, `/tracks?ids=${track.id},bad`, appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'invalid id') });
    });
  });

  describe('GET /v1/audio-features', () => {
    it('returns features in order, null for unknown ids, up to 100', async () => {
      const { status, body } = await get(sandbox, `/audio-features?ids=${track.id},0000000000000000000000`, appToken);
      expect(status).toBe(200);
      expect(body.audio_features).toEqual([expect.objectContaining({ ...track.audio_features, id: track.id, type: 'audio_features' }), null]);
      const ids101 = sandbox.catalogue.slice(0, 101).map((t) => t.id).join(',');
      expect(await get(sandbox, `/audio-features?ids=${ids101}`, appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'Too many ids requested') });
    });

    it('tolerates the trailing slash some clients send', async () => {
      expect((await get(sandbox, `/audio-features/?ids=${track.id}`, appToken)).status).toBe(200);
    });
  });

  describe('GET /v1/search', () => {
    it('finds the album version and the single sharing an ISRC', async () => {
      const single = sandbox.catalogue.find((t) => t.variant?.kind === 'single')!;
      const { status, body } = await get(sandbox, `/search?type=track&q=${encodeURIComponent(`isrc:${single.external_ids.isrc}`)}`, appToken);
      expect(status).toBe(200);
      expect(body.tracks.items.map((t: { id: string }) => t.id).sort()).toEqual([single.id, single.variant!.of].sort());
      expect(body.tracks).toMatchObject({ total: 2, limit: 20, offset: 0, next: null });
    });

    it('returns the live, sped-up, karaoke and remastered versions for a title + artist search', async () => {
      const original = sandbox.catalogue[1];
      const q = `track:"${original.name}" artist:"${original.artists[0].name}"`;
      const { body } = await get(sandbox, `/search?type=track&limit=50&q=${encodeURIComponent(q)}`, appToken);
      const ids = body.tracks.items.map((t: { id: string }) => t.id);
      expect(ids).toEqual(expect.arrayContaining([original.id, ...findVariants(sandbox.catalogue, original.id).map((t) => t.id)]));
    });

    it('pages with next links that work as they are', async () => {
      const first = await get(sandbox, '/search?type=track&q=heart&limit=5', appToken);
      expect(first.body.tracks.total).toBeGreaterThan(5);
      const next = await fetch(first.body.tracks.next, { headers: { authorization: `Bearer ${appToken}` } });
      const second = (await next.json()) as { tracks: { offset: number; items: { id: string }[] } };
      expect(second.tracks.offset).toBe(5);
      expect(second.tracks.items[0].id).not.toBe(first.body.tracks.items[0].id);
    });

    it('validates q, type, limit and offset (extended tier: default 20, max 50)', async () => {
      expect((await get(sandbox, '/search?type=track', appToken)).status).toBe(400);
      expect((await get(sandbox, '/search?q=heart', appToken)).status).toBe(400);
      expect((await get(sandbox, '/search?q=heart&type=track&limit=50', appToken)).status).toBe(200);
      expect(await get(sandbox, '/search?q=heart&type=track&limit=51', appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'Invalid limit') });
      expect((await get(sandbox, '/search?q=heart&type=track&offset=1001', appToken)).status).toBe(400);
    });
  });

  describe('development tier', () => {
    beforeEach(() => sandbox.admin.configure({ tier: 'development' }));

    it('drops popularity (absent, not null) and preview_url from tracks but keeps the ISRC', async () => {
      const withPreview = sandbox.catalogue.find((t) => t.preview_url !== null)!;
      const { status, body } = await get(sandbox, `/tracks/${withPreview.id}`, appToken);
      expect(status).toBe(200);
      expect(body).not.toHaveProperty('popularity');
      expect(body.preview_url).toBeNull();
      expect(body.external_ids).toEqual({ isrc: withPreview.external_ids.isrc });
    });

    it('forbids batch tracks and audio features', async () => {
      expect(await get(sandbox, `/tracks?ids=${track.id}`, appToken)).toMatchObject({ status: 403, body: SPOTIFY_ERROR(403, 'Forbidden') });
      expect(await get(sandbox, `/audio-features?ids=${track.id}`, appToken)).toMatchObject({ status: 403, body: SPOTIFY_ERROR(403, '') });
    });

    it('caps search at 10 a page, 5 by default', async () => {
      const { body } = await get(sandbox, '/search?q=heart&type=track', appToken);
      expect(body.tracks.limit).toBe(5);
      expect(body.tracks.items).toHaveLength(5);
      expect(body.tracks.items[0]).not.toHaveProperty('popularity');
      expect((await get(sandbox, '/search?q=heart&type=track&limit=10', appToken)).status).toBe(200);
      expect(await get(sandbox, '/search?q=heart&type=track&limit=11', appToken)).toMatchObject({ status: 400, body: SPOTIFY_ERROR(400, 'Invalid limit') });
    });

    it('leaves email, country and product out of /me; saved tracks still page by 50', async () => {
      const { body } = await get(sandbox, '/me', userToken);
      expect(body).toMatchObject({ id: 'web-user', display_name: 'Web User', type: 'user' });
      for (const field of ['email', 'country', 'product', 'followers', 'explicit_content']) expect(body).not.toHaveProperty(field);
      const devUser = await connectSandboxUser(sandbox, { userId: 'dev-user' });
      const page = await get(sandbox, '/me/tracks?limit=50', devUser.access_token);
      expect(page.body.items).toHaveLength(50);
      expect(page.body.items[0].track).not.toHaveProperty('popularity');
    });
  });
});

describe('sandbox development-mode user cap', () => {
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ tier: 'development', catalogueSize: 500 });
  });
  afterAll(() => sandbox.close());

  it('lets the first five consenting users in and answers 403 for the sixth', async () => {
    const tokens = [];
    for (let i = 1; i <= 6; i++) tokens.push((await connectSandboxUser(sandbox, { userId: `cap-user-${i}` })).access_token);
    for (const token of tokens.slice(0, 5)) expect((await get(sandbox, '/me', token)).status).toBe(200);
    expect(await get(sandbox, '/me', tokens[5])).toMatchObject({ status: 403, body: SPOTIFY_ERROR(403, 'User not registered in the Developer Dashboard') });
    expect((await get(sandbox, '/me/tracks', tokens[5])).status).toBe(403);

    await sandbox.admin.configure({ devModeAllowedUsers: ['cap-user-6'] });
    expect((await get(sandbox, '/me', tokens[5])).status).toBe(200);
    expect((await get(sandbox, '/me', tokens[0])).status).toBe(403);
  });
});

describe('sandbox faults, latency and counters', () => {
  let sandbox: RunningSandbox;
  let appToken: string;
  let trackPath: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ catalogueSize: 500 });
    appToken = await sandboxAppToken(sandbox);
    trackPath = `/tracks/${sandbox.catalogue[0].id}`;
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.admin.reset());

  it('rate-limits every Nth Web API request with Retry-After', async () => {
    await sandbox.admin.configure({ rateLimit: { everyN: 3, retryAfterSeconds: 7 } });
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const response = await get(sandbox, trackPath, appToken);
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('7');
        expect(response.body).toEqual(SPOTIFY_ERROR(429, 'API rate limit exceeded'));
      }
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
  });

  it('can answer a 429 without Retry-After', async () => {
    await sandbox.admin.configure({ rateLimit: { everyN: 1, retryAfterSeconds: null } });
    const response = await get(sandbox, trackPath, appToken);
    expect(response.status).toBe(429);
    expect(response.headers.has('retry-after')).toBe(false);
  });

  it('answers QUOTA_EXCEEDED to every Web API request while set, not to the Accounts service', async () => {
    await sandbox.admin.configure({ quotaExceeded: { retryAfterSeconds: 3600 } });
    for (let i = 0; i < 3; i++) {
      const response = await get(sandbox, trackPath, appToken);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('3600');
      expect(response.body).toEqual({ error: { status: 429, message: 'Too many requests', reason: 'QUOTA_EXCEEDED' } });
    }
    expect(await sandboxAppToken(sandbox)).toEqual(expect.any(String));
    await sandbox.admin.configure({ quotaExceeded: null });
    expect((await get(sandbox, trackPath, appToken)).status).toBe(200);
  });

  it('fails the next N Web API requests with the chosen 5xx', async () => {
    await sandbox.admin.configure({ serverErrors: { count: 2, status: 502 } });
    expect(await get(sandbox, trackPath, appToken)).toMatchObject({ status: 502, body: { error: { status: 502 } } });
    expect((await sandbox.admin.getConfig()).serverErrors).toEqual({ count: 1, status: 502 });
    expect((await get(sandbox, trackPath, appToken)).status).toBe(502);
    expect((await get(sandbox, trackPath, appToken)).status).toBe(200);
    expect((await sandbox.admin.getConfig()).serverErrors).toBeNull();

    await sandbox.admin.configure({ serverErrors: { count: 1 } });
    expect((await get(sandbox, trackPath, appToken)).status).toBe(503);
  });

  it('rejects unknown or malformed config with every problem listed', async () => {
    const response = await fetch(`${sandbox.url}/__admin/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tier: 'premium', rateLimit: { everyN: 0 }, latency: 5 }),
    });
    expect(response.status).toBe(400);
    const { problems } = (await response.json()) as { problems: string[] };
    expect(problems).toHaveLength(3);
    expect((await sandbox.admin.getConfig()).tier).toBe('extended');
  });

  it('delays every non-admin response by latencyMs', async () => {
    await sandbox.admin.configure({ latencyMs: 150 });
    let started = Date.now();
    await get(sandbox, trackPath, appToken);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    await sandboxAppToken(sandbox);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    await sandbox.admin.counters();
    expect(Date.now() - started).toBeLessThan(140);
  });

  it('counts requests by route template and grant type; admin calls are not counted', async () => {
    await sandboxAppToken(sandbox);
    const { refresh_token } = await connectSandboxUser(sandbox, { userId: 'counted' });
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token, client_id: sandbox.clientId, client_secret: sandbox.clientSecret });
    await fetch(`${sandbox.accountsBaseUrl}/api/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    await get(sandbox, trackPath, appToken);
    await get(sandbox, `/tracks/${sandbox.catalogue[1].id}`, appToken);
    await get(sandbox, `/tracks?ids=${sandbox.catalogue[1].id}`, appToken);
    await sandbox.admin.getConfig();

    expect(await sandbox.admin.counters()).toEqual({
      total: 7,
      byEndpoint: {
        'POST /api/token client_credentials': 1,
        'GET /authorize': 1,
        'POST /api/token authorization_code': 1,
        'POST /api/token refresh_token': 1,
        'GET /v1/tracks/{id}': 2,
        'GET /v1/tracks': 1,
      },
    });
  });

  it('logs every request with its receive time and status, faulted ones included', async () => {
    await sandbox.admin.configure({ rateLimit: { everyN: 2, retryAfterSeconds: 1 } });
    const before = Date.now();
    await get(sandbox, trackPath, appToken);
    await get(sandbox, trackPath, appToken);
    const log = await sandbox.admin.requests();
    expect(log).toEqual([
      { at: expect.any(Number), method: 'GET', endpoint: 'GET /v1/tracks/{id}', path: `/v1${trackPath}`, status: 200 },
      { at: expect.any(Number), method: 'GET', endpoint: 'GET /v1/tracks/{id}', path: `/v1${trackPath}`, status: 429 },
    ]);
    expect(log[0].at).toBeGreaterThanOrEqual(before);
    expect(log[1].at).toBeGreaterThanOrEqual(log[0].at);
  });

  it('reset clears counters, the log and faults but keeps tokens', async () => {
    await sandbox.admin.configure({ quotaExceeded: { retryAfterSeconds: 1 }, tier: 'development' });
    await get(sandbox, trackPath, appToken);
    await sandbox.admin.reset();
    expect(await sandbox.admin.counters()).toEqual({ total: 0, byEndpoint: {} });
    expect(await sandbox.admin.requests()).toEqual([]);
    expect(await sandbox.admin.getConfig()).toMatchObject({ quotaExceeded: null, tier: 'extended' });
    expect((await get(sandbox, trackPath, appToken)).status).toBe(200);
  });
});
