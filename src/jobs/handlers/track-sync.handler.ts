import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyCapabilitiesService } from '../../spotify/spotify-capabilities.service';
import { runChunkedSync, runStaleSync } from '../runner/chunked-sync';
import { JobAccountingError } from '../runner/job-errors';
import { advance, windowToProcess } from '../runner/named-window';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from '../runner/sync-job.context';

/**
 * track_sync: the songs named (targetId or parameters.songIds), or every linked song that is
 * unsynced or synced before the cutoff fixed when the run started (now − staleAfter).
 */
@Injectable()
export class TrackSyncHandler implements SyncJobHandler<'track_sync'> {
  constructor(
    private readonly enrichment: SongEnrichmentService,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  run(ctx: JobRunContext<'track_sync'>): Promise<HandlerOutcome> {
    const named = ctx.job.targetId ? [ctx.job.targetId] : ctx.parameters.songIds;
    return named ? this.runNamed(ctx, named) : this.runStale(ctx);
  }

  /**
   * The named songs in order, a window of `limit` at a time from `checkpoint.position`; ones that are
   * gone or unlinked are failed items, the rest are synced. Songs of the window settled before a
   * rate-limit pause are kept in `checkpoint.settled` until the whole window is, so they are not
   * asked for again. The job completes only when every named song is done or a failed item.
   */
  private async runNamed(ctx: JobRunContext<'track_sync'>, songIds: string[]): Promise<HandlerOutcome> {
    if (ctx.progress.total !== songIds.length) {
      ctx.progress.total = songIds.length;
      await ctx.save();
    }
    const outcome = await runChunkedSync(ctx, this.enrichment, {
      mode: 'full',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
      nextChunk: async (limit) => {
        const at = { position: ctx.checkpoint.position ?? 0, settled: ctx.checkpoint.settled ?? [] };
        const { window, todo } = windowToProcess(songIds, at, limit);
        if (!window.length) return null;
        const trackBySong = await this.enrichment.findLinks(ctx.em, todo);
        const failures = todo
          .filter((id) => !trackBySong.get(id))
          .map((id) => ({ itemId: id, reason: trackBySong.has(id) ? 'Song is not linked to a Spotify track' : 'Song no longer exists' }));
        const songs = todo.filter((id) => trackBySong.get(id)).map((id) => ({ id, spotifyTrackId: trackBySong.get(id)! }));
        return {
          songs,
          failures,
          commit: (settled) => {
            const next = advance(songIds, at, window, settled);
            ctx.checkpoint.position = next.position;
            ctx.checkpoint.settled = next.settled;
          },
        };
      },
    });
    if (outcome.kind === 'completed' && !ctx.parameters.maxRequests && ctx.progress.done + ctx.progress.failed !== songIds.length) {
      throw new JobAccountingError(
        `Only ${ctx.progress.done + ctx.progress.failed} of the ${songIds.length} named songs were synced or recorded as failed`,
      );
    }
    return outcome;
  }

  private runStale(ctx: JobRunContext<'track_sync'>): Promise<HandlerOutcome> {
    return runStaleSync(ctx, this.enrichment, {
      mode: 'full',
      column: 'spotify_last_sync',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
    });
  }
}
