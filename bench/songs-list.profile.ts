/**
 * Where a GET /v1/songs costs CPU (issue 9). Not part of `npm run bench`; run it under the profiler:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof -r ts-node/register/transpile-only bench/songs-list.profile.ts
 * It seeds 100,000 songs, serves the app in this process, and prints wall time and CPU time a
 * request for each layer: the SQL alone, the repository, an empty route (/health/live), the list.
 * CPU time a request varies less than wall time on a shared machine.
 */
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { performance } from 'node:perf_hooks';
import { AppModule } from '../src/app.module';
import { parseEnv } from '../src/config/app-config';
import { createOrmConfig } from '../src/config/mikro-orm.config';
import { setupApp } from '../src/setup-app';
import { Song } from '../src/songs/song.entity';
import { SongRepository } from '../src/songs/song.repository';
import { createMigratedDatabase, withClient } from '../test/helpers/database';
import { BENCH_API_KEY, benchServiceEnv, ms, summarise } from './support';

const API_KEY = BENCH_API_KEY;
const N = Number(process.env.PROFILE_REQUESTS ?? 1_000);
const LIST_SQL = 'SELECT * FROM songs WHERE spotify_popularity IS NOT NULL ORDER BY spotify_popularity DESC, id DESC LIMIT 51';

async function main(): Promise<void> {
  const db = await createMigratedDatabase('bench_list_profile');
  const orm = await MikroORM.init(createOrmConfig(db.url));
  let app: NestExpressApplication | undefined;
  try {
    await withClient(db.url, async (pg) => {
      await pg.query(`
        INSERT INTO songs (title, artist, album, duration_ms, spotify_track_id, energy, danceability, valence, spotify_popularity)
        SELECT 'Song ' || g, 'Artist ' || (g % 5000), 'Album ' || (g % 20000), 90000 + g, substr(md5(g::text) || md5(g::text), 1, 22),
               (g % 1000) / 1000.0, (g % 999) / 1000.0, (g % 998) / 1000.0, CASE WHEN g % 5 <> 0 THEN g % 101 END
          FROM generate_series(1, 100000) g`);
      await pg.query('VACUUM ANALYZE songs');
    });
    const config = parseEnv(benchServiceEnv(db.url));
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
    setupApp(app);
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const headers = { authorization: `Bearer ${API_KEY}` };
    const em = app.get(EntityManager);

    const layers: [string, () => Promise<unknown>][] = [
      ['same SQL (MikroORM connection)', () => orm.em.getConnection().execute(LIST_SQL)],
      ['SongRepository.list', () => (em.fork().getRepository(Song) as SongRepository).list({ sort: '-popularity', limit: 50 })],
      ['GET /health/live', async () => (await fetch(`${base}/health/live`)).text()],
      ['GET /v1/songs?sort=-popularity&limit=50', async () => (await fetch(`${base}/v1/songs?sort=-popularity&limit=50`, { headers })).json()],
    ];
    for (const [label, fn] of layers) {
      for (let i = 0; i < 100; i++) await fn();
      const samples: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        const start = performance.now();
        await fn();
        samples.push(performance.now() - start);
      }
      const used = process.cpuUsage(cpu);
      const { p50, p95 } = summarise(samples);
      console.log(`${label.padEnd(42)} p50 ${ms(p50)}  p95 ${ms(p95)}  CPU ${((used.user + used.system) / N / 1000).toFixed(2)} ms a request`);
    }
  } finally {
    await app?.close();
    await orm.close(true);
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
