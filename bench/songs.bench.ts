/**
 * Songs benchmark (issue 2):
 *  1. bulk upsert of 100,000 songs through the service's repository code vs a hand-written
 *     multi-row INSERT … ON CONFLICT with the pg driver, 1,000 rows a statement, same data;
 *  2. GET /v1/songs?sort=-popularity&limit=50 over those rows through HTTP (sequential p95,
 *     concurrent throughput) next to the same SQL run directly.
 * Targets: repository within 2x of raw SQL; list p95 within 2x of the same SQL's p95 (issue 9).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { Song } from '../src/songs/song.entity';
import { SongColumns, SongRepository } from '../src/songs/song.repository';
import { setupApp } from '../src/setup-app';
import { createTestDatabase } from '../test/helpers/database';
import { freePort } from '../test/helpers/free-port';
import { BENCH_API_KEY, benchServiceEnv, base62, ms, mulberry32, printTable, summarise } from './support';

type Summary = ReturnType<typeof summarise>;

const TOTAL = Number(process.env.BENCH_SONGS ?? 100_000);
const BATCH = 1_000;
const API_KEY = BENCH_API_KEY;

function makeSongs(seed: number): SongColumns[] {
  const random = mulberry32(seed);
  return Array.from({ length: TOTAL }, (_, i) => ({
    title: `Song ${i} ${base62(random, 6)}`,
    artist: `Artist ${Math.floor(random() * 5000)}`,
    album: `Album ${Math.floor(random() * 20000)}`,
    duration_ms: 90_000 + Math.floor(random() * 300_000),
    isrc: `US${base62(random, 3).toUpperCase()}${String(Math.floor(random() * 1e7)).padStart(7, '0')}`,
    spotify_track_id: base62(random, 22),
    energy: Math.round(random() * 1000) / 1000,
    danceability: Math.round(random() * 1000) / 1000,
    valence: Math.round(random() * 1000) / 1000,
  }));
}

const COLUMNS = ['title', 'artist', 'album', 'duration_ms', 'isrc', 'spotify_track_id', 'energy', 'danceability', 'valence'];

async function rawUpsert(client: Client, rows: SongColumns[]): Promise<void> {
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${COLUMNS.map((c) => `$${params.push(row[c])}`).join(', ')})`);
  await client.query(
    `INSERT INTO songs (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
     ON CONFLICT (spotify_track_id) DO UPDATE SET
     ${COLUMNS.filter((c) => c !== 'spotify_track_id').map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = CURRENT_TIMESTAMP`,
    params,
  );
}

async function timeBatches(rows: SongColumns[], write: (batch: SongColumns[]) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) await write(rows.slice(i, i + BATCH));
  return performance.now() - start;
}

/**
 * A server in a process of its own, so the client's work (sending, parsing 50 songs) is not on
 * its event loop: the compiled service (`node dist/main.js`, as in production) or the floor.
 */
async function startProcess(
  args: string[],
  env: Record<string, string>,
  probe: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), METRICS_PORT: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const live = await fetch(`http://127.0.0.1:${port}${probe}`, { headers: { authorization: `Bearer ${API_KEY}` } })
      .then((r) => r.ok)
      .catch(() => false);
    if (live) break;
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    await sleep(100);
  }
  return {
    port,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
  };
}

