import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SpotifyTokenService } from '../../connections/spotify-token.service';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isRowRefusal, PageAudioFeatures, refusalReason, SongEnrichmentService } from '../../songs/song-enrichment.service';
import { SpotifyClient } from '../../spotify/spotify.client';
import { SpotifyUnauthorizedError } from '../../spotify/spotify.errors';
import type { SavedTracksSkipped, SpotifySavedTrack, SpotifySavedTracksPage } from '../../spotify/spotify.types';
import { SavedTrack } from '../records/saved-track.entity';
import type { SavedTrackRepository } from '../records/saved-track.repository';
import { SpotifySyncJob } from '../records/spotify-sync-job.entity';
import type { SyncJobRepository } from '../records/sync-job.repository';
import { PermanentJobError } from '../runner/job-errors';
import type { HandlerOutcome, ItemFailure, JobRunContext, SyncJobHandler } from '../runner/sync-job.context';

export const LIBRARY_SCOPE = 'user-library-read';

const SKIP_LABELS: Record<keyof SavedTracksSkipped, string> = {
  nullTrack: 'no track',
  localFile: 'local file',
  invalidId: 'no usable id',
  unplayable: 'unplayable',
  notAnObject: 'not an item',
};

/**
 * user_library: pages through the user's saved tracks with their token, by Spotify's own offsets
 * (offset + the items on Spotify's page, usable or not) until `next` is null; creates or links the
 * songs, writes what the pages already carry (no second fetch of the same tracks), adds audio
 * features where the tier has them, and records which user saved which track. Items without a usable
 * track are skipped and counted by reason. Removals are marked only after a complete pass (the pass
 * start is kept in the checkpoint, so a resumed run still knows); an interrupted or failed run never
 * marks any. "Unchanged" = the first page (its items, their added_at, Spotify's total) is what the
 * last complete pass saw: a new save always lands on the first page and a removal changes the total.
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
    const granted = await this.tokens.grantedScopes(userId);
    if (!granted.includes(LIBRARY_SCOPE)) {
      throw new PermanentJobError(
        `The user's Spotify connection does not grant ${LIBRARY_SCOPE} (granted: ${granted.join(' ') || 'none'}); the user must connect again`,
      );
    }
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
    const saves = (em = ctx.em) => em.getRepository(SavedTrack) as SavedTrackRepository;

    let complete = false;
    for (;;) {
      if (ctx.stopping()) return { kind: 'interrupted' };
      const offset = ctx.checkpoint.offset ?? 0;
      const page = await fetchPage(offset);
      if (ctx.progress.total === null) ctx.progress.total = page.total; // Spotify's claim, until the pass is complete
      if (offset === 0) {
        const firstPage = signature(page);
        if (await this.unchanged(ctx, userId, firstPage)) {
          ctx.checkpoint.firstPage = firstPage;
          ctx.checkpoint.passComplete = true;
          ctx.progress.total = (await saves().summary(userId)).count;
          return { kind: 'completed', resultMessage: 'Library unchanged since the last import' };
        }
        ctx.checkpoint.firstPage = firstPage;
      }
      const items = page.items;
      // keyed by track id: the song ids are known once the songs are written
      const features = await this.enrichment.fetchAudioFeatures(items.map((i) => i.track.id));
      if (features.unavailable) ctx.checkpoint.note = `Audio features not stored: ${features.unavailable}`;
      // the page's songs, saves, failed items and checkpoint commit together
      await ctx.em.transactional(async (tx) => {
        const written = await this.writeItems(tx, userId, runStart, items, features);
        ctx.progress.done += written.done;
        ctx.progress.failed += written.failures.length;
        await ctx.recordFailures(written.failures, tx);
        const skipped = { ...(ctx.checkpoint.skipped ?? {}) };
        for (const [reason, n] of Object.entries(page.skipped)) if (n) skipped[reason] = (skipped[reason] ?? 0) + n;
        ctx.checkpoint.skipped = skipped;
        ctx.checkpoint.offset = page.offset + page.rawCount;
        await ctx.save(tx);
      });
      if (!page.next) {
        complete = true;
        break;
      }
      // Spotify says there is more but the pages stopped moving: stop, and do not take it for a complete pass
      if (page.rawCount === 0 || page.offset + page.rawCount <= offset) break;
    }

    ctx.checkpoint.passComplete = complete;
    const notes: string[] = [];
    if (complete) {
      const removed = await saves().markRemoved(userId, runStart);
      ctx.progress.total = ctx.progress.done + ctx.progress.failed;
      notes.push(`Imported ${ctx.progress.done} saved tracks; ${removed} removed since the last import`);
    } else {
      notes.push(
        `Imported ${ctx.progress.done} saved tracks; Spotify's pages stopped before the last one (an empty page, or an offset that did not move on), so removals were not checked`,
      );
    }
    const skipped = Object.entries(ctx.checkpoint.skipped ?? {}).filter(([, n]) => n > 0);
    if (skipped.length) {
      const total = skipped.reduce((sum, [, n]) => sum + n, 0);
      notes.push(
        `Skipped ${total} items without a usable track (${skipped.map(([reason, n]) => `${SKIP_LABELS[reason as keyof SavedTracksSkipped] ?? reason}: ${n}`).join(', ')})`,
      );
    }
    if (ctx.progress.failed) notes.push(`${ctx.progress.failed} songs failed (see the job's failures)`);
    if (ctx.checkpoint.note) notes.push(ctx.checkpoint.note);
    return { kind: 'completed', resultMessage: notes.join('. ') };
  }

  /**
   * A page's songs, track data, audio features and saves. Under a savepoint; if the database refuses
   * a row (SQLSTATE 22/23), each item again under its own, so one poisoned item is a failed item
   * (by track id) and never the reason the page, and so the import, fails. Its save is still
   * recorded as seen (without a song), so it is never taken for a removal.
   */
  private async writeItems(
    tx: EntityManager,
    userId: string,
    runStart: string,
    items: SpotifySavedTrack[],
    features: PageAudioFeatures,
  ): Promise<{ done: number; failures: ItemFailure[] }> {
    const write = (batch: SpotifySavedTrack[]) =>
      tx.transactional(async (sp) => {
        const songIds = await this.enrichment.upsertFromSpotify(sp, batch.map((item) => item.track));
        await this.enrichment.writePageTracks(sp, batch.map((item) => ({ songId: songIds.get(item.track.id)!, track: item.track })));
        await this.enrichment.writeAudioFeatures(
          sp,
          batch.filter((i) => features.byTrack.has(i.track.id)).map((i) => ({ id: songIds.get(i.track.id)!, features: features.byTrack.get(i.track.id)! })),
        );
        const refused = batch
          .filter((i) => features.refused.has(i.track.id))
          .map((i) => ({ id: songIds.get(i.track.id)!, reason: `Audio features: ${features.refused.get(i.track.id)} (track ${i.track.id})` }));
        await this.enrichment.recordSyncFailures(sp, refused);
        await (sp.getRepository(SavedTrack) as SavedTrackRepository).recordSeen(
          userId,
          batch.map((i) => ({ trackId: i.track.id, songId: songIds.get(i.track.id)!, addedAt: i.addedAt })),
          runStart,
        );
        return refused.map((f) => ({ itemId: f.id, reason: f.reason }));
      });
    try {
      const failures = await write(items);
      return { done: items.length - failures.length, failures };
    } catch (error) {
      if (!isRowRefusal(error)) throw error;
    }
    const failures: ItemFailure[] = [];
    let done = 0;
    for (const item of items) {
      try {
        const refused = await write([item]);
        failures.push(...refused);
        done += 1 - refused.length;
      } catch (error) {
        if (!isRowRefusal(error)) throw error;
        failures.push({ itemId: item.track.id, reason: `The database refused the saved track: ${refusalReason(error)}` });
        await (tx.getRepository(SavedTrack) as SavedTrackRepository).recordSeen(
          userId,
          [{ trackId: item.track.id, songId: null, addedAt: item.addedAt }],
          runStart,
        );
      }
    }
    return { done, failures };
  }

  /** The first page is what the last complete pass saw first. */
  private async unchanged(ctx: JobRunContext<'user_library'>, userId: string, firstPage: string): Promise<boolean> {
    const last = await (ctx.em.getRepository(SpotifySyncJob) as SyncJobRepository).lastCompletedCheckpoint('user_library', userId);
    return !!last && last.passComplete === true && last.firstPage === firstPage;
  }
}

/** What Spotify keeps true of an unchanged library: its first page's items in order, their added_at, and its total. */
function signature(page: SpotifySavedTracksPage): string {
  const items = page.items.map((i) => [i.track.id, i.addedAt.toISOString()]);
  return createHash('sha256')
    .update(JSON.stringify({ total: page.total, rawCount: page.rawCount, next: page.next !== null, skipped: page.skipped, items }))
    .digest('hex');
}
