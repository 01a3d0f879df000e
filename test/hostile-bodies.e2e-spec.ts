import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { API_KEY, createTestApp, TestApp, testEnv } from './helpers/test-app';

/**
 * The app in a process of its own (bench/hostile-bodies.server.ts) that reports its own event-loop
 * delay: what this test process does (building 1 MB bodies, timers other test files left) never
 * shows in it.
 */
async function startIsolatedServer(databaseUrl: string) {
  const child = fork(join(__dirname, '..', 'bench', 'hostile-bodies.server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, ...testEnv({ DATABASE_URL: databaseUrl, APP_ROLE: 'api', METRICS_PORT: '0' }) } as NodeJS.ProcessEnv,
  });
  const next = (type: string) =>
    new Promise<{ type: string; port?: number; maxMs?: number }>((resolve) => {
      const onMessage = (m: { type: string }) => m.type === type && (child.off('message', onMessage), resolve(m));
      child.on('message', onMessage);
    });
  const { port } = await next('ready');
  const ask = async (type: 'reset' | 'read') => {
    const answer = next(type);
    child.send({ type });
    return answer;
  };
  return {
    base: `http://127.0.0.1:${port}`,
    resetLoopDelay: () => ask('reset'),
    maxLoopDelayMs: async () => (await ask('read')).maxMs!,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.send({ type: 'stop' }))),
  };
}

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
      // a lone surrogate made validator.js's isEmail throw: a 500 (found by write-routes.property)
      ['/v1/users', JSON.stringify({ email: '\ud800' }), 'email', /lone surrogates/],
      ['/v1/songs/bulk', JSON.stringify({ songs: [{ title: 'ok', artist: 'x' }, { title: 'b\udc00', artist: 'x' }] }), 'songs[1].title', /lone surrogates/],
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
    const server = await startIsolatedServer(t.db.url);
    try {
      const bodies = [hostileBodies.unknownKeys80k(), `{"displayName":${hostileBodies.nested(10_000)}}`, hostileBodies.nested(262_000)];
      await server.resetLoopDelay();
      const poll = pollLiveness(server.base);
      await new Promise((r) => setTimeout(r, 50));
      const until = performance.now() + 1_500;
      const answers = await Promise.all(
        [0, 1, 2].map(async (client) => {
          const results = [];
          for (let round = 0; performance.now() < until; round++) results.push(await send(server.base, 'POST', '/v1/users', bodies[(client + round) % 3]));
          return results;
        }),
      );
      const times = await poll.stop();
      const loopDelayMs = await server.maxLoopDelayMs();
      for (const res of answers.flat()) {
        expect(res.status).toBe(400);
        expect(res.ms).toBeLessThan(2_000);
      }
      expect(answers.flat().length).toBeGreaterThan(6);
      expect(times.length).toBeGreaterThan(10);
      // The server's own loop never waited 200 ms, so a liveness probe arriving at any moment was
      // answered within that; the probes seen from here (this process shares 2 cores with the
      // rest of the suite) must all have been answered, none slower than a second.
      expect(loopDelayMs).toBeLessThan(200);
      expect(Math.max(...times)).toBeLessThan(1_000);
    } finally {
      await server.stop();
    }
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
