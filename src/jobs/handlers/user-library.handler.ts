import { Injectable } from '@nestjs/common';
import { SpotifyTokenService } from '../../connections/spotify-token.service';
import { SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyClient } from '../../spotify/spotify.client';
import { SpotifyUnauthorizedError } from '../../spotify/spotify.errors';
import type { SpotifySavedTracksPage } from '../../spotify/spotify.types';
import { SavedTrack } from '../records/saved-track.entity';
import type { SavedTrackRepository } from '../records/saved-track.repository';
import type { HandlerOutcome, JobRunContext, SyncJobHandler } from '../runner/sync-job.context';

/**
 * user_library: pages through the user's saved tracks with their token, creates or links the
 * songs, writes what the pages already carry (no second fetch of the same tracks), adds audio
 * features where the tier has them, and records which user saved which track so that a
 * re-import sees removals and an unchanged library costs one page.
 */
@Injectable()
export class UserLibraryHandler implements SyncJobHandler<'user_library'> {
  constructor(
    private readonly spotify: SpotifyClient,
    private readonly tokens: SpotifyTokenService,
    private readonly enrichment: SongEnrichmentService,
  ) {}

  async run(ctx: JobRunContext<'user_library'>): Promise<HandlerOutcome> {
    const userId = ctx.job.targetId!;
    ctx.checkpoint.runStart ??= new Date().toISOString();
    const runStart = ctx.checkpoint.runStart;
    let token = await this.tokens.getUserAccessToken(userId);
    const fetchPage = async (offset: number): Promise<SpotifySavedTracksPage> => {
      try {
        return await this.spotify.getSavedTracks(token, { offset, limit: 50 });
      } catch (error) {
        if (!(error instanceof SpotifyUnauthorizedError)) throw error;
        token = await this.tokens.refreshAfterUnauthorized(userId, token);
        return this.spotify.getSavedTracks(token, { offset, limit: 50 });
      }
    };

    for (;;) {
      if (ctx.stopping()) return { kind: 'interrupted' };
      const offset = ctx.checkpoint.offset ?? 0;
      const page = await fetchPage(offset);
      if (ctx.progress.total === null) ctx.progress.total = page.total;
      if (offset === 0 && (await this.unchanged(ctx, userId, page))) {
        ctx.progress.total = page.total;
        return { kind: 'completed', resultMessage: 'Library unchanged since the last import' };
      }
      const items = page.items.filter((item) => item.track?.id);
      // keyed by track id: the song ids are known once the songs are written
      const features = await this.enrichment.fetchAudioFeatures(items.map((i) => i.track.id));
      if (features.unavailable) ctx.checkpoint.note = `Audio features not stored: ${features.unavailable}`;
      // the page's songs, saves and checkpoint commit together
      await ctx.em.transactional(async (tx) => {
        const songIds = await this.enrichment.upsertFromSpotify(tx, items.map((item) => item.track));
        await this.enrichment.writePageTracks(tx, items.map((item) => ({ songId: songIds.get(item.track.id)!, track: item.track })));
        await this.enrichment.writeAudioFeatures(
          tx,
          [...features.byTrack].map(([trackId, values]) => ({ id: songIds.get(trackId)!, features: values })),
        );
        await (tx.getRepository(SavedTrack) as SavedTrackRepository).recordSeen(
          userId,
          items.map((i) => ({ trackId: i.track.id, songId: songIds.get(i.track.id)!, addedAt: i.addedAt })),
          runStart,
        );
        ctx.progress.done += items.length;
        ctx.checkpoint.offset = offset + page.items.length;
        await ctx.save(tx);
      });
      if (!page.next || page.items.length === 0) break;
    }

    const removed = await (ctx.em.getRepository(SavedTrack) as SavedTrackRepository).markRemoved(userId, runStart);
    const notes = [`Imported ${ctx.progress.done} saved tracks; ${removed} removed since the last import`];
    if (ctx.checkpoint.note) notes.push(ctx.checkpoint.note);
    return { kind: 'completed', resultMessage: notes.join('. ') };
  }

  /** Same count and same newest save as the stored library: nothing to import. */
  private async unchanged(ctx: JobRunContext<'user_library'>, userId: string, page: SpotifySavedTracksPage): Promise<boolean> {
    const first = page.items[0];
    const stored = await (ctx.em.getRepository(SavedTrack) as SavedTrackRepository).summary(userId);
    if (!first || stored.count === 0) return page.total === 0 && stored.count === 0;
    return stored.count === page.total && stored.newestTrackId === first.track.id;
  }
}
