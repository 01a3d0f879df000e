import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SpotifyCapabilitiesService } from '../spotify/spotify-capabilities.service';
import { runChunkedSync } from './chunked-sync';
import { parseIsoDuration } from './iso-duration';
import { LinkedSong, SongEnrichmentService } from './song-enrichment.service';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from './sync-job.context';

/**
 * track_sync: the songs named (targetId or parameters.songIds), or every linked song that is
 * unsynced or synced before the cutoff fixed when the run started (now − staleAfter).
 */
@Injectable()
export class TrackSyncHandler implements SyncJobHandler {
  constructor(
    private readonly enrichment: SongEnrichmentService,
    private readonly capabilities: SpotifyCapabilitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  run(ctx: JobRunContext): Promise<HandlerOutcome> {
    const params = ctx.job.parameters ?? {};
    const named = ctx.job.targetId ? [ctx.job.targetId] : (params.songIds as string[] | undefined);
    return named ? this.runNamed(ctx, named) : this.runStale(ctx, String(params.staleAfter));
  }

  private async runNamed(ctx: JobRunContext, songIds: string[]): Promise<HandlerOutcome> {
    ctx.progress.total = songIds.length;
    return runChunkedSync(ctx, this.enrichment, {
      mode: 'full',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
      nextChunk: async (limit) => {
        const position = (ctx.checkpoint.position as number | undefined) ?? 0;
        const ids = songIds.slice(position, position + limit);
        if (!ids.length) return [];
        const rows = await ctx.em.getConnection().execute<{ id: string; spotify_track_id: string | null }[]>(
          'SELECT id, spotify_track_id FROM songs WHERE id = ANY(?::uuid[])',
          [`{${ids.join(',')}}`],
        );
        const byId = new Map(rows.map((row) => [row.id, row.spotify_track_id]));
        const failures = ids
          .filter((id) => !byId.get(id))
          .map((id) => ({ itemId: id, reason: byId.has(id) ? 'Song is not linked to a Spotify track' : 'Song no longer exists' }));
        if (failures.length) {
          await ctx.recordFailures(failures);
          ctx.progress.failed += failures.length;
        }
        ctx.checkpoint.position = position + ids.length;
        const linked = ids.filter((id) => byId.get(id)).map((id) => ({ id, spotifyTrackId: byId.get(id)! }));
        // a chunk of only unlinked songs still has to move the position on
        if (!linked.length) {
          await ctx.save();
          return position + ids.length < songIds.length ? this.nextNonEmpty(ctx, songIds, limit) : [];
        }
        return linked;
      },
    });
  }

  private async nextNonEmpty(ctx: JobRunContext, songIds: string[], limit: number): Promise<LinkedSong[]> {
    const position = ctx.checkpoint.position as number;
    const ids = songIds.slice(position, position + limit);
    const rows = await ctx.em.getConnection().execute<{ id: string; spotify_track_id: string | null }[]>(
      'SELECT id, spotify_track_id FROM songs WHERE id = ANY(?::uuid[]) AND spotify_track_id IS NOT NULL',
      [`{${ids.join(',')}}`],
    );
    const linked = new Set(rows.map((r) => r.id));
    const failures = ids.filter((id) => !linked.has(id)).map((id) => ({ itemId: id, reason: 'Song is not linked to a Spotify track or no longer exists' }));
    await ctx.recordFailures(failures);
    ctx.progress.failed += failures.length;
    ctx.checkpoint.position = position + ids.length;
    if (!rows.length && position + ids.length < songIds.length) return this.nextNonEmpty(ctx, songIds, limit);
    return rows.map((r) => ({ id: r.id, spotifyTrackId: r.spotify_track_id! }));
  }

  private async runStale(ctx: JobRunContext, staleAfter: string): Promise<HandlerOutcome> {
    if (!ctx.checkpoint.cutoff) {
      ctx.checkpoint.cutoff = new Date(Date.now() - (parseIsoDuration(staleAfter) ?? 0)).toISOString();
    }
    const cutoff = String(ctx.checkpoint.cutoff);
    const where = `spotify_track_id IS NOT NULL AND spotify_track_gone_at IS NULL
                   AND (spotify_last_sync IS NULL OR spotify_last_sync < ?::timestamp)`;
    if (ctx.progress.total === null) {
      const [{ n }] = await ctx.em.getConnection().execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM songs WHERE ${where}`, [cutoff]);
      ctx.progress.total = n;
      await ctx.save();
    }
    return runChunkedSync(ctx, this.enrichment, {
      mode: 'full',
      chunkSize: this.config.jobs.chunkSize,
      report: () => this.capabilities.report(),
      // synced songs leave the set (their sync time passes the cutoff), so each chunk is the next stalest
      nextChunk: async (limit) =>
        (
          await ctx.em.getConnection().execute<{ id: string; spotify_track_id: string }[]>(
            `SELECT id, spotify_track_id FROM songs WHERE ${where}
              ORDER BY spotify_last_sync ASC NULLS FIRST, id LIMIT ?`,
            [cutoff, limit],
          )
        ).map((row) => ({ id: row.id, spotifyTrackId: row.spotify_track_id })),
    });
  }
}
