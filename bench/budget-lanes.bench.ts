/**
 * Lanes + budget benchmark (issue 12, job side): the whole service (API, workers, schedules off) on
 * its own database runs a development-tier track_sync sweep of BENCH_LANES_SONGS songs (10,000) against
 * a sandbox that allows BENCH_LANES_LIMIT requests per rolling 30 s (600; not told to the service) with
 * 20 ms latency, while a single-song sync (POST /v1/songs/:id/spotify/sync) is fired every 2 s and
 * followed until its job completes. Each variant runs BENCH_LANES_SECONDS (120 s: the sweep of 10,000
 * needs ~17 min at 600/30 s, so the figures are over the first part of it). Variants, in one process:
 *   budget auto + lanes on   (this release)
 *   budget off  + lanes off  (before issue 12: only the 429 pause, one queue)
 * Prints answered requests/s against the limit (after the first minute), 429s after the first minute,
 * and single-song sync latency (request → job completed) p50/p95; syncs unfinished at the end count
 * with the time they had waited.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox } from '../sandbox/sandbox-server';
import { sandboxEnv } from '../test/helpers/sandbox-env';
import { createTestApp } from '../test/helpers/test-app';
import { printTable, summarise } from './support';

const LIMIT = Number(process.env.BENCH_LANES_LIMIT ?? 600);
const SECONDS = Number(process.env.BENCH_LANES_SECONDS ?? 120);
const SONGS = Number(process.env.BENCH_LANES_SONGS ?? 10_000);
const LATENCY_MS = 20;
const SINGLE_EVERY_MS = 2_000;

interface Variant {
  name: string;
  env: Record<string, string>;
}

async function run(variant: Variant) {
  const sandbox = await startSandbox({ tier: 'development', catalogueSize: SONGS, latencyMs: LATENCY_MS, clientId: `bench-lanes-${variant.env.JOB_LANES}` });
  const t = await createTestApp(`bench_lanes_${variant.env.JOB_LANES}`, {
    ...sandboxEnv(sandbox),
    NODE_ENV: 'production',
    SPOTIFY_ACCESS_TIER: 'development',
    ...variant.env,
  });
  try {
    for (let from = 0; from < SONGS; from += 1_000) {
      const tracks = sandbox.catalogue.slice(from, from + 1_000);
      await t
        .api()
        .post('/v1/songs/bulk')
        .send({ songs: tracks.map((track) => ({ title: track.name, artist: track.artists[0].name, spotifyTrackId: track.id })) })
        .expect(200);
    }
    await sandbox.admin.reset();
    await sandbox.admin.configure({ latencyMs: LATENCY_MS, rateLimitPer30s: LIMIT });

    const started = Date.now();
    const until = started + SECONDS * 1000;
    const sweep = await t.api().post('/v1/sync-jobs').send({ type: 'track_sync' }).expect(202);
    const latencies: number[] = [];
    const latenciesAfterMinute: number[] = [];
    let unfinished = 0;
    let withoutSong = 0;
    const singles: Promise<void>[] = [];
    for (let i = 1; Date.now() < until - 5_000; i++) {
      await sleep(SINGLE_EVERY_MS);
      // a song from the far end of the catalogue, picked by Spotify id
      const track = sandbox.catalogue[SONGS - i * 7];
      singles.push(
        (async () => {
          const t0 = Date.now();
          const record = (ms: number) => {
            latencies.push(ms);
            if (t0 >= started + 60_000) latenciesAfterMinute.push(ms);
          };
          const { body: song } = await t.api().get(`/v1/songs/by-spotify-id/${track.id}`).expect(200);
          const { body: job } = await t.api().post(`/v1/songs/${song.id}/spotify/sync`);
          for (;;) {
            const { body: now } = await t.api().get(`/v1/sync-jobs/${job.id}`).expect(200);
            if (['completed', 'failed', 'cancelled'].includes(now.status)) {
              record(Date.now() - t0);
              if (now.status !== 'completed' || now.progress.done !== 1) withoutSong += 1;
              return;
            }
            if (Date.now() > until) {
              record(Date.now() - t0);
              unfinished += 1;
              return;
            }
            await sleep(50);
          }
        })(),
      );
    }
    await Promise.all(singles);
    const ended = Date.now();
    const log = (await sandbox.admin.requests()).filter((r) => r.endpoint.startsWith('GET /v1'));
    const afterMinute = (r: { at: number }) => r.at >= started + 60_000 && r.at <= ended;
    const answered = log.filter((r) => r.status === 200);
    const limited = log.filter((r) => r.status === 429);
    const { body: sweepNow } = await t.api().get(`/v1/sync-jobs/${sweep.body.id}`).expect(200);
    const { body: capabilities } = await t.api().get('/v1/spotify/capabilities').expect(200);
    const window = (ended - started - 60_000) / 1000;
    return {
      name: variant.name,
      perSecondAfterMinute: answered.filter(afterMinute).length / window,
      limited: limited.length,
      limitedAfterMinute: limited.filter(afterMinute).length,
      window,
      swept: sweepNow.progress.done as number,
      learnt: capabilities.budget?.per30s ?? null,
      singles: summarise(latencies),
      singlesAfterMinute: latenciesAfterMinute.length ? summarise(latenciesAfterMinute) : null,
      unfinished,
      withoutSong,
    };
  } finally {
    await t.close();
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const variants: Variant[] = [
    { name: 'budget auto, lanes on', env: { SPOTIFY_REQUEST_BUDGET: 'auto', JOB_LANES: 'on' } },
    { name: 'budget off, lanes off (before)', env: { SPOTIFY_REQUEST_BUDGET: 'off', JOB_LANES: 'off' } },
  ];
  const results = [];
  for (const variant of variants) results.push(await run(variant));
  const limitPerSecond = LIMIT / 30;
  printTable(
    `Lanes + budget: development-tier sweep of ${SONGS} songs, sandbox limit ${LIMIT}/30 s (not told), ${LATENCY_MS} ms latency, a single-song sync every ${SINGLE_EVERY_MS / 1000} s, ${SECONDS} s a variant`,
    [
      ['variant', 'answered req/s after 1st minute vs limit (songs swept)', '429s (after 1st minute; per 5 min)', 'single-song sync p50 / p95 all (n; unfinished; done without song) | fired after 1st minute, learnt per30s'],
      ...results.map((r): [string, string, string, string] => [
        r.name,
        `${r.perSecondAfterMinute.toFixed(2)} of ${limitPerSecond.toFixed(2)}: ${((100 * r.perSecondAfterMinute) / limitPerSecond).toFixed(1)} % (${r.swept})`,
        `${r.limited} (${r.limitedAfterMinute}; ${((r.limitedAfterMinute * 300) / r.window).toFixed(2)})`,
        `${r.singles.p50} / ${r.singles.p95} ms (${r.singles.n}; ${r.unfinished}; ${r.withoutSong}) | ` +
          `${r.singlesAfterMinute ? `${r.singlesAfterMinute.p50} / ${r.singlesAfterMinute.p95} ms (${r.singlesAfterMinute.n})` : '-'}, ${r.learnt ?? '-'}`,
      ]),
    ],
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
