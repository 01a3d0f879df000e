import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyCapabilitiesService } from '../../spotify/spotify-capabilities.service';
import { runChunkedSync, runStaleSync } from '../runner/chunked-sync';
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

  /** The named songs in order; ones that are gone or unlinked are failed items, the rest are synced. */
  private async runNamed(ctx: JobRunContext<'track_sync'>, songIds: string[]): Promise<HandlerOutcome> {
    ctx.progress.total = songIds.length;
    return runChunkedSync(ctx, this.enrichment, {
      mode: 'full',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
      nextChunk: async (limit) => {
        for (;;) {
          const position = ctx.checkpoint.position ?? 0;
          const ids = songIds.slice(position, position + limit);
          if (!ids.length) return [];
          const trackBySong = await this.enrichment.findLinks(ctx.em, ids);
          const failures = ids
            .filter((id) => !trackBySong.get(id))
            .map((id) => ({ itemId: id, reason: trackBySong.has(id) ? 'Song is not linked to a Spotify track' : 'Song no longer exists' }));
          await ctx.recordFailures(failures);
          ctx.progress.failed += failures.length;
          ctx.checkpoint.position = position + ids.length;
          const linked = ids.filter((id) => trackBySong.get(id)).map((id) => ({ id, spotifyTrackId: trackBySong.get(id)! }));
          if (linked.length) return linked;
          await ctx.save(); // a chunk of only failures still moves the position on
        }
      },
    });
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
