import type { FreshnessColumn, LinkedSong, SongEnrichmentService } from '../../songs/song-enrichment.service';
import { JobParametersError, staleAfterMs } from '../parameters/job-parameters';
import type { CapabilitiesReport } from '../../spotify/spotify.types';
import type { SpotifyRateLimitedError } from '../../spotify/spotify.errors';
import { SpotifyBudgetExhaustedError } from '../../spotify/budget/spotify-request-budget';
import { AUDIO_FEATURES_BATCH_SIZE, TRACKS_BATCH_SIZE } from '../../spotify/spotify.types';
import { JobAccountingError } from './job-errors';
import type { HandlerOutcome, ItemFailure, JobRunContext } from './sync-job.context';

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

/** The next songs of a run, the ones it already knows are failed items, and how to move past them. */
export interface SyncChunk {
  songs: LinkedSong[];
  /** songs of this chunk that fail without asking Spotify (gone from the database, not linked) */
  failures: ItemFailure[];
  /**
   * Moves the checkpoint past the songs settled now (called inside the chunk's transaction, so it
   * is saved only if the chunk's writes commit). `settled` = song ids done or failed in this chunk.
   */
  commit(settled: string[]): void;
}

export interface ChunkedSyncOptions {
  mode: 'full' | 'popularity';
  chunkSize: number;
  /** the next songs to process, stalest first (settled songs must drop out of it); null when none are left */
  nextChunk(limit: number): Promise<SyncChunk | null>;
  report(): Promise<CapabilitiesReport>;
}

/**
 * Streams through songs a chunk at a time (never the whole table). A chunk's song writes, its
 * failed items, its progress and its checkpoint commit in one transaction, so the checkpoint moves
 * only past songs that are written or recorded as failed: a chunk whose write fails is redone, never
 * skipped. Under a long rate-limit pause the songs settled before it commit first, then the pause is
 * thrown (the job is delayed and asks for the rest later). Honours `parameters.maxRequests`, and stops
 * at a chunk boundary when the worker shuts down.
 */
export async function runChunkedSync(
  ctx: JobRunContext<ChunkedJob>,
  enrichment: SongEnrichmentService,
  options: ChunkedSyncOptions,
): Promise<HandlerOutcome> {
  const maxRequests = ctx.parameters.maxRequests;
  const notes = new Set<string>();
  let featuresIncomplete = 0;
  for (;;) {
    if (ctx.stopping()) return { kind: 'interrupted' };
    await ctx.yieldToInteractive();
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
    const chunk = await options.nextChunk(limit);
    if (!chunk) break;
    const fetched = await enrichment.fetchTracks(chunk.songs, options.mode);
    if (options.mode === 'popularity' && fetched.updates.length && fetched.updates.every((u) => u.popularity === null)) {
      return { kind: 'completed', resultMessage: NO_POPULARITY };
    }
    const pending = new Set((fetched.interrupted?.pending ?? []).map((s) => s.id));
    await ctx.em.transactional(async (tx) => {
      const written = await enrichment.writeTracks(tx, fetched);
      const failures: ItemFailure[] = [
        ...chunk.failures,
        ...written.gone.map((s) => ({ itemId: s.id, reason: `Spotify does not know track ${s.spotifyTrackId}` })),
        ...written.failed.map((f) => ({ itemId: f.id, reason: f.reason })),
      ];
      const settled = chunk.songs.filter((s) => !pending.has(s.id)).length;
      if (written.done + failures.length - chunk.failures.length !== settled) {
        throw new JobAccountingError(`A chunk settled ${written.done + failures.length - chunk.failures.length} of its ${settled} songs; it will be redone`);
      }
      await ctx.recordFailures(failures, tx);
      ctx.progress.done += written.done;
      ctx.progress.failed += failures.length;
      chunk.commit([...chunk.failures.map((f) => f.itemId), ...chunk.songs.filter((s) => !pending.has(s.id)).map((s) => s.id)]);
      await ctx.save(tx);
      if (written.audioFeaturesUnavailable) notes.add(`Audio features not stored: ${written.audioFeaturesUnavailable}`);
      featuresIncomplete += written.featuresIncomplete;
    });
    // What was settled before the pause is committed. A short wait for the request budget (our own
    // pacing: nothing was refused) is waited out here, so the run keeps its worker and goes on with the
    // next chunk; a 429 pause or a long wait delays the job (it asks for the rest later).
    if (fetched.interrupted) {
      const error: SpotifyRateLimitedError = fetched.interrupted.error;
      if (!isBudgetWait(error) || !(await ctx.waitOut(error.retryAfterMs))) {
        if (ctx.stopping()) return { kind: 'interrupted' };
        throw error;
      }
    }
  }
  if (featuresIncomplete) notes.add(`${featuresIncomplete} songs' audio features came back incomplete and were not stored`);
  return { kind: 'completed', resultMessage: notes.size ? [...notes].join('; ') : undefined };
}

/** The shared request budget turned the request away before sending it (no 429 came). */
function isBudgetWait(error: SpotifyRateLimitedError): boolean {
  return error instanceof SpotifyBudgetExhaustedError;
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
    nextChunk: async (limit) => {
      const songs = await enrichment.nextStale(ctx.em, options.column, cutoff, limit);
      // a settled song drops out of the stale set (fresh time, gone flag or back-off), so no position to keep
      return songs.length ? { songs, failures: [], commit: () => undefined } : null;
    },
  });
}
