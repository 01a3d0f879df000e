import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT, startChildApp } from '../helpers/child-app';
import { freePort } from '../helpers/free-port';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { testEnv } from '../helpers/test-app';
import { parseDockerfile, replay, Stage } from './dockerfile-replay';

/** A temp folder with no node_modules above it, so nothing outside the replayed image can be resolved. */
function isolatedTempRoot(): string {
  for (const base of [tmpdir(), '/var/tmp']) {
    const ancestors = base.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/') || '/');
    if (!ancestors.some((dir) => existsSync(join(dir, 'node_modules')))) return base;
  }
  throw new Error('every temp folder has a node_modules above it; the replayed image would not be isolated');
}

// Processes of the image run as an unprivileged user, as USER node does, when this test runs as root.
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

describe('the runtime image (Dockerfile replayed without a Docker engine)', () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1) as Stage;
  let work: string;
  let app: string;
  let db: TestDatabase;
  let imageEnv: Record<string, string>;

  beforeAll(async () => {
    work = mkdtempSync(join(isolatedTempRoot(), 'image-'));
    chmodSync(work, 0o755);
    const started = Date.now();
    replay(stages, ROOT, work, { NPM_CONFIG_PREFER_OFFLINE: 'true', NPM_CONFIG_CACHE: join(homedir(), '.npm') });
    console.log(`runtime stage replayed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    app = runtime.dir as string;
    db = await createTestDatabase('image');
    // the image's ENV, with its npm cache in a folder the unprivileged user may write (an emptyDir in Kubernetes)
    const npmCache = join(work, 'tmp-npm');
    mkdirSync(npmCache);
    chmodSync(npmCache, 0o777);
    imageEnv = { ...runtime.env, NPM_CONFIG_CACHE: npmCache, HOME: '/nonexistent' };
  }, 300_000);
  afterAll(async () => {
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is a slim current-LTS Node image, runs as a non-root user, and starts dist/main.js', () => {
    expect(runtime.from).toMatch(/^node:24-[a-z]+-slim$/);
    expect(runtime.user).toBe('node');
    expect(runtime.cmd).toEqual(['node', 'dist/main.js']);
    expect(runtime.healthcheck?.cmd[0]).toBe('node');
    expect(runtime.env).toMatchObject({ NODE_ENV: 'production' });
  });

  it('holds dist and production dependencies only', () => {
    expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json']);
    expect(existsSync(join(app, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'dist', 'config', 'mikro-orm.config.js'))).toBe(true);
    for (const dev of ['typescript', 'ts-node', 'jest', '@nestjs/cli', 'pino-pretty', 'playwright-core', '@swc/core']) {
      expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(existsSync(join(app, 'node_modules', '@mikro-orm', 'cli'))).toBe(true);
    expect(readdirSync(join(app, 'dist'), { recursive: true }).some((f) => String(f).endsWith('.spec.js'))).toBe(false);
  });

  it('applies the migrations with `npm run migration:up` (no ts-node: the CLI reads dist/config/mikro-orm.config.js)', () => {
    const result = spawnSync('npm', ['run', 'migration:up'], {
      cwd: app,
      env: { PATH: process.env.PATH, ...imageEnv, DATABASE_URL: db.url },
      encoding: 'utf8',
      timeout: 120_000,
      ...NOBODY,
    });
    if (result.status !== 0) throw new Error(`npm run migration:up exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    const migrations = readdirSync(join(app, 'dist', 'migrations')).filter((f) => f.endsWith('.js'));
    expect(migrations.length).toBeGreaterThan(3);
    return (async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT name FROM mikro_orm_migrations');
        expect(rows.map((r) => `${r.name}.js`).sort()).toEqual(migrations.sort());
        await client.query('SELECT id FROM songs LIMIT 0');
      } finally {
        await client.end();
      }
    })();
  });

  it('serves the api and worker roles, passes its HEALTHCHECK, logs JSON, and exits 0 on SIGTERM', async () => {
    const metricsPort = await freePort();
    const env = (role: string) => ({ ...testEnv({ DATABASE_URL: db.url, APP_ROLE: role, LOG_LEVEL: 'info', METRICS_PORT: role === 'api' ? String(metricsPort) : '0' }), LOG_FORMAT: undefined, NODE_ENV: undefined, ...imageEnv, APP_ROLE: role });
    const [api, worker] = await Promise.all(
      ['api', 'worker'].map(async (role) =>
        startChildApp(runtime.cmd as string[], env(role), { cwd: app, port: await freePort(), spawnOptions: NOBODY }),
      ),
    );
    try {
      for (const running of [api, worker]) {
        const ready = await fetch(`${running.baseUrl}/health/ready`);
        expect(ready.status).toBe(200);
        const port = new URL(running.baseUrl).port;
        const healthcheck = spawnSync(runtime.healthcheck!.cmd[0], runtime.healthcheck!.cmd.slice(1), {
          env: { PATH: process.env.PATH, PORT: port },
          timeout: 10_000,
        });
        expect(healthcheck.status).toBe(0);
      }
      // /metrics has its own listener (METRICS_PORT), not the API port
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(await metrics.text()).toContain('http_request_duration_seconds');
      expect((await fetch(`${api.baseUrl}/metrics`)).status).toBe(404);

      // NODE_ENV=production from the image: JSON lines, and pino-pretty is not needed
      const firstLine = api.output().split('\n').find((l) => l.trim()) ?? '';
      expect(() => JSON.parse(firstLine)).not.toThrow();
    } finally {
      for (const running of [api, worker]) running.child.kill('SIGTERM');
    }
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('fails its HEALTHCHECK when nothing answers', async () => {
    const result = spawnSync(runtime.healthcheck!.cmd[0], runtime.healthcheck!.cmd.slice(1), {
      env: { PATH: process.env.PATH, PORT: String(await freePort()) },
      timeout: 10_000,
    });
    expect(result.status).toBe(1);
  });
});

