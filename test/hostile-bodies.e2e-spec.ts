import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY, createTestApp, TestApp } from './helpers/test-app';

/** Raw request over a fresh socket (supertest would re-serialise the body). */
function send(base: string, method: string, path: string, body: string): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls GET /health/live back to back until stopped; returns every answer time. */
function pollLiveness(base: string) {
  const times: number[] = [];
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const done = (async () => {
    while (running) {
      const started = performance.now();
      const status = await new Promise<number>((resolve, reject) =>
        http.get(`${base}/health/live`, { agent }, (res) => res.resume().on('end', () => resolve(res.statusCode!))).on('error', reject),
      );
      expect(status).toBe(200);
      times.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      agent.destroy();
      return times;
    },
  };
}

export const hostileBodies = {
  unknownKeys80k: () => {
    const keys: string[] = [];
    for (let i = 0; i < 80_000; i++) keys.push(`"k${i}":1`);
    return `{${keys.join(',')}}`;
  },
  nested: (levels: number) => '['.repeat(levels) + ']'.repeat(levels),
  nestedObjects: (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels),
  manyValues: () => `{"songs":[${Array.from({ length: 60_000 }, () => '1').join(',')}]}`,
  longString: () => JSON.stringify({ displayName: 'x'.repeat(20_000) }),
};

describe('hostile bodies (issue 11, findings 1 and 2)', () => {
  let t: TestApp;
  let base: string;
  let server: http.Server;

  beforeAll(async () => {
    t = await createTestApp('hostile_bodies');
    server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers each shape with a 400 in the contract shape naming the problem', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['/v1/users', hostileBodies.unknownKeys80k(), 'body', /more than 100 keys/],
      ['/v1/users', `{"displayName":${hostileBodies.nested(10_000)}}`, 'displayName', /nested deeper than 32/],
      ['/v1/songs', hostileBodies.nestedObjects(40), 'a.a.a', /nested deeper than 32/],
      ['/v1/songs/bulk', hostileBodies.manyValues(), 'body', /more than 50000 values/],
      ['/v1/users', hostileBodies.longString(), 'displayName', /longer than 10000/],
      ['/v1/songs', JSON.stringify({ title: 'a\u0000b', artist: 'x' }), 'title', /NUL/],
    ];
    for (const [path, body, field, reason] of cases) {
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);
      const res = await send(base, 'POST', path, body);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body).sort()).toEqual(['details', 'error', 'message', 'statusCode']);
      expect(res.body.details[0].field.startsWith(field)).toBe(true);
      expect(res.body.details[0].reasons.join(' ')).toMatch(reason);
      expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    }
  });

  it('400,000 levels of nesting: 400 (or 413 past 1 MB), never a 500', async () => {
    const res = await send(base, 'POST', '/v1/users', hostileBodies.nested(400_000));
    expect([400, 413]).toContain(res.status);
    const inLimit = await send(base, 'POST', '/v1/users', hostileBodies.nested(262_000));
    expect(inLimit.status).toBe(400);
  });

  it('keeps /health/live under 200 ms while three clients send hostile bodies, each answered in bounded time', async () => {
    const bodies = [hostileBodies.unknownKeys80k(), `{"displayName":${hostileBodies.nested(10_000)}}`, hostileBodies.nested(262_000)];
    const poll = pollLiveness(base);
    await new Promise((r) => setTimeout(r, 50));
    const until = performance.now() + 1_500;
    const answers = await Promise.all(
      [0, 1, 2].map(async (client) => {
        const results = [];
        for (let round = 0; performance.now() < until; round++) results.push(await send(base, 'POST', '/v1/users', bodies[(client + round) % 3]));
        return results;
      }),
    );
    const times = await poll.stop();
    for (const res of answers.flat()) {
      expect(res.status).toBe(400);
      expect(res.ms).toBeLessThan(2_000);
    }
    expect(answers.flat().length).toBeGreaterThan(6);
    expect(times.length).toBeGreaterThan(10);
    // The stall this guards against held the loop for seconds, so every poll in it was slow. On a
    // shared 2-core machine one poll can wait out an OS time slice taken by another test worker:
    // the 95th percentile carries the 200 ms bound, and no single poll may take a second.
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted[Math.ceil(sorted.length * 0.95) - 1]).toBeLessThan(200);
    expect(sorted[sorted.length - 1]).toBeLessThan(1_000);
  });

  it('lists at most 50 problems in a validation answer', async () => {
    const songs = Array.from({ length: 90 }, () => ({}));
    const rows = Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`unknown${i}`, 1]));
    const res = await send(base, 'POST', '/v1/users', JSON.stringify(rows));
    expect(res.status).toBe(400);
    expect(res.body.details).toHaveLength(50);
    expect(res.body.message).toMatch(/and 40 more$/);
    const bulk = await send(base, 'POST', '/v1/songs/bulk', JSON.stringify({ songs }));
    expect(bulk.status).toBeLessThan(500);
  });

  it('refuses NUL in a path param or query value, naming it', async () => {
    const q = await t.api().get('/v1/songs?q=%00').expect(400);
    expect(q.body.details).toEqual([{ field: 'q', reasons: ['q must not contain NUL characters'] }]);
    const param = await t.api().get('/v1/songs/by-spotify-id/abc%00').expect(400);
    expect(param.body.details[0].field).toBe('trackId');
  });

  it('refuses null for a required field on PATCH, naming it', async () => {
    const song = await t.api().post('/v1/songs').send({ title: 'Song', artist: 'Artist' }).expect(201);
    for (const field of ['title', 'artist']) {
      const res = await t.api().patch(`/v1/songs/${song.body.id}`).send({ [field]: null }).expect(400);
      expect(res.body.details[0].field).toBe(field);
    }
    const still = await t.api().get(`/v1/songs/${song.body.id}`).expect(200);
    expect(still.body).toMatchObject({ title: 'Song', artist: 'Artist' });
  });
});
