import type { FreshnessColumn, LinkedSong, SongEnrichmentService } from '../../songs/song-enrichment.service';
import { JobParametersError, staleAfterMs } from '../parameters/job-parameters';
import type { CapabilitiesReport } from '../../spotify/spotify.types';
import { AUDIO_FEATURES_BATCH_SIZE, TRACKS_BATCH_SIZE } from '../../spotify/spotify.types';
import type { HandlerOutcome, JobRunContext } from './sync-job.context';

export const NO_POPULARITY = 'Spotify gives no popularity to this app (development access tier); nothing to update';

/** Requests a chunk of n songs costs in this tier (tracks, then audio features where they exist). */
export function requestCost(n: number, report: CapabilitiesReport, withFeatures: boolean): number {
  if (n <= 0) return 0;
  const tracks = report.available.batchTracks === false ? n : Math.ceil(n / TRACKS_BATCH_SIZE);
  const features = withFeatures && report.available.audioFeatures !== false ? Math.ceil(n / AUDIO_FEATURES_BATCH_SIZE) : 0;
  return tracks + features;
}

/** The largest chunk, up to `wanted`, that fits in the remaining request budget. */
export function fitToBudget(wanted: number, remaining: number, cost: (n: number) => number): number {
  let low = 0;
  let high = wanted;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cost(mid) <= remaining) low = mid;
    else high = mid - 1;
  }
  return low;
}

type ChunkedJob = 'track_sync' | 'popularity_update';

export interface ChunkedSyncOptions {
  mode: 'full' | 'popularity';
  chunkSize: number;
  /** the next songs to process, stalest first; processed songs must drop out of it */
  nextChunk(limit: number): Promise<LinkedSong[]>;
  report(): Promise<CapabilitiesReport>;
}

/**
 * Streams through songs a chunk at a time (never the whole table), saving progress and the
 * checkpoint after each chunk, honouring `parameters.maxRequests`, and stopping at a chunk
 * boundary when the worker shuts down.
 */
export async function runChunkedSync(
  ctx: JobRunContext<ChunkedJob>,
  enrichment: SongEnrichmentService,
  options: ChunkedSyncOptions,
): Promise<HandlerOutcome> {
  const maxRequests = ctx.parameters.maxRequests;
  const notes = new Set<string>();
  for (;;) {
    if (ctx.stopping()) return { kind: 'interrupted' };
    let limit = options.chunkSize;
    if (maxRequests !== undefined) {
      const report = await options.report();
      const used = ctx.checkpoint.requestsUsed ?? 0;
      limit = fitToBudget(limit, maxRequests - used, (n) => requestCost(n, report, options.mode === 'full'));
      if (limit === 0) {
        const left = ctx.progress.total === null ? '' : `; ${ctx.progress.total - ctx.progress.done - ctx.progress.failed} songs left for a later run`;
        return { kind: 'completed', resultMessage: `Stopped at the request budget (maxRequests ${maxRequests})${left}` };
      }
      ctx.checkpoint.requestsUsed = used + requestCost(limit, report, options.mode === 'full');
    }
    const songs = await options.nextChunk(limit);
    if (!songs.length) break;
    const fetched = await enrichment.fetchTracks(songs, options.mode);
    // the chunk's writes and its checkpoint commit together: a crash redoes the chunk or none of it
    const result = await ctx.em.transactional(async (tx) => {
      const written = await enrichment.writeTracks(tx, fetched);
      const failures = written.gone.map((s) => ({ itemId: s.id, reason: `Spotify does not know track ${s.spotifyTrackId}` }));
      await ctx.recordFailures(failures, tx);
      ctx.progress.done += written.done;
      ctx.progress.failed += failures.length;
      await ctx.save(tx);
      return written;
    });
    if (result.audioFeaturesUnavailable) notes.add(`Audio features not stored: ${result.audioFeaturesUnavailable}`);
    if (options.mode === 'popularity' && result.popularityMissing) {
      return { kind: 'completed', resultMessage: NO_POPULARITY };
    }
  }
  return { kind: 'completed', resultMessage: notes.size ? [...notes].join('; ') : undefined };
}

export interface StaleSyncOptions {
  mode: 'full' | 'popularity';
  /** the column that says how fresh a song is */
  column: FreshnessColumn;
  chunkSize: number;
  report(): Promise<CapabilitiesReport>;
}

/**
 * Every linked song whose `column` is empty or older than the cutoff, stalest first. The cutoff is
 * fixed when the run starts (kept in the checkpoint), and a synced song's fresh time passes it, so
 * each chunk is simply the next stalest: no offset to lose on a restart.
 */
export async function runStaleSync(
  ctx: JobRunContext<ChunkedJob>,
  enrichment: SongEnrichmentService,
  options: StaleSyncOptions,
): Promise<HandlerOutcome> {
  const staleAfter = staleAfterMs(ctx.parameters.staleAfter);
  if (staleAfter === null) {
    throw new JobParametersError([{ field: 'parameters.staleAfter', reasons: ['a run over stale songs needs staleAfter'] }]);
  }
  ctx.checkpoint.cutoff ??= new Date(Date.now() - staleAfter).toISOString();
  const cutoff = new Date(ctx.checkpoint.cutoff);
  if (ctx.progress.total === null) {
    ctx.progress.total = await enrichment.countStale(ctx.em, options.column, cutoff);
    await ctx.save();
  }
  return runChunkedSync(ctx, enrichment, {
    mode: options.mode,
    chunkSize: options.chunkSize,
    report: options.report,
    nextChunk: (limit) => enrichment.nextStale(ctx.em, options.column, cutoff, limit),
  });
}
