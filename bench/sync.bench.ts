/**
 * Sync benchmark (issue 5): 10,000 linked songs, one track_sync against the local sandbox with
 * 20 ms latency on every Spotify request, in both access tiers. The worker runs as its own
 * compiled process (`node dist/main.js`, APP_ROLE=worker) so its peak RSS is its own.
 * Prints songs/s, Spotify requests per 1,000 songs beside the ideal (30 extended: 20 track
 * batches + 10 audio-feature batches; 1,000 development: one track a request), the time the
 * sandbox's latency alone would take at the client's concurrency, and the worker's peak RSS.
 * Needs `npm run build` first (npm run bench does it).
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../sandbox/sandbox-server';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { setupApp } from '../src/setup-app';
import { createMigratedDatabase, withClient } from '../test/helpers/database';
import { freePort } from '../test/helpers/free-port';
import { printTable } from './support';

const SONGS = Number(process.env.BENCH_SYNC_SONGS ?? 10_000);
const LATENCY_MS = 20;
const API_KEY = 'bench-api-key-0123456789';
const SINGLE_FETCH_CONCURRENCY = 4; // src/spotify/spotify.client.ts

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function runTier(tier: 'extended' | 'development') {
  const sandbox = await startSandbox({ tier, catalogueSize: SONGS, latencyMs: LATENCY_MS, clientId: `bench-${tier}` });
  const db = await createMigratedDatabase(`bench_sync_${tier}`);
  await withClient(db.url, (pg) =>
    pg.query(
      `INSERT INTO songs (title, artist, spotify_track_id) SELECT 'Song ' || i, 'Artist', id FROM unnest($1::varchar[]) WITH ORDINALITY AS t(id, i)`,
      [sandbox.catalogue.map((t) => t.id)],
    ),
  );
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `bench-sync-${randomBytes(3).toString('hex')}`,
    API_KEYS: API_KEY,
    TOKEN_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    SPOTIFY_CLIENT_ID: sandbox.clientId,
    SPOTIFY_CLIENT_SECRET: sandbox.clientSecret,
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    SPOTIFY_API_BASE_URL: sandbox.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: sandbox.accountsBaseUrl,
    SYNC_TRACK_CRON: 'off',
    SYNC_POPULARITY_CRON: 'off',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  const port = await freePort();
  const worker = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, ...env, APP_ROLE: 'worker', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const api = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(parseEnv({ ...env, APP_ROLE: 'api' })), {
    logger: false,
    bodyParser: false,
  });
  setupApp(api);
  await api.listen(0, '127.0.0.1');
  const base = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  try {
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok) break;
      await sleep(200);
    }
    await sandbox.admin.reset();
    await sandbox.admin.configure({ latencyMs: LATENCY_MS });
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/v1/sync-jobs`, { method: 'POST', headers, body: JSON.stringify({ type: 'track_sync' }) });
    const { id } = (await created.json()) as { id: string };
    let job: { status: string; startedAt: string; completedAt: string; progress: { done: number; failed: number } };
    for (;;) {
      job = (await (await fetch(`${base}/v1/sync-jobs/${id}`, { headers })).json()) as typeof job;
      if (['completed', 'failed'].includes(job.status)) break;
      await sleep(250);
    }
    const rss = peakRssMb(worker.pid!);
    const seconds = (Date.parse(job.completedAt) - Date.parse(job.startedAt)) / 1000;
    const counters = (await sandbox.admin.counters()).byEndpoint;
    const spotifyRequests = Object.entries(counters)
      .filter(([endpoint]) => endpoint.startsWith('GET /v1/'))
      .reduce((sum, [, n]) => sum + n, 0);
    const ideal = tier === 'extended' ? 30 : 1_000;
    const latencyFloor = tier === 'extended' ? (spotifyRequests * LATENCY_MS) / 1000 : (spotifyRequests * LATENCY_MS) / SINGLE_FETCH_CONCURRENCY / 1000;
    return { tier, job, seconds, rss, spotifyRequests, perThousand: (spotifyRequests / SONGS) * 1000, ideal, latencyFloor, counters };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await api.close();
    await sandbox.close();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const tier of ['extended', 'development'] as const) results.push(await runTier(tier));
  printTable(`track_sync of ${SONGS.toLocaleString('en')} linked songs, sandbox latency ${LATENCY_MS} ms a request`, [
    ['tier', 'songs/s (job time)', 'Spotify requests per 1,000 songs (ideal)', 'latency-only floor, worker peak RSS (target < 300 MB)'],
    ...results.map(
      (r) =>
        [
          r.tier,
          `${Math.round((r.job.progress.done + r.job.progress.failed) / r.seconds)} (${r.seconds.toFixed(1)} s, ${r.job.status}, done ${r.job.progress.done})`,
          `${r.perThousand.toFixed(1)} (${r.ideal}); wasted ${(r.perThousand - r.ideal).toFixed(1)}`,
          `${r.latencyFloor.toFixed(1)} s, ${r.rss.toFixed(0)} MB`,
        ] as [string, string, string, string],
    ),
  ]);
  for (const r of results) console.log(`  ${r.tier} requests: ${JSON.stringify(r.counters)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
