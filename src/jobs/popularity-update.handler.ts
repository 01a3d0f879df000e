import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SpotifyCapabilitiesService } from '../spotify/spotify-capabilities.service';
import { runChunkedSync } from './chunked-sync';
import { parseIsoDuration } from './iso-duration';
import { SongEnrichmentService } from './song-enrichment.service';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from './sync-job.context';

export const NO_POPULARITY = 'Spotify gives no popularity to this app (development access tier); nothing to update';

/** popularity_update: popularity only, for linked songs whose last popularity update is older than the cutoff. */
@Injectable()
export class PopularityUpdateHandler implements SyncJobHandler {
  constructor(
    private readonly enrichment: SongEnrichmentService,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(ctx: JobRunContext): Promise<HandlerOutcome> {
    if ((await this.capabilities.report()).available.popularity === false) {
      return { kind: 'completed', resultMessage: NO_POPULARITY };
    }
    if (!ctx.checkpoint.cutoff) {
      const staleAfter = String(ctx.job.parameters?.staleAfter ?? 'PT24H');
      ctx.checkpoint.cutoff = new Date(Date.now() - (parseIsoDuration(staleAfter) ?? 0)).toISOString();
    }
    const cutoff = String(ctx.checkpoint.cutoff);
    const where = `spotify_track_id IS NOT NULL AND spotify_track_gone_at IS NULL
                   AND (last_popularity_update IS NULL OR last_popularity_update < ?::timestamp)`;
    if (ctx.progress.total === null) {
      const [{ n }] = await ctx.em.getConnection().execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM songs WHERE ${where}`, [cutoff]);
      ctx.progress.total = n;
      await ctx.save();
    }
    const outcome = await runChunkedSync(ctx, this.enrichment, {
      mode: 'popularity',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
      nextChunk: async (limit) =>
        (
          await ctx.em.getConnection().execute<{ id: string; spotify_track_id: string }[]>(
            `SELECT id, spotify_track_id FROM songs WHERE ${where}
              ORDER BY last_popularity_update ASC NULLS FIRST, id LIMIT ?`,
            [cutoff, limit],
          )
        ).map((row) => ({ id: row.id, spotifyTrackId: row.spotify_track_id })),
    });
    return outcome.kind === 'completed' && outcome.resultMessage?.includes('no popularity')
      ? { kind: 'completed', resultMessage: NO_POPULARITY }
      : outcome;
  }
}
