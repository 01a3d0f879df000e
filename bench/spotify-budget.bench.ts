/**
 * Request budget benchmark (issue 12, Spotify side): two service processes' worth of bulk callers
 * (4 concurrent fetches each, development tier, one request per track) sweep without end against a
 * sandbox that allows BENCH_BUDGET_LIMIT requests per rolling 30 s (600; not told to the service)
 * with 20 ms latency, while an interactive single-track fetch fires every 2 s. Run once with
 * SPOTIFY_REQUEST_BUDGET=auto and once with `off` (today's behaviour: only the 429 pause), in the
 * same process. Prints answered requests/s against the limit, 429s (all, and after the first
 * minute), the learnt rate, and interactive latency. A bulk caller told to come back later
 * (SpotifyRateLimitedError) sleeps retryAfterMs, as a delayed job would.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-server';
import { parseEnv } from '../src/config/app-config';
import { AppConfigModule } from '../src/config/config.module';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { RedisModule } from '../src/redis/redis.module';
import { withSpotifyPriority } from '../src/spotify/budget/spotify-priority';
import { SpotifyRequestBudget } from '../src/spotify/budget/spotify-request-budget';
import { SpotifyClient } from '../src/spotify/spotify.client';
import { SpotifyRateLimitedError } from '../src/spotify/spotify.errors';
import { SpotifyModule } from '../src/spotify/spotify.module';
import { createTestDatabase } from '../test/helpers/database';
import { printTable, summarise } from './support';

const LIMIT = Number(process.env.BENCH_BUDGET_LIMIT ?? 600);
const SECONDS = Number(process.env.BENCH_BUDGET_SECONDS ?? 360);
const LATENCY_MS = 20;
const PROCESSES = 2;
const CONCURRENCY = 4;
const INTERACTIVE_EVERY_MS = 2_000;

async function startProcess(sandbox: RunningSandbox, databaseUrl: string, prefix: string, budget: string) {
  const config = parseEnv({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: 'bench-api-key-0123456789',
    TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SPOTIFY_CLIENT_ID: sandbox.clientId,
    SPOTIFY_CLIENT_SECRET: sandbox.clientSecret,
    SPOTIFY_REDIRECT_URI: 'http://127.0.0.1:3000/auth/spotify/callback',
    SPOTIFY_API_BASE_URL: sandbox.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: sandbox.accountsBaseUrl,
    SPOTIFY_ACCESS_TIER: 'development',
    SPOTIFY_REQUEST_BUDGET: budget,
  });
  @Module({ imports: [AppConfigModule.forRoot(config), MikroOrmModule.forRoot(createOrmConfig(databaseUrl)), RedisModule, SpotifyModule] })
  class BenchModule {}
  const context = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return { context, client: context.get(SpotifyClient), budget: context.get(SpotifyRequestBudget) };
}

async function run(budget: 'auto' | 'off') {
  const sandbox = await startSandbox({ tier: 'development', latencyMs: LATENCY_MS, rateLimitPer30s: LIMIT, clientId: `bench-budget-${budget}` });
  const db = await createTestDatabase(`bench_budget_${budget}`);
  const orm = await MikroORM.init(createOrmConfig(db.url));
  await orm.getMigrator().up();
  await orm.close(true);
  const prefix = `bench-budget-${randomBytes(3).toString('hex')}`;
  const processes = await Promise.all(Array.from({ length: PROCESSES }, () => startProcess(sandbox, db.url, prefix, budget)));
  const ids = sandbox.catalogue.map((t) => t.id);
  await sandbox.admin.reset();
  await sandbox.admin.configure({ latencyMs: LATENCY_MS, rateLimitPer30s: LIMIT });

  const started = Date.now();
  const until = started + SECONDS * 1000;
  let next = 0;
  const bulk = processes.flatMap((p) =>
    Array.from({ length: CONCURRENCY }, () =>
      withSpotifyPriority('bulk', async () => {
        while (Date.now() < until) {
          try {
            await p.client.getTrack(ids[next++ % ids.length]);
          } catch (error) {
            if (!(error instanceof SpotifyRateLimitedError)) throw error;
            await sleep(Math.min(error.retryAfterMs, Math.max(0, until - Date.now())));
          }
        }
      }),
    ),
  );
  const latencies: number[] = [];
  let interactiveDelayed = 0;
  let interactiveDelayedAfterMinute = 0;
  const interactive = (async () => {
    for (let i = 0; Date.now() < until; i++) {
      await sleep(INTERACTIVE_EVERY_MS);
      const t0 = Date.now();
      try {
        await processes[i % PROCESSES].client.getTrack(ids[(i * 7919) % ids.length]);
        latencies.push(Date.now() - t0);
      } catch (error) {
        if (!(error instanceof SpotifyRateLimitedError)) throw error;
        interactiveDelayed += 1; // a job would be delayed: the caller waits far longer than this
        if (t0 >= started + 60_000) interactiveDelayedAfterMinute += 1;
      }
    }
  })();
  await Promise.all([...bulk, interactive]);

  const log = (await sandbox.admin.requests()).filter((r) => r.endpoint.startsWith('GET /v1'));
  const answered = log.filter((r) => r.status === 200);
  const limited = log.filter((r) => r.status === 429);
  const afterMinute = (r: { at: number }) => r.at >= started + 60_000;
  const learnt = (await processes[0].budget.report()).per30s;
  await Promise.all(processes.map((p) => p.context.close()));
  await sandbox.close();
  await db.drop();
  return {
    budget,
    perSecond: answered.length / SECONDS,
    perSecondAfterMinute: answered.filter(afterMinute).length / (SECONDS - 60),
    limited: limited.length,
    limitedAfterMinute: limited.filter(afterMinute).length,
    learnt,
    interactive: latencies.length > 0 ? summarise(latencies) : null,
    interactiveDelayed,
    interactiveDelayedAfterMinute,
  };
}

async function main(): Promise<void> {
  const results = [await run('auto'), await run('off')];
  const limitPerSecond = LIMIT / 30;
  printTable(
    `Spotify request budget: ${PROCESSES} processes × ${CONCURRENCY} bulk fetches, sandbox limit ${LIMIT}/30 s (not told), ${LATENCY_MS} ms latency, ${SECONDS} s`,
    [
      ['SPOTIFY_REQUEST_BUDGET', 'answered req/s (after 1st minute) vs limit', '429s (after 1st minute; per 5 min)', 'interactive p50/p95 (delayed; after 1st minute), learnt per30s'],
      ...results.map((r): [string, string, string, string] => [
        r.budget,
        `${r.perSecond.toFixed(2)} (${r.perSecondAfterMinute.toFixed(2)}) of ${limitPerSecond.toFixed(2)}: ${((100 * r.perSecondAfterMinute) / limitPerSecond).toFixed(1)} %`,
        `${r.limited} (${r.limitedAfterMinute}; ${((r.limitedAfterMinute * 300) / (SECONDS - 60)).toFixed(2)})`,
        `${r.interactive ? `${r.interactive.p50} / ${r.interactive.p95} ms` : 'none'} (${r.interactiveDelayed}; ${r.interactiveDelayedAfterMinute}), ${r.learnt ?? '-'}`,
      ]),
    ],
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
