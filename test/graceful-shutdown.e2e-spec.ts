import { Agent, request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { ChildApp, startChildApp } from './helpers/child-app';
import { freePort } from './helpers/free-port';
import { createMigratedDatabase, TestDatabase } from './helpers/database';
import { API_KEY, testEnv } from './helpers/test-app';

/** GET over a keep-alive agent, the way a service mesh or an HTTP client pool would call us. */
function get(agent: Agent, url: string): Promise<{ status?: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: { Authorization: `Bearer ${API_KEY}` } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('graceful shutdown of the HTTP side (a real process, SIGTERM)', () => {
  let db: TestDatabase;
  let app: ChildApp;
  let locker: Client;

  beforeAll(async () => {
    db = await createMigratedDatabase('shutdown');
    app = await startChildApp(
      [process.execPath, '-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      testEnv({ DATABASE_URL: db.url, APP_ROLE: 'api', LOG_LEVEL: 'info', LOG_FORMAT: 'json' }),
      { port: await freePort() },
    );
    locker = new Client({ connectionString: db.url });
    await locker.connect();
  });
  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await locker?.end();
    await db?.drop();
  });

  it('stops accepting, finishes the in-flight request, and exits 0', async () => {
    const agent = new Agent({ keepAlive: true });
    // an idle keep-alive connection, which must not hold the shutdown up for keepAliveTimeout
    expect((await get(agent, `${app.baseUrl}/v1/songs`)).status).toBe(200);

    // hold a lock so that the next list request is in flight, blocked in PostgreSQL
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE songs IN ACCESS EXCLUSIVE MODE');
    const inFlight = get(agent, `${app.baseUrl}/v1/songs?limit=5`);
    await waitFor(async () => {
      const { rows } = await locker.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return rows[0].n > 0;
    }, 'the list request to wait on the lock');

    const signalledAt = Date.now();
    app.child.kill('SIGTERM');

    // the listener closes at once: new connections are refused while the request is still running
    await waitFor(
      () => fetch(`${app.baseUrl}/health/live`).then(() => false, (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED'),
      'new connections to be refused',
      5_000,
    );
    let settled = false;
    void inFlight.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);

    await locker.query('COMMIT');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ items: [], nextCursor: null });
    const answeredAt = Date.now();

    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // well under Node's 5 s keepAliveTimeout: the kept-alive connections were closed, not waited out
    expect(Date.now() - answeredAt).toBeLessThan(3_000);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(app.output()).toContain('no longer accepting connections');
    agent.destroy();
  });
});
