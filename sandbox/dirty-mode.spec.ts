import { DIRTY_PRESET } from './config';
import { RunningSandbox, startSandbox } from './sandbox-server';
import { connectSandboxUser, sandboxAppToken } from './test-helpers';

describe('sandbox dirty mode', () => {
  let sandbox: RunningSandbox;
  let token: string;
  const get = async (path: string, bearer = token) => {
    const response = await fetch(`${sandbox.apiBaseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ catalogueSize: 200 });
    token = await sandboxAppToken(sandbox);
  });
  afterEach(() => sandbox.admin.reset());
  afterAll(() => sandbox.close());

  it('is off by default; the admin switch turns the preset on, changes parts of it, and off again', async () => {
    expect((await sandbox.admin.getConfig()).dirty).toBeNull();
    expect((await sandbox.admin.configure({ dirty: true })).dirty).toEqual(DIRTY_PRESET);
    expect((await sandbox.admin.configure({ dirty: { malformedEveryN: 3, removedEndpoints: ['/v1/audio-features'] } })).dirty).toEqual({
      ...DIRTY_PRESET,
      malformedEveryN: 3,
      removedEndpoints: ['/v1/audio-features'],
    });
    expect((await sandbox.admin.configure({ dirty: null })).dirty).toBeNull();
  });

  it('refuses unknown or bad parts with a 400 naming them', async () => {
    const response = await fetch(`${sandbox.url}/__admin/config`, {
      method: 'POST',
      body: JSON.stringify({ dirty: { bogus: true }, tokenServerErrors: { count: 0 } }),
    });
    expect(response.status).toBe(400);
    const { problems } = (await response.json()) as { problems: string[] };
    expect(problems).toEqual(['dirty: bogus: unknown dirty setting', 'tokenServerErrors: count must be an integer >= 1']);
  });

  it('a clean catalogue id works; an undecodable one fails the whole batch only in dirty mode', async () => {
    const ids = `${sandbox.catalogue[0].id},zzzzzzzzzzzzzzzzzzzzzz`;
    expect((await get(`/tracks?ids=${ids}`)).status).toBe(200);
    await sandbox.admin.configure({ dirty: true });
    const refused = await get(`/tracks?ids=${ids}`);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({ error: { status: 400, message: 'invalid id' } });
    expect((await get(`/tracks?ids=${sandbox.catalogue[0].id}`)).status).toBe(200);
  });

  it('every Nth answer is a 200 that is not JSON: HTML, then a cut-off body', async () => {
    await sandbox.admin.configure({ dirty: { malformedEveryN: 2 } });
    const path = `/tracks/${sandbox.catalogue[0].id}`;
    const answers = [await get(path), await get(path), await get(path), await get(path)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(() => JSON.parse(answers[0].text)).not.toThrow();
    expect(answers[1].type).toContain('text/html');
    expect(() => JSON.parse(answers[3].text)).toThrow();
  });

  it('saved pages hold null and local items, and total overstates them', async () => {
    await sandbox.admin.configure({ dirty: true });
    const saved = sandbox.catalogue.slice(0, 14).map((t) => t.id);
    await sandbox.admin.setLibrary('dirty-user', saved);
    const user = await connectSandboxUser(sandbox, { userId: 'dirty-user' });
    const page = JSON.parse((await get('/me/tracks?limit=50', user.access_token)).text);
    const items = page.items as { track: { id: string | null; is_local: boolean } | null }[];
    expect(items.filter((i) => i.track === null)).toHaveLength(2);
    expect(items.filter((i) => i.track?.is_local)).toHaveLength(1);
    expect(page.total).toBe(items.length + DIRTY_PRESET.savedTotalExtra);
    expect(page.next).toBeNull();
  });

  it('token endpoint 5xx, then a spurious invalid_grant for a good refresh token', async () => {
    const user = await connectSandboxUser(sandbox, { userId: 'token-user' });
    await sandbox.admin.configure({ tokenServerErrors: { count: 1, status: 502, thenInvalidGrant: 1 } });
    const refresh = () =>
      fetch(`${sandbox.accountsBaseUrl}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: user.refresh_token, client_id: sandbox.clientId, client_secret: sandbox.clientSecret }),
      });
    expect((await refresh()).status).toBe(502);
    const spurious = await refresh();
    expect([spurious.status, ((await spurious.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
    expect((await refresh()).status).toBe(200);
  });
});