/** One GET over a kept-alive connection with node:http (lighter than fetch), checked like a caller would. */
function httpGetter(port: number, path: string): () => Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${API_KEY}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: unknown[] };
          if (res.statusCode !== 200 || body.items.length !== 50) reject(new Error(`unexpected answer ${res.statusCode}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
}

async function main(): Promise<void> {
  const [repoDb, rawDb] = [await createTestDatabase('bench_repo'), await createTestDatabase('bench_raw')];
  const orm = await MikroORM.init(createOrmConfig(repoDb.url));
  const rawOrm = await MikroORM.init(createOrmConfig(rawDb.url));
  await orm.getMigrator().up();
  await rawOrm.getMigrator().up();
  await rawOrm.close(true);
  const raw = new Client({ connectionString: rawDb.url });
  await raw.connect();
  let app: NestExpressApplication | undefined;
  try {
    const songs = makeSongs(42);
    // warm both paths so neither pays for connecting or planning first
    await rawUpsert(raw, songs.slice(0, 10));
    const repo = orm.em.fork().getRepository(Song) as SongRepository;
    await repo.bulkUpsert(songs.slice(0, 10).map((s, index) => ({ index, columns: { ...s } })));

    const rawInsertMs = await timeBatches(songs, (b) => rawUpsert(raw, b));
    const repoInsertMs = await timeBatches(songs, (b) =>
      (orm.em.fork().getRepository(Song) as SongRepository).bulkUpsert(b.map((s, index) => ({ index, columns: { ...s } }))),
    );
    // second pass: every row now conflicts and updates
    const rawUpdateMs = await timeBatches(songs, (b) => rawUpsert(raw, b));
    const repoUpdateMs = await timeBatches(songs, (b) =>
      (orm.em.fork().getRepository(Song) as SongRepository).bulkUpsert(b.map((s, index) => ({ index, columns: { ...s } }))),
    );
    const rate = (n: number) => `${Math.round(TOTAL / (n / 1000)).toLocaleString('en')} rows/s`;
    printTable(`Bulk upsert of ${TOTAL.toLocaleString('en')} songs, ${BATCH} a statement`, [
      ['path', 'insert', 'update', 'ratio to raw (insert / update)'],
      ['raw SQL (pg)', `${ms(rawInsertMs)} (${rate(rawInsertMs)})`, `${ms(rawUpdateMs)} (${rate(rawUpdateMs)})`, '1.00x / 1.00x (baseline)'],
      [
        'SongRepository.bulkUpsert',
        `${ms(repoInsertMs)} (${rate(repoInsertMs)})`,
        `${ms(repoUpdateMs)} (${rate(repoUpdateMs)})`,
        `${(repoInsertMs / rawInsertMs).toFixed(2)}x / ${(repoUpdateMs / rawUpdateMs).toFixed(2)}x (target < 2x)`,
      ],
    ]);

    // popularity for the list benchmark: 80% of songs have one
    await raw.query('SELECT 1');
    const pg = new Client({ connectionString: repoDb.url });
    await pg.connect();
    await pg.query(`UPDATE songs SET spotify_popularity = (abs(hashtext(id::text)) % 101)
                     WHERE abs(hashtext(id::text)) % 5 <> 0`);
    await pg.query('VACUUM ANALYZE songs');

    const serviceEnv = benchServiceEnv(repoDb.url);
    const config = parseEnv(serviceEnv);
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
    setupApp(app);
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/v1/songs?sort=-popularity&limit=50`.replace('[::1]', '127.0.0.1');
    const get = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${API_KEY}` } });
      const body = (await res.json()) as { items: unknown[] };
      if (res.status !== 200 || body.items.length !== 50) throw new Error(`unexpected answer ${res.status}`);
    };
    const sql = `SELECT * FROM songs WHERE spotify_popularity IS NOT NULL ORDER BY spotify_popularity DESC, id DESC LIMIT 51`;
    const direct = async () => {
      await pg.query(sql);
    };

    const sample = async (fn: () => Promise<void>, n: number) => {
      for (let i = 0; i < 50; i++) await fn(); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        await fn();
        samples.push(performance.now() - start);
      }
      return summarise(samples);
    };
    const sampleInTurn = async (fns: (() => Promise<void>)[], n: number) => {
      for (let i = 0; i < 50; i++) for (const fn of fns) await fn(); // warm-up
      const samples: number[][] = fns.map(() => []);
      for (let i = 0; i < n; i++) {
        for (const [k, fn] of fns.entries()) {
          const start = performance.now();
          await fn();
          samples[k].push(performance.now() - start);
        }
      }
      return samples.map(summarise);
    };
    const throughput = async (fn: () => Promise<void>, concurrency: number, total: number) => {
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await fn();
        }),
      );
      return total / ((performance.now() - start) / 1000);
    };
    const httpLatency = await sample(get, 500);
    const sqlLatency = await sample(direct, 500);
    const httpRps = await throughput(get, 8, 2_000);
    await app.close();
    app = undefined;

    // the same route served by `node dist/main.js` in a process of its own (what a caller sees),
    // beside the floor (a bare node:http server running the route's SQL) and the SQL itself,
    // sampled request by request in turn so that all three see the same moments of this shared machine
    const listPath = '/v1/songs?sort=-popularity&limit=50';
    const listSql = (orm.em.fork().getRepository(Song) as SongRepository).buildListQuery({ sort: '-popularity', limit: 50 }).toSQL().toNative();
    const service = await startProcess([join(__dirname, '..', 'dist', 'main.js')], serviceEnv, '/health/live');
    const floor = await startProcess(
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'list-floor.server.ts')],
      { DATABASE_URL: repoDb.url, LIST_SQL: JSON.stringify(listSql) },
      '/list',
    );
    let apart: { service: Summary; floor: Summary; sql: Summary; rps: number };
    try {
      const getService = httpGetter(service.port, listPath);
      const [serviceLatency, floorLatency, sqlLatency] = await sampleInTurn([getService, httpGetter(floor.port, '/list'), direct], 1_000);
      apart = { service: serviceLatency, floor: floorLatency, sql: sqlLatency, rps: await throughput(getService, 8, 2_000) };
    } finally {
      await service.stop();
      await floor.stop();
    }
    const plan = await pg.query(`EXPLAIN ${sql}`);
    const verdict = (http: number, base: number) => `${(http / base).toFixed(2)}x the SQL's p95 (target < 2x): ${http < 2 * base ? 'met' : 'MISSED'}`;
    printTable(`GET /v1/songs?sort=-popularity&limit=50 over ${TOTAL.toLocaleString('en')} songs`, [
      ['path', 'p50 / p95 / p99 (sequential, 500)', 'throughput', 'target'],
      ['same SQL, pg driver', `${ms(sqlLatency.p50)} / ${ms(sqlLatency.p95)} / ${ms(sqlLatency.p99)}`, '-', 'baseline'],
      [
        'HTTP, fetch client in the server\'s own process',
        `${ms(httpLatency.p50)} / ${ms(httpLatency.p95)} / ${ms(httpLatency.p99)}`,
        `${Math.round(httpRps)} req/s (8 concurrent, 2,000)`,
        verdict(httpLatency.p95, sqlLatency.p95),
      ],
      ['same SQL again, pg driver (the three rows below in turn, 1,000 each)', `${ms(apart.sql.p50)} / ${ms(apart.sql.p95)} / ${ms(apart.sql.p99)}`, '-', 'baseline'],
      [
        'floor: bare node:http + pg running the route\'s SQL, own process',
        `${ms(apart.floor.p50)} / ${ms(apart.floor.p95)} / ${ms(apart.floor.p99)}`,
        '-',
        `${(apart.floor.p95 / apart.sql.p95).toFixed(2)}x the SQL's p95 (no framework: what any HTTP server pays here)`,
      ],
      [
        'HTTP, node dist/main.js in its own process',
        `${ms(apart.service.p50)} / ${ms(apart.service.p95)} / ${ms(apart.service.p99)}`,
        `${Math.round(apart.rps)} req/s (8 concurrent, 2,000)`,
        `${verdict(apart.service.p95, apart.sql.p95)}; ${(apart.service.p95 / apart.floor.p95).toFixed(2)}x the floor's`,
      ],
    ]);
    console.log(`  plan: ${plan.rows.map((r) => r['QUERY PLAN'].trim()).slice(0, 3).join(' | ')}`);
    await pg.end();
  } finally {
    await app?.close();
    await raw.end();
    await orm.close(true);
    await repoDb.drop();
    await rawDb.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
